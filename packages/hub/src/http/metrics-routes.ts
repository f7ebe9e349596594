import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { gatehouseError } from '../errors.ts';
import type { HubMetrics } from '../metrics.ts';
import type { HubServices } from '../services.ts';
import { principalOf } from './identity.ts';

/** Times every hub request (pages and API); the proxy path is counted in the proxy itself. */
export function requestTiming(metrics: HubMetrics) {
  return async function requestTimingMiddleware(ctx: Context, next: Next): Promise<void> {
    const end = metrics.hubRequestDuration.startTimer();
    try {
      await next();
    } finally {
      end({ method: ctx.method, code: String(ctx.status) });
    }
  };
}

/** GET /hub/metrics: Prometheus text; admins only unless `metricsPublic`. */
export function metricsRoute(router: Router, services: HubServices): void {
  router.get('/hub/metrics', async (ctx) => {
    if (!services.config.metricsPublic) {
      const principal = principalOf(ctx);
      if (principal === undefined) throw gatehouseError('GATEHOUSE_ERR_UNAUTHENTICATED', 'metrics need an admin session or token (or metricsPublic: true)');
      if (!principal.user.admin) throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', 'metrics are for admins');
    }
    const { running, pending, waiting } = services.servers.counts();
    services.metrics.runningServers.set(running);
    services.metrics.pendingServers.set(pending);
    services.metrics.waitingServers.set(waiting);
    ctx.type = services.metrics.registry.contentType;
    ctx.body = await services.metrics.registry.metrics();
  });
}
