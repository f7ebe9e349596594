import type { IncomingMessage } from 'node:http';
import type { PrincipalCache } from '../auth/principal-cache.ts';
import { tokenFromAuthorization, type Principal } from '../auth/principal.ts';
import { allows } from '../auth/scopes.ts';
import { singleCookieValue } from '../http/cookie-header.ts';
import { PROXY_SESSION_COOKIE, SESSION_COOKIE } from '../http/session.ts';

/** `/user/alice/tree?x` → `alice` (decoded), or undefined when the path is not a user path. */
export function userFromPath(url: string): string | undefined {
  if (!url.startsWith('/user/')) return undefined;
  const end = url.indexOf('/', 6);
  const query = url.indexOf('?', 6);
  const stop = end === -1 ? (query === -1 ? url.length : query) : query !== -1 && query < end ? query : end;
  const encoded = url.slice(6, stop);
  if (encoded === '') return undefined;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

/**
 * Who is asking: a valid API token in Authorization (`token`/`Bearer`), else the session cookie
 * scoped to /user/ (or `cookieName`: /hub/auth reads the auth_request cookie). A browser may send
 * Authorization schemes of its own (Basic from a front proxy, a single-user server's scheme), so an Authorization that is not a valid hub token falls back to
 * the cookie — it never grants anything by itself.
 */
export function proxyPrincipal(principals: PrincipalCache, req: IncomingMessage, cookieName = PROXY_SESSION_COOKIE): Principal | undefined {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const principal = principals.tokenPrincipal(tokenFromAuthorization(authorization));
    if (principal !== undefined || singleCookieValue(req.headers.cookie, cookieName) === undefined) return principal;
    // A browser request may carry the single-user server's own Authorization scheme; fall back to the cookie.
  }
  const cookies = req.headers.cookie;
  return principals.sessionPrincipal(cookieName === PROXY_SESSION_COOKIE ? proxySessionId(cookies) : (singleCookieValue(cookies, cookieName) ?? undefined));
}

/**
 * The session id a /user/ request may be authenticated by: the proxy cookie, sent once, and equal to
 * the hub's session cookie when that is sent too (it always is for a browser signed in here: Path=/).
 * Cookies ignore ports, so a page on another port can set a proxy cookie of its own choosing — at
 * /user/<name>/ (then two copies arrive) or over the browser's own at /user/ (then it disagrees with
 * the hub cookie). Either way the request gets no identity, so a browser never opens a server as
 * someone else while it holds its own hub session, whose XSRF token that server's pages could read.
 */
/** True when the proxy cookie was sent twice, or disagrees with the hub's: someone else set one. */
export function proxyCookieConflict(cookieHeader: string | undefined): boolean {
  const proxy = singleCookieValue(cookieHeader, PROXY_SESSION_COOKIE);
  if (proxy === undefined) return false;
  const hub = singleCookieValue(cookieHeader, SESSION_COOKIE);
  return proxy === null || hub === null || (hub !== undefined && hub !== proxy);
}

function proxySessionId(cookieHeader: string | undefined): string | undefined {
  const proxy = singleCookieValue(cookieHeader, PROXY_SESSION_COOKIE);
  if (proxy === undefined || proxy === null) return undefined;
  const hub = singleCookieValue(cookieHeader, SESSION_COOKIE);
  return hub === undefined || hub === proxy ? proxy : undefined;
}

/** The owner always (with the access scope); admins only when adminAccess is on. */
export function mayAccessServer(principal: Principal, owner: string, adminAccess: boolean): boolean {
  if (!allows(principal.scopes, 'access:servers', { user: owner, server: '' })) return false;
  return principal.user.name === owner || (adminAccess && principal.user.admin);
}
