import type Router from '@koa/router';
import { gatehouseError } from '../errors.ts';
import { readJson } from '../http/body.ts';
import { requirePrincipal } from '../http/identity.ts';
import type { HubServices } from '../services.ts';

/** The only keys a location report may carry: nothing else of the server can be set this way. */
const REPORT_KEYS = new Set(['host', 'port']);

/**
 * `POST /hub/api/users/:name/server/location` `{"host": "node12", "port": 41234}`: a server that
 * picked its own host and port (a Slurm job, see SlurmSpawner) says where it listens. Only that
 * server's own token may send it; the spawner (`Spawner.acceptLocation`) judges host and port.
 * 200: accepted; 409: no start is waiting for it yet (try again); 400: the location is refused.
 */
export function serverLocationRoutes(router: Router, services: HubServices): void {
  router.post('/users/:name/server/location', async (ctx) => {
    const name = ctx.params['name'] as string;
    const principal = requirePrincipal(ctx);
    if (principal.via !== 'token' || principal.tokenKind !== 'server' || principal.user.name !== name) {
      throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', "only the server's own token may report where it listens");
    }
    const spawner = services.config.spawner;
    if (spawner.acceptLocation === undefined) throw gatehouseError('GATEHOUSE_ERR_NOT_FOUND', `the ${spawner.kind} spawner takes no location reports`);
    const body: unknown = await readJson(ctx);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'expected a JSON object');
    const unknown = Object.keys(body).filter((key) => !REPORT_KEYS.has(key));
    if (unknown.length > 0) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', `unknown key ${unknown[0]}: a report has only host and port`);
    const { host, port } = body as { host?: unknown; port?: unknown };
    // The token says which server is reporting: a named server's token reports for that server only.
    const verdict = await spawner.acceptLocation({ username: name, serverName: principal.tokenServer ?? '', host, port });
    if (verdict.accepted) {
      ctx.body = { accepted: true };
      return;
    }
    throw gatehouseError(verdict.retry ? 'GATEHOUSE_ERR_SERVER_LOCATION_EARLY' : 'GATEHOUSE_ERR_BAD_REQUEST', verdict.problem);
  });
}
