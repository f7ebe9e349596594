import type Router from '@koa/router';
import { mayOpenServer } from '../auth/server-access.ts';
import { gatehouseError } from '../errors.ts';
import { readForm } from '../http/body.ts';
import { principalOf } from '../http/identity.ts';
import { serverAccessScopes } from '../servers/environment.ts';
import type { HubServices } from '../services.ts';

/** Lifetime of OAuth access tokens issued to single-user servers (JupyterHub's default). */
const ACCESS_TOKEN_LIFETIME_SECONDS = 14 * 24 * 60 * 60;

function oauthError(status: 400 | 401 | 403, message: string) {
  return gatehouseError(status === 400 ? 'GATEHOUSE_ERR_BAD_REQUEST' : status === 401 ? 'GATEHOUSE_ERR_UNAUTHENTICATED' : 'GATEHOUSE_ERR_FORBIDDEN', message);
}

/**
 * OAuth2 authorization-code provider for single-user servers (docs/jupyterhub-singleuser.md §3):
 * one client per spawned server, exact redirect-URI match, single-use 60-second codes, and tokens
 * that grant access to that one server only.
 */
export function oauthRoutes(router: Router, services: HubServices): void {
  router.get('/oauth2/authorize', (ctx) => {
    const query = ctx.query;
    const clientId = typeof query['client_id'] === 'string' ? query['client_id'] : '';
    const redirectUri = typeof query['redirect_uri'] === 'string' ? query['redirect_uri'] : '';
    const client = services.oauth.client(clientId);
    if (client === undefined) throw oauthError(400, 'unknown OAuth client');
    if (redirectUri !== client.redirectUri) throw oauthError(400, 'redirect_uri does not match the registered one');
    if (query['response_type'] !== 'code') throw oauthError(400, 'response_type must be code');
    const principal = principalOf(ctx);
    if (principal === undefined || principal.via !== 'session') {
      ctx.redirect(`/hub/login?next=${encodeURIComponent(ctx.originalUrl)}`);
      return;
    }
    const owner = services.users.getById(client.userId);
    if (owner === undefined || !mayOpenServer(principal, owner.name, '', services.config)) {
      throw oauthError(403, `you may not open ${owner === undefined ? 'this' : `${owner.name}'s`} server`);
    }
    const code = services.oauth.issueCode({ clientId: client.id, userId: principal.user.id, redirectUri: client.redirectUri });
    const params = new URLSearchParams({ code });
    if (typeof query['state'] === 'string') params.set('state', query['state']);
    services.logger.info({ username: principal.user.name, client: client.id }, 'oauth code issued');
    ctx.redirect(`${client.redirectUri}?${params.toString()}`);
  });

  router.post('/oauth2/token', async (ctx) => {
    const form = await readForm(ctx);
    if (form['grant_type'] !== 'authorization_code') throw oauthError(400, 'grant_type must be authorization_code');
    const clientId = form['client_id'] ?? '';
    if (!services.oauth.verifyClientSecret(clientId, form['client_secret'] ?? '')) throw oauthError(403, 'invalid client credentials');
    const grant = services.oauth.consumeCode(form['code'] ?? '');
    if (grant === undefined || grant.clientId !== clientId) throw oauthError(400, 'invalid or expired code');
    if (grant.redirectUri !== form['redirect_uri']) throw oauthError(400, 'redirect_uri does not match');
    const client = services.oauth.client(clientId);
    const owner = client === undefined ? undefined : services.users.getById(client.userId);
    if (owner === undefined) throw oauthError(400, 'the client is gone');
    const scopes = serverAccessScopes(owner.name, client?.serverName).slice(0, 1);
    const { token } = services.tokens.mint({ userId: grant.userId, kind: 'oauth', scopes, note: `oauth: ${clientId}`, expiresInSeconds: ACCESS_TOKEN_LIFETIME_SECONDS });
    ctx.body = { access_token: token, token_type: 'Bearer', expires_in: ACCESS_TOKEN_LIFETIME_SECONDS, scope: scopes.join(' ') };
  });
}
