import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { allows } from '../scopes.ts';
import { gatehouseError } from '../errors.ts';
import { principalOf, requirePrincipal } from '../http/identity.ts';
import { JUPYTERHUB_COMPAT_VERSION } from '../http/request-context.ts';
import type { HubServices } from '../services.ts';
import { groupRoutes } from './group-routes.ts';
import { oauthRoutes } from './oauth-routes.ts';
import { serverRoutes } from './server-routes.ts';
import { serviceModel, serviceRoutes } from './service-routes.ts';
import { serverLocationRoutes } from './server-report-routes.ts';
import { tokenRoutes } from './token-routes.ts';
import { totpApiRoutes } from './totp-routes.ts';
import { userRoutes } from './user-routes.ts';
import { scopeStrings, userModelOf } from './models.ts';

export const GATEHOUSE_VERSION = '0.1.0';

/**
 * Cookie-authenticated requests that change state must echo the XSRF token in X-XSRFToken;
 * token-authenticated ones need not (a browser never sends an Authorization token by itself).
 */
function xsrfForCookieAuth(services: HubServices) {
  return async (ctx: Context, next: Next) => {
    const principal = principalOf(ctx);
    if (principal?.via === 'session' && !['GET', 'HEAD', 'OPTIONS'].includes(ctx.method)) services.xsrf.verify(ctx, undefined);
    await next();
  };
}

export function apiRouter(services: HubServices): Router {
  const router = new Router({ prefix: '/hub/api' });
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.use(xsrfForCookieAuth(services));

  router.get('/', (ctx) => {
    ctx.body = { version: JUPYTERHUB_COMPAT_VERSION, gatehouse: GATEHOUSE_VERSION };
  });

  // Identity: jupyterhub-singleuser requires 403 (not 401) for an unknown token.
  router.get('/user', (ctx) => {
    const principal = principalOf(ctx);
    if (principal === undefined) throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN');
    const service = principal.service === undefined ? undefined : services.externalServices.get(principal.service);
    if (service !== undefined) {
      ctx.body = { ...serviceModel(service, true), token_id: null };
      return;
    }
    const model = userModelOf(services, principal.user);
    const canReadSelf = allows(principal.scopes, 'read:users', { user: principal.user.name });
    ctx.body = {
      ...(canReadSelf ? model : { kind: 'user', name: principal.user.name, admin: principal.user.admin, groups: [] }),
      scopes: scopeStrings(principal.scopes),
      token_id: principal.tokenId === undefined ? null : `a${principal.tokenId}`,
    };
  });

  oauthRoutes(router, services);
  userRoutes(router, services);
  groupRoutes(router, services);
  serverRoutes(router, services);
  serverLocationRoutes(router, services);
  tokenRoutes(router, services);
  serviceRoutes(router, services);
  totpApiRoutes(router, services);

  router.all('/{*rest}', (ctx) => {
    requirePrincipal(ctx);
    throw gatehouseError('GATEHOUSE_ERR_NOT_FOUND', `no API endpoint ${ctx.method} ${ctx.path}`);
  });
  return router;
}
