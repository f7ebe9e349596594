import type { PortRegistry, ServerHandle } from '@gatehouse/spawner';
import type { Database } from '../db/database.ts';
import { isoFromStored, isoFromStoredOrNull } from '../db/stored-time.ts';

/** Opaque spawn options a server was started with (JupyterHub's `user_options`), validated before they get here. */
export type UserOptions = Readonly<Record<string, unknown>>;

/**
 * A server as persisted: its status, and where it listens once running. The default server (`''`)
 * has a row only while it is not stopped; a named server's row stays, 'stopped', until it is removed.
 */
export interface ServerRow {
  readonly userId: number;
  readonly username: string;
  readonly serverName: string;
  readonly status: 'stopped' | 'pending' | 'running' | 'stopping';
  readonly handle: ServerHandle | undefined;
  /** The server token, sealed (SecretBox): the proxy injects it after a hub restart. */
  readonly sealedToken: string | null;
  readonly startedAt: string;
  readonly lastActivity: string | null;
  readonly userOptions: UserOptions;
}

interface RawServer {
  user_id: number;
  username: string;
  name: string;
  status: ServerRow['status'];
  host: string | null;
  port: number | null;
  credential: string | null;
  state: string;
  sealed_token: string | null;
  started_at: number;
  last_activity: number | null;
  user_options: string;
}

function toServer(raw: RawServer): ServerRow {
  const handle =
    raw.host !== null && raw.port !== null
      ? { host: raw.host, port: raw.port, credential: (raw.credential ?? 'token-header') as ServerHandle['credential'], state: JSON.parse(raw.state) as ServerHandle['state'] }
      : undefined;
  return {
    userId: raw.user_id,
    username: raw.username,
    serverName: raw.name,
    status: raw.status,
    handle,
    sealedToken: raw.sealed_token,
    startedAt: isoFromStored(raw.started_at),
    lastActivity: isoFromStoredOrNull(raw.last_activity),
    userOptions: JSON.parse(raw.user_options) as UserOptions,
  };
}

const SELECT = `SELECT s.user_id, u.name AS username, s.name, s.status, s.host, s.port, s.credential, s.state, s.sealed_token,
                       s.started_at, s.last_activity, s.user_options FROM servers s JOIN users u ON u.id = s.user_id`;

/** Servers and port claims in the hub database: the hub's routes survive its restarts. A server is (userId, serverName). */
export class ServerRepository implements PortRegistry {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  all(): ServerRow[] {
    return this.#db.prepare<[], RawServer>(SELECT).all().map(toServer);
  }

  /** Every server record of a user, the default server first, then named ones by name. */
  allOf(userId: number): ServerRow[] {
    return this.#db.prepare<[number], RawServer>(`${SELECT} WHERE s.user_id = ? ORDER BY s.name`).all(userId).map(toServer);
  }

  get(userId: number, serverName = ''): ServerRow | undefined {
    const raw = this.#db.prepare<[number, string], RawServer>(`${SELECT} WHERE s.user_id = ? AND s.name = ?`).get(userId, serverName);
    return raw === undefined ? undefined : toServer(raw);
  }

  /** How many named servers (any status) the user has: what namedServers.limitPerUser counts. */
  namedCount(userId: number): number {
    return this.#db.prepare<[number], { n: number }>("SELECT COUNT(*) AS n FROM servers WHERE user_id = ? AND name != ''").get(userId)?.n ?? 0;
  }

  /** A start begins: a new row, or a stopped named server's row made pending again. */
  insertPending(userId: number, serverName: string, sealedToken: string, userOptions: UserOptions): void {
    this.#db
      .prepare(
        `INSERT INTO servers (user_id, name, status, sealed_token, started_at, user_options) VALUES (?, ?, 'pending', ?, ?, ?)
         ON CONFLICT (user_id, name) DO UPDATE SET status = 'pending', sealed_token = excluded.sealed_token,
           started_at = excluded.started_at, user_options = excluded.user_options, host = NULL, port = NULL, state = '{}'
         WHERE servers.status = 'stopped'`,
      )
      .run(userId, serverName, sealedToken, Date.now(), JSON.stringify(userOptions));
  }

  /** A pending start's process exists: how to find it (and its port) if this hub dies now. */
  recordLaunch(userId: number, serverName: string, handle: ServerHandle): void {
    const changes = this.#db
      .prepare("UPDATE servers SET host = ?, port = ?, credential = ?, state = ? WHERE user_id = ? AND name = ? AND status = 'pending'")
      .run(handle.host, handle.port, handle.credential, JSON.stringify(handle.state), userId, serverName).changes;
    if (changes !== 1) throw new Error('no pending server to record the launched process for');
  }

  markRunning(userId: number, serverName: string, handle: ServerHandle): void {
    this.#db
      .prepare("UPDATE servers SET status = 'running', host = ?, port = ?, credential = ?, state = ? WHERE user_id = ? AND name = ?")
      .run(handle.host, handle.port, handle.credential, JSON.stringify(handle.state), userId, serverName);
  }

  markStopping(userId: number, serverName: string): void {
    this.#db.prepare("UPDATE servers SET status = 'stopping' WHERE user_id = ? AND name = ?").run(userId, serverName);
  }

  /**
   * The server is gone: the default server's row goes; a named server's stays, 'stopped', without a
   * process or a token, until it is removed.
   */
  markStopped(userId: number, serverName: string): void {
    if (serverName === '') return this.remove(userId, serverName);
    this.#db
      .prepare("UPDATE servers SET status = 'stopped', host = NULL, port = NULL, credential = NULL, state = '{}', sealed_token = NULL WHERE user_id = ? AND name = ?")
      .run(userId, serverName);
  }

  remove(userId: number, serverName: string): void {
    this.#db.prepare('DELETE FROM servers WHERE user_id = ? AND name = ?').run(userId, serverName);
  }

  /** Batched activity, epoch ms per server, keyed by `activityKey(userId, serverName)` (the ActivityRecorder's timer). */
  recordActivity(updates: ReadonlyMap<string, number>): void {
    const update = this.#db.prepare(
      'UPDATE servers SET last_activity = @at WHERE user_id = @userId AND name = @name AND (last_activity IS NULL OR last_activity < @at)',
    );
    this.#db.transaction(() => {
      for (const [key, at] of updates) update.run({ at, ...parseActivityKey(key) });
    });
  }

  // PortRegistry: the PRIMARY KEY (host, port) on ports is the UNIQUE guarantee that two spawns never share a port.
  claim(host: string, port: number, owner: string): boolean {
    return this.#db
      .prepare('INSERT INTO ports (host, port, owner, claimed_at) VALUES (?, ?, ?, ?) ON CONFLICT (host, port) DO NOTHING')
      .run(host, port, owner, Date.now()).changes === 1;
  }

  /** The spawner releases a port once the process on it is gone, so a row's handle for it goes too. */
  release(host: string, port: number): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM ports WHERE host = ? AND port = ?').run(host, port);
      this.#db.prepare("UPDATE servers SET host = NULL, port = NULL, state = '{}' WHERE host = ? AND port = ?").run(host, port);
    });
  }

  /** Port claims with no server row (left by a hub that died between a claim and launched()). */
  releaseOrphanedPorts(): number {
    return this.#db
      .prepare('DELETE FROM ports WHERE NOT EXISTS (SELECT 1 FROM servers s WHERE s.host = ports.host AND s.port = ports.port)')
      .run().changes;
  }
}

/** One key per server for batched activity: the user id cannot contain '/', the server name follows it. */
export function activityKey(userId: number, serverName: string): string {
  return `${userId}/${serverName}`;
}

function parseActivityKey(key: string): { userId: number; name: string } {
  const slash = key.indexOf('/');
  return { userId: Number(key.slice(0, slash)), name: key.slice(slash + 1) };
}
