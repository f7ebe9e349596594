import type { Context, Next } from 'koa';
import { principalFromToken, sessionPrincipal, tokenFromAuthorization, type Principal } from '../auth/principal.ts';
import { allows, type ScopeName, type ScopeTarget } from '../auth/scopes.ts';
import { gatehouseError } from '../errors.ts';
import type { HubServices } from '../services.ts';
import { sessionUsername } from './session.ts';

export type { Principal };

/**
 * Sets `ctx.state.principal` and `ctx.state.user` from an API token (`Authorization: token …` or
 * `Bearer …`) or else the session cookie. A token that is presented but invalid is not rescued by
 * a cookie (the request is unauthenticated); other Authorization schemes (Basic, forwarded by a
 * front proxy such as nginx with auth_basic) are not tokens, and the cookie decides.
 */
export function identify(services: HubServices) {
  return async function identifyMiddleware(ctx: Context, next: Next): Promise<void> {
    const token = tokenFromAuthorization(ctx.get('authorization') || undefined);
    const principal =
      token !== undefined ? (principalFromToken(services, token) ?? services.externalServices.principal(token)) : sessionPrincipal(services, sessionUsername(ctx));
    if (principal !== undefined) setPrincipal(ctx, principal);
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

/** The principal, or GATEHOUSE_ERR_UNAUTHENTICATED. */
export function requirePrincipal(ctx: Context): Principal {
  const principal = principalOf(ctx);
  if (principal !== undefined) return principal;
  throw gatehouseError('GATEHOUSE_ERR_UNAUTHENTICATED');
}

/** The principal if it holds `scope` for `target`; 401 without a principal, 403 without the scope. */
export function requireScope(ctx: Context, scope: ScopeName, target?: ScopeTarget): Principal {
  const principal = requirePrincipal(ctx);
  if (!allows(principal.scopes, scope, target)) {
    throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', `this requires the ${scope} scope${target ? ` for ${target.user}` : ''}`);
  }
  return principal;
}

export function requireAdmin(ctx: Context): Principal {
  const principal = requirePrincipal(ctx);
  if (!principal.user.admin) throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', 'this requires an admin');
  return principal;
}
