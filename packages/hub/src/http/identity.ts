import type { Context, Next } from 'koa';
import { sessionPrincipal, type Principal } from '../auth/principal.ts';
import { allows, type ScopeName, type ScopeTarget } from '../scopes.ts';
import { whoIsAsking } from '../auth/who-is-asking.ts';
import { gatehouseError } from '../errors.ts';
import type { HubServices } from '../services.ts';
import { sessionUsername } from './session.ts';

export type { Principal };

/**
 * Sets `ctx.state.principal` and `ctx.state.user` for the hub's pages and API: who is asking by the
 * policy of auth/who-is-asking.ts at site 'hub' (a presented token that is not valid is not rescued by
 * the cookie). The session is the one koa-session looked up; tokens go through the shared PrincipalCache.
 */
export function identify(services: HubServices) {
  return async function identifyMiddleware(ctx: Context, next: Next): Promise<void> {
    const session = () => sessionPrincipal(services, sessionUsername(ctx));
    // At the hub an external service's token (config `services`) speaks for that service as well.
    const tokens = { tokenPrincipal: (token: string | undefined) => services.principals.tokenPrincipal(token) ?? (token === undefined ? undefined : services.externalServices.principal(token)) };
    const principal = whoIsAsking(tokens, { authorization: ctx.get('authorization') || undefined, session }, 'hub');
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
    throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', `this requires the ${scope} scope${target ? ` for ${target.user ?? `the group ${target.group}`}` : ''}`);
  }
  return principal;
}

export function requireAdmin(ctx: Context): Principal {
  const principal = requirePrincipal(ctx);
  if (!principal.user.admin) throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', 'this requires an admin');
  return principal;
}
