import Router from '@koa/router';
import Koa from 'koa';
import { gatehouseError } from './errors.ts';
import { authCookieListener } from './http/auth-request.ts';
import { awaitWritableDatabase } from './http/database-gate.ts';
import { errorHandler } from './http/error-handler.ts';
import { identify } from './http/identity.ts';
import { metricsRoute, requestTiming } from './http/metrics-routes.ts';
import { requestContext } from './http/request-context.ts';
import { sessionMiddleware } from './http/session.ts';
import { dataRoute } from './api/data-route.ts';
import { apiRouter } from './api/router.ts';
import { renderErrorPage } from './pages/error-page.ts';
import { pageRoutes } from './pages/routes.ts';
import { tokenInQuery } from './pages/token-login.ts';
import type { HubServices } from './services.ts';

/**
 * Wires middleware and routes; each concern lives in its own module. Every route of the Koa app is
 * mounted here: the REST API (/hub/api), the pages, POST /hub/data and GET /hub/metrics. (The
 * /user/ proxy and /hub/auth are answered before Koa, in hub.ts.)
 */
export function createApp(services: HubServices): Koa {
  const app = new Koa();
  // X-Forwarded-* are believed per source address (requestContext), never globally.
  app.proxy = false;
  app.silent = true;

  const api = apiRouter(services);
  const pages = pageRoutes(services);
  const others = new Router();
  dataRoute(others, services);
  if (services.metrics.enabled) metricsRoute(others, services);

  if (services.metrics.enabled) app.use(requestTiming(services.metrics));
  app.use(requestContext(services));
  app.use(errorHandler(services.logger, renderErrorPage));
  app.use(awaitWritableDatabase(services.writeGate));
  app.use(sessionMiddleware(app, services.sessions, services.sessionBinding, authCookieListener(services.authCookies, services.config.authRequest.cookiePaths)));
  app.use(tokenInQuery(services));
  app.use(identify(services));
  app.use(api.routes());
  app.use(api.allowedMethods({ throw: true }));
  app.use(pages.routes());
  app.use(pages.allowedMethods({ throw: true }));
  app.use(others.routes());
  app.use(others.allowedMethods({ throw: true }));
  app.use(() => {
    throw gatehouseError('GATEHOUSE_ERR_NOT_FOUND', 'There is no page at this address.');
  });
  return app;
}
