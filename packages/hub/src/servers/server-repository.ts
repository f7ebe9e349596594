import type { PortRegistry, ServerHandle } from '@gatehouse/spawner';
import type { Database } from '../db/database.ts';
import { isoFromStored, isoFromStoredOrNull } from '../db/stored-time.ts';

/** A server as persisted: its status, and where it listens once running. */
export interface ServerRow {
  readonly userId: number;
  readonly username: string;
  readonly status: 'pending' | 'running' | 'stopping';
  readonly handle: ServerHandle | undefined;
  /** The server token, sealed (SecretBox): the proxy injects it after a hub restart. */
  readonly sealedToken: string | null;
  readonly startedAt: string;
  readonly lastActivity: string | null;
}

interface RawServer {
  user_id: number;
  username: string;
  status: ServerRow['status'];
  host: string | null;
  port: number | null;
  credential: string | null;
  state: string;
  sealed_token: string | null;
  started_at: number;
  last_activity: number | null;
}

function toServer(raw: RawServer): ServerRow {
  const handle =
    raw.host !== null && raw.port !== null
      ? { host: raw.host, port: raw.port, credential: (raw.credential ?? 'token-header') as ServerHandle['credential'], state: JSON.parse(raw.state) as ServerHandle['state'] }
      : undefined;
  return {
    userId: raw.user_id,
    username: raw.username,
    status: raw.status,
    handle,
    sealedToken: raw.sealed_token,
    startedAt: isoFromStored(raw.started_at),
    lastActivity: isoFromStoredOrNull(raw.last_activity),
  };
}

const SELECT = `SELECT s.user_id, u.name AS username, s.status, s.host, s.port, s.credential, s.state, s.sealed_token,
                       s.started_at, s.last_activity FROM servers s JOIN users u ON u.id = s.user_id`;

/** Servers and port claims in the hub database: the hub's routes survive its restarts. */
export class ServerRepository implements PortRegistry {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  all(): ServerRow[] {
    return this.#db.prepare<[], RawServer>(SELECT).all().map(toServer);
  }

  get(userId: number): ServerRow | undefined {
    const raw = this.#db.prepare<[number], RawServer>(`${SELECT} WHERE s.user_id = ? AND s.name = ''`).get(userId);
    return raw === undefined ? undefined : toServer(raw);
  }

  insertPending(userId: number, sealedToken: string): void {
    this.#db
      .prepare("INSERT INTO servers (user_id, name, status, sealed_token, started_at) VALUES (?, '', 'pending', ?, ?)")
      .run(userId, sealedToken, Date.now());
  }

  /** A pending start's process exists: how to find it (and its port) if this hub dies now. */
  recordLaunch(userId: number, handle: ServerHandle): void {
    const changes = this.#db
      .prepare("UPDATE servers SET host = ?, port = ?, credential = ?, state = ? WHERE user_id = ? AND name = '' AND status = 'pending'")
      .run(handle.host, handle.port, handle.credential, JSON.stringify(handle.state), userId).changes;
    if (changes !== 1) throw new Error('no pending server to record the launched process for');
  }

  markRunning(userId: number, handle: ServerHandle): void {
    this.#db
      .prepare("UPDATE servers SET status = 'running', host = ?, port = ?, credential = ?, state = ? WHERE user_id = ? AND name = ''")
      .run(handle.host, handle.port, handle.credential, JSON.stringify(handle.state), userId);
  }

  markStopping(userId: number): void {
    this.#db.prepare("UPDATE servers SET status = 'stopping' WHERE user_id = ? AND name = ''").run(userId);
  }

  delete(userId: number): void {
    this.#db.prepare("DELETE FROM servers WHERE user_id = ? AND name = ''").run(userId);
  }

  /** Batched activity, epoch ms by user id (the ActivityRecorder's timer). */
  recordActivity(updates: ReadonlyMap<number, number>): void {
    const update = this.#db.prepare(
      "UPDATE servers SET last_activity = @at WHERE user_id = @userId AND name = '' AND (last_activity IS NULL OR last_activity < @at)",
    );
    this.#db.transaction(() => {
      for (const [userId, at] of updates) update.run({ at, userId });
    });
  }

  // PortRegistry: the PRIMARY KEY on ports.port is the UNIQUE guarantee that two spawns never share a port.
  claim(port: number, owner: string): boolean {
    return this.#db.prepare('INSERT INTO ports (port, owner, claimed_at) VALUES (?, ?, ?) ON CONFLICT (port) DO NOTHING').run(port, owner, Date.now()).changes === 1;
  }

  /** The spawner releases a port once the process on it is gone, so a row's handle for it goes too. */
  release(port: number): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM ports WHERE port = ?').run(port);
      this.#db.prepare("UPDATE servers SET host = NULL, port = NULL, state = '{}' WHERE port = ?").run(port);
    });
  }

  /** Port claims with no server row (left by a hub that died mid-spawn). */
  releaseOrphanedPorts(): number {
    return this.#db.prepare('DELETE FROM ports WHERE port NOT IN (SELECT port FROM servers WHERE port IS NOT NULL)').run().changes;
  }
}
