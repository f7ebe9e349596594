"""Authenticates a plain Jupyter server (classic notebook 6, Jupyter Server 1.x) by the per-server
token that the Gatehouse proxy sends as `Authorization: token …`.

Jupyter's own token option would work too, but Jupyter then writes that token into every page it
renders (data-jupyter-api-token, ?token= links), handing the server's credential to the browser.
Here the server's token setting stays empty, so nothing renders it; this handler alone decides.
Requests without the token (another local user who found the port) are refused.
"""
import hmac
import os
import re

try:
    from notebook.auth.login import LoginHandler as _JupyterLoginHandler
except ImportError:  # Jupyter Server
    from jupyter_server.auth.login import LoginHandler as _JupyterLoginHandler

_TOKEN_HEADER = re.compile(r"token\s+(\S+)\s*$", re.IGNORECASE)


class GatehouseLoginHandler(_JupyterLoginHandler):
    @classmethod
    def get_user(cls, handler):
        cached = getattr(handler, "_user_id", None)
        if cached:
            return cached
        expected = os.environ.get("JUPYTERHUB_API_TOKEN", "")
        match = _TOKEN_HEADER.match(handler.request.headers.get("Authorization", ""))
        if expected and match and hmac.compare_digest(match.group(1).encode(), expected.encode()):
            handler._user_id = os.environ.get("JUPYTERHUB_USER", "gatehouse")
            return handler._user_id
        return None

    @classmethod
    def is_token_authenticated(cls, handler):
        # The requests come from a browser through the proxy: keep Jupyter's XSRF and origin checks on.
        return False

    @classmethod
    def get_login_available(cls, settings):
        return False

    @classmethod
    def validate_security(cls, app, ssl_options=None):
        # Jupyter warns about an empty token/password; authentication is this handler's job here.
        return None
