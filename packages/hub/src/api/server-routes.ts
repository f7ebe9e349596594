import type Router from '@koa/router';
import type { Context } from 'koa';
import { gatehouseError } from '../errors.ts';
import { readJson } from '../http/body.ts';
import { requireScope } from '../http/identity.ts';
import { serverLabel } from '../servers/server-names.ts';
import { requireValidServerName } from '../servers/server-names.ts';
import { progressUrl, servicePrefix } from '../servers/environment.ts';
import { startWithUserOptions } from '../servers/start-options.ts';
import { userTarget } from './targets.ts';
import type { HubServices } from '../services.ts';
import { streamProgress } from './sse.ts';

/** How long DELETE waits for a server to stop before answering 202 (still stopping). */
const STOP_WAIT_MS = 10_000;

/**
 * JupyterHub's server API: the default server at `/users/:name/server`, named servers at
 * `/users/:name/servers/:server`. A POST body is the server's user options (resolveUserOptions).
 */
export function serverRoutes(router: Router, services: HubServices): void {
  const start = async (ctx: Context, serverName: string) => {
    const name = ctx.params['name'] as string;
    requireScope(ctx, 'admin:servers', userTarget(services, name, serverName));
    const user = services.userAdmin.require(name);
    startWithUserOptions(services, user, await readJson(ctx), serverName);
    ctx.status = 202;
    ctx.body = { status: 'pending', progress_url: progressUrl(name, serverName) };
  };

  const stop = async (ctx: Context, serverName: string, remove: boolean) => {
    const name = ctx.params['name'] as string;
    requireScope(ctx, 'admin:servers', { user: name, server: serverName });
    const user = services.userAdmin.require(name);
    const stopped = (remove ? services.servers.remove(user, serverName) : services.servers.stop(user, serverName)).then(() => true);
    const waited = await Promise.race([stopped, new Promise<false>((resolve) => setTimeout(() => resolve(false), STOP_WAIT_MS).unref())]);
    ctx.status = waited ? 204 : 202;
  };

  const progress = (ctx: Context, serverName: string) => {
    const name = ctx.params['name'] as string;
    requireScope(ctx, 'read:users', { user: name });
    services.userAdmin.require(name);
    const state = services.servers.state(name, serverName);
    const log = services.servers.progress(name, serverName);
    if (state === 'running') {
      streamProgress(ctx, undefined, { progress: 100, ready: true, message: 'Server ready', url: servicePrefix(name, serverName) });
      return;
    }
    if (state === 'pending' || (log?.finished === true && log.events.at(-1)?.failed === true)) {
      streamProgress(ctx, log, { progress: 100, failed: true, message: 'Server is not running' });
      return;
    }
    streamProgress(ctx, undefined, { progress: 100, failed: true, message: 'Server is not running' });
  };

  /** The `:server` of a named-server path, checked before anything else is (a clear 400 naming the rule). */
  const namedServer = (ctx: Context): string => {
    if (!services.config.namedServers.enabled) {
      throw gatehouseError('GATEHOUSE_ERR_NAMED_SERVERS_DISABLED', 'Named servers are not enabled on this hub (namedServers.enabled).');
    }
    const serverName = ctx.params['server'] as string;
    requireValidServerName(serverName);
    return serverName;
  };

  router.post('/users/:name/server', (ctx) => start(ctx, ''));
  router.delete('/users/:name/server', (ctx) => stop(ctx, '', false));
  router.get('/users/:name/server/progress', (ctx) => progress(ctx, ''));

  router.post('/users/:name/servers/:server', (ctx) => start(ctx, namedServer(ctx)));
  router.delete('/users/:name/servers/:server', async (ctx) => {
    const serverName = namedServer(ctx);
    const body = await readJson(ctx);
    const remove = typeof body === 'object' && body !== null && (body as { remove?: unknown }).remove === true;
    requireScope(ctx, 'admin:servers', { user: ctx.params['name'] as string, server: serverName });
    const owner = services.userAdmin.require(ctx.params['name'] as string);
    if (services.serverRepository.get(owner.id, serverName) === undefined && services.servers.state(owner.name, serverName) === 'stopped') {
      throw gatehouseError('GATEHOUSE_ERR_SERVER_NOT_FOUND', `${serverLabel(owner.name, serverName)} does not exist`);
    }
    await stop(ctx, serverName, remove);
  });
  router.get('/users/:name/servers/:server/progress', (ctx) => progress(ctx, namedServer(ctx)));
}
