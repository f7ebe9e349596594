import type { Context, Next } from 'koa';
import type { UserRow } from '../db/users.ts';
import { gatehouseError } from '../errors.ts';
import type { HubServices } from '../services.ts';
import { sessionUsername } from './session.ts';

/** Who is making the request, and how they proved it. */
export interface Principal {
  readonly user: UserRow;
  /** `session`: a browser cookie (state-changing requests need XSRF); `token`: an API token. */
  readonly via: 'session' | 'token';
}

/** Sets `ctx.state.principal` and `ctx.state.user` from the session cookie, when it names a live user. */
export function identify(services: HubServices) {
  return async function identifyMiddleware(ctx: Context, next: Next): Promise<void> {
    const username = sessionUsername(ctx);
    if (username !== undefined) {
      const user = services.users.get(username);
      if (user !== undefined) setPrincipal(ctx, { user, via: 'session' });
    }
    await next();
  };
}

export function setPrincipal(ctx: Context, principal: Principal): void {
  ctx.state['principal'] = principal;
  ctx.state['user'] = principal.user;
}

export function principalOf(ctx: Context): Principal | undefined {
  return ctx.state['principal'] as Principal | undefined;
}

/** The principal, or a 401 (API) / a redirect to the login page (pages). */
export function requirePrincipal(ctx: Context): Principal {
  const principal = principalOf(ctx);
  if (principal !== undefined) return principal;
  throw gatehouseError('GATEHOUSE_ERR_UNAUTHENTICATED');
}

export function requireAdmin(ctx: Context): Principal {
  const principal = requirePrincipal(ctx);
  if (!principal.user.admin) throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', 'this requires an admin');
  return principal;
}
