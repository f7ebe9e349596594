import type { Context, Next } from 'koa';
import type { HubServices } from '../services.ts';
import { safeNextPath } from './redirect.ts';
import { beginSession } from './session.ts';

/** Token kinds that may log a browser in from a URL: API tokens, and single-use launch tokens. */
const URL_LOGIN_KINDS = new Set(['api', 'launch']);

/** The URL without its `token` parameter (what the browser is sent to after logging in). */
export function withoutTokenParam(originalUrl: string): string {
  const url = new URL(originalUrl, 'http://gatehouse.invalid');
  url.searchParams.delete('token');
  return `${url.pathname}${url.search}${url.hash}`;
}

/** Logs in with an API or launch token (from the URL or the login form); launch tokens are single-use. */
export async function loginWithToken(ctx: Context, services: HubServices, token: string): Promise<boolean> {
  const row = services.tokens.resolve(token.trim());
  // A browser session holds all of its owner's scopes, so only a token that does too may start one.
  const mayStartSession = row !== undefined && URL_LOGIN_KINDS.has(row.kind) && (row.kind === 'launch' || row.scopes.includes('inherit'));
  const user = mayStartSession ? services.users.getById(row.userId) : undefined;
  if (row === undefined || user === undefined) {
    services.logger.warn({ remoteAddress: ctx.req.socket.remoteAddress }, 'login with an invalid token refused');
    return false;
  }
  if (row.kind === 'launch') services.tokens.revoke(row.id);
  await beginSession(ctx, user.name);
  services.logger.info({ username: user.name, tokenKind: row.kind }, 'login with token');
  return true;
}

/**
 * `?token=` on a page request: a valid token starts a session and the browser is redirected to the
 * same URL without the token, so it does not linger in the address bar, history or Referer.
 * Launch tokens are consumed by their first use. An invalid token is ignored (the page asks to log in).
 */
export function tokenInQuery(services: HubServices) {
  return async function tokenInQueryMiddleware(ctx: Context, next: Next): Promise<void> {
    const token = ctx.query['token'];
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || typeof token !== 'string' || ctx.path.startsWith('/hub/api/')) return next();
    if (!(await loginWithToken(ctx, services, token))) return next();
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(safeNextPath(withoutTokenParam(ctx.originalUrl)));
  };
}
