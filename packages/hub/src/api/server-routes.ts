import type Router from '@koa/router';
import { readJson } from '../http/body.ts';
import { requireScope } from '../http/identity.ts';
import { startWithUserOptions } from '../servers/start-options.ts';
import { userTarget } from './targets.ts';
import { servicePrefix } from '../servers/environment.ts';
import type { HubServices } from '../services.ts';
import { streamProgress } from './sse.ts';

/** How long DELETE waits for a server to stop before answering 202 (still stopping). */
const STOP_WAIT_MS = 10_000;

export function serverRoutes(router: Router, services: HubServices): void {
  // The body is the spawn options (JupyterHub's user_options), checked against the profiles config.
  router.post('/users/:name/server', async (ctx) => {
    const name = ctx.params['name'] as string;
    requireScope(ctx, 'admin:servers', userTarget(services, name, ''));
    const user = services.userAdmin.require(name);
    startWithUserOptions(services, user, await readJson(ctx));
    ctx.status = 202;
    ctx.body = { status: 'pending', progress_url: `/hub/api/users/${encodeURIComponent(name)}/server/progress` };
  });

  router.delete('/users/:name/server', async (ctx) => {
    const name = ctx.params['name'] as string;
    requireScope(ctx, 'admin:servers', { user: name, server: '' });
    const user = services.userAdmin.require(name);
    const stopped = services.servers.stop(user).then(() => true);
    const waited = await Promise.race([stopped, new Promise<false>((resolve) => setTimeout(() => resolve(false), STOP_WAIT_MS).unref())]);
    ctx.status = waited ? 204 : 202;
  });

  router.get('/users/:name/server/progress', (ctx) => {
    const name = ctx.params['name'] as string;
    requireScope(ctx, 'read:users', { user: name });
    services.userAdmin.require(name);
    const state = services.servers.state(name);
    const log = services.servers.progress(name);
    if (state === 'running') {
      streamProgress(ctx, undefined, { progress: 100, ready: true, message: 'Server ready', url: servicePrefix(name) });
      return;
    }
    if (state === 'pending' || (log?.finished === true && log.events.at(-1)?.failed === true)) {
      streamProgress(ctx, log, { progress: 100, failed: true, message: 'Server is not running' });
      return;
    }
    streamProgress(ctx, undefined, { progress: 100, failed: true, message: 'Server is not running' });
  });
}
