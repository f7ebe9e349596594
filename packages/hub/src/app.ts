import Koa from 'koa';
import { gatehouseError } from './errors.ts';
import { authCookieListener } from './http/auth-request.ts';
import { awaitWritableDatabase } from './http/database-gate.ts';
import { errorHandler } from './http/error-handler.ts';
import { identify } from './http/identity.ts';
import { requestTiming } from './http/metrics-routes.ts';
import { requestContext } from './http/request-context.ts';
import { sessionMiddleware } from './http/session.ts';
import { tokenInQuery } from './http/token-in-query.ts';
import { apiRouter } from './api/router.ts';
import { pageRoutes } from './pages/routes.ts';
import type { HubServices } from './services.ts';

/** Wires middleware and routes; each concern lives in its own module. */
export function createApp(services: HubServices): Koa {
  const app = new Koa();
  // X-Forwarded-* are believed per source address (requestContext), never globally.
  app.proxy = false;
  app.silent = true;

  const pages = pageRoutes(services);
  const api = apiRouter(services);

  if (services.metrics.enabled) app.use(requestTiming(services.metrics));
  app.use(requestContext(services));
  app.use(errorHandler(services.logger));
  app.use(awaitWritableDatabase(services.writeGate));
  app.use(sessionMiddleware(app, services.sessions, services.sessionBinding, authCookieListener(services.authCookies, services.config.authRequest.cookiePaths)));
  app.use(tokenInQuery(services));
  app.use(identify(services));
  app.use(api.routes());
  app.use(api.allowedMethods({ throw: true }));
  app.use(pages.routes());
  app.use(pages.allowedMethods({ throw: true }));
  app.use(() => {
    throw gatehouseError('GATEHOUSE_ERR_NOT_FOUND', 'There is no page at this address.');
  });
  return app;
}
