import type { GatehouseConfig } from '../config/schema.ts';
import { gatehouseError } from '../errors.ts';
import { requireValidServerName } from './server-names.ts';
import type { ServerRepository } from './server-repository.ts';

/** Seconds a client should wait before retrying when the spawn limit is reached. */
const SPAWN_RETRY_AFTER_SECONDS = 10;
/**
 * Starts one user may have waiting in line at once (a default and a named server, say): without it,
 * one person with many named servers could fill the line and hold everyone else back.
 */
export const WAITING_STARTS_PER_USER = 2;

/**
 * A named server may start when named servers are on, its name is valid, and — if it is a new one —
 * the user has fewer than namedServers.limitPerUser (stopped ones count, as in JupyterHub).
 */
export function requireNamedServerAllowed(
  named: GatehouseConfig['namedServers'],
  repository: ServerRepository,
  user: { readonly id: number; readonly name: string },
  serverName: string,
): void {
  if (!named.enabled) throw gatehouseError('GATEHOUSE_ERR_NAMED_SERVERS_DISABLED', 'Named servers are not enabled on this hub (namedServers.enabled).');
  requireValidServerName(serverName);
  const isNew = repository.get(user.id, serverName) === undefined;
  if (isNew && named.limitPerUser > 0 && repository.namedCount(user.id) >= named.limitPerUser) {
    throw gatehouseError(
      'GATEHOUSE_ERR_NAMED_SERVER_LIMIT',
      `User ${user.name} already has the maximum of ${named.limitPerUser} named servers. One must be deleted before a new server can be created.`,
    );
  }
}

/**
 * The hub-wide limits: concurrentSpawnLimit servers starting at once, spawnQueueLimit more waiting in
 * line for their turn (WAITING_STARTS_PER_USER of them per user), activeServerLimit servers starting,
 * waiting or running. Beyond them: 429.
 */
export function requireRoomToStart(
  config: Pick<GatehouseConfig, 'concurrentSpawnLimit' | 'spawnQueueLimit' | 'activeServerLimit'>,
  counts: { readonly starting: number; readonly waiting: number; readonly waitingOfUser: number; readonly pending: number; readonly running: number },
  username: string,
): void {
  const slotFree = counts.waiting === 0 && counts.starting < config.concurrentSpawnLimit;
  if (!slotFree && counts.waiting >= config.spawnQueueLimit) {
    throw gatehouseError('GATEHOUSE_ERR_SPAWN_LIMIT', undefined, { details: { retryAfterSeconds: SPAWN_RETRY_AFTER_SECONDS } });
  }
  if (!slotFree && counts.waitingOfUser >= WAITING_STARTS_PER_USER) {
    throw gatehouseError('GATEHOUSE_ERR_SPAWN_LIMIT', `${username} already has ${counts.waitingOfUser} servers waiting to start; try again when one has started`, {
      details: { retryAfterSeconds: SPAWN_RETRY_AFTER_SECONDS },
    });
  }
  if (config.activeServerLimit > 0 && counts.running + counts.pending >= config.activeServerLimit) {
    throw gatehouseError('GATEHOUSE_ERR_ACTIVE_SERVER_LIMIT', `the hub runs at most ${config.activeServerLimit} servers at once`, {
      details: { retryAfterSeconds: SPAWN_RETRY_AFTER_SECONDS * 3 },
    });
  }
}
