import type { Context, Next } from 'koa';
import type { TokenRow } from '../tokens/token-store.ts';
import type { UserRow } from '../db/users.ts';
import { safeNextPath, withoutTokenParam } from '../http/redirect.ts';
import { beginSession, sessionUsername } from '../http/session.ts';
import type { HubServices } from '../services.ts';
import { xsrfTokenFor } from './page-helpers.ts';
import { renderSwitchUserPage } from './switch-user-page.ts';

/** Token kinds that may log a browser in from a URL: API tokens, and single-use launch tokens. */
const URL_LOGIN_KINDS = new Set(['api', 'launch']);

interface TokenLogin {
  readonly row: TokenRow;
  readonly user: UserRow;
}

/** Whom `token` would sign in, without using it up; undefined (logged) when it may not start a session. */
function tokenLogin(ctx: Context, services: HubServices, token: string): TokenLogin | undefined {
  const row = services.tokens.resolve(token.trim());
  // A browser session holds all of its owner's scopes, so only a token that does too may start one.
  const mayStartSession = row !== undefined && URL_LOGIN_KINDS.has(row.kind) && (row.kind === 'launch' || row.scopes.includes('inherit'));
  const user = mayStartSession ? services.users.getById(row.userId) : undefined;
  if (row === undefined || user === undefined) {
    services.logger.warn({ remoteAddress: ctx.req.socket.remoteAddress }, 'login with an invalid token refused');
    return undefined;
  }
  return { row, user };
}

async function begin(ctx: Context, services: HubServices, { row, user }: TokenLogin): Promise<void> {
  if (row.kind === 'launch') services.tokens.revoke(row.id);
  await beginSession(ctx, user.name);
  services.logger.info({ username: user.name, tokenKind: row.kind }, 'login with token');
}

/** Logs in with an API or launch token (from the login form); launch tokens are single-use. */
export async function loginWithToken(ctx: Context, services: HubServices, token: string): Promise<boolean> {
  const login = tokenLogin(ctx, services, token);
  if (login !== undefined) await begin(ctx, services, login);
  return login !== undefined;
}

/** The signed-in user when the browser has a live session for someone other than `target`. */
function otherSignedInUser(ctx: Context, services: HubServices, target: UserRow): UserRow | undefined {
  const current = sessionUsername(ctx);
  return current === undefined || current === target.name ? undefined : services.users.get(current);
}

/**
 * `?token=` on a page request: a valid token starts a session and the browser is redirected to the
 * same URL without the token, so it does not linger in the address bar, history or Referer.
 * Launch tokens are consumed by their first use. An invalid token is ignored (the page asks to log in).
 * A browser signed in as someone else is asked first (a page with an XSRF-protected button that posts
 * the token to /hub/login); showing that page uses nothing up.
 */
/**
 * A used or expired link (a reused `--open` page, an old bookmark): the dead token leaves the address
 * bar, and the login page says why it is asking.
 */
function dropDeadToken(ctx: Context): void {
  const clean = new URL(withoutTokenParam(ctx.originalUrl), 'http://gatehouse.invalid');
  if (clean.pathname === '/hub/login') clean.searchParams.set('link', 'expired');
  ctx.set('Cache-Control', 'no-store');
  ctx.redirect(safeNextPath(`${clean.pathname}${clean.search}`));
}

export function tokenInQuery(services: HubServices) {
  return async function tokenInQueryMiddleware(ctx: Context, next: Next): Promise<void> {
    const token = ctx.query['token'];
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || typeof token !== 'string' || ctx.path.startsWith('/hub/api/')) return next();
    const login = tokenLogin(ctx, services, token);
    if (login === undefined) return dropDeadToken(ctx);
    const target = safeNextPath(withoutTokenParam(ctx.originalUrl));
    ctx.set('Cache-Control', 'no-store');
    const current = otherSignedInUser(ctx, services, login.user);
    if (current !== undefined) {
      ctx.type = 'html';
      ctx.body = renderSwitchUserPage({ current, target: login.user.name, token: token.trim(), next: target, xsrfToken: xsrfTokenFor(ctx, services) });
      return;
    }
    await begin(ctx, services, login);
    ctx.redirect(target);
  };
}
