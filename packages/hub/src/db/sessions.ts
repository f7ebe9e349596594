import { createHash, randomBytes } from 'node:crypto';
import type { Database } from './database.ts';

/** A login session as stored server-side. The cookie holds only the random id; the table only its hash. */
export interface SessionRecord {
  readonly username: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly data: Record<string, unknown>;
}

export interface SessionLifetimes {
  /** Sliding expiry: a session unused this long is gone. */
  readonly idleTimeoutMs: number;
  /** Absolute expiry: no session lives longer than this, however active. */
  readonly maxAgeMs: number;
}

/** last_seen_at is written at most this often per session: sliding expiry without a write per request. */
const TOUCH_INTERVAL_MS = 60_000;

interface RawSession {
  username: string;
  data: string;
  created_at: number;
  last_seen_at: number;
}

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** What the sessions table keys a session by (the id itself is never stored). */
export function sessionIdHash(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/**
 * Server-side sessions in the hub database. Every lookup reads the table (a primary-key read,
 * microseconds), so logout, `userdel` and revocation from any process take effect on the next request.
 */
export class SessionStore {
  readonly #db: Database;
  readonly #lifetimes: SessionLifetimes;
  readonly #now: () => number;
  readonly #select;
  readonly #touch;
  readonly #delete;

  constructor(db: Database, lifetimes: SessionLifetimes, now: () => number = Date.now) {
    this.#db = db;
    this.#lifetimes = lifetimes;
    this.#now = now;
    this.#select = db.prepare<[string], RawSession>('SELECT username, data, created_at, last_seen_at FROM sessions WHERE id_hash = ?');
    this.#touch = db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?');
    this.#delete = db.prepare('DELETE FROM sessions WHERE id_hash = ?');
  }

  get lifetimes(): SessionLifetimes {
    return this.#lifetimes;
  }

  /** The live session for `id`, or undefined (unknown, idle too long, or past its absolute age). */
  lookup(id: string): SessionRecord | undefined {
    if (id.length === 0 || id.length > 128) return undefined;
    return this.lookupByHash(sessionIdHash(id));
  }

  /** lookup() for a session known by its id's hash (auth_request cookies refer to sessions so). */
  lookupByHash(idHash: string): SessionRecord | undefined {
    const raw = this.#select.get(idHash);
    if (raw === undefined) return undefined;
    const now = this.#now();
    if (now - raw.last_seen_at > this.#lifetimes.idleTimeoutMs || now - raw.created_at > this.#lifetimes.maxAgeMs) {
      this.#db.writeIfFree(() => this.#delete.run(idHash)); // expired either way; housekeeping deletes it otherwise
      return undefined;
    }
    let lastSeenAt = raw.last_seen_at;
    // A refresh the database refuses (locked by another process) is tried again on the next request.
    if (now - lastSeenAt > TOUCH_INTERVAL_MS && this.#db.writeIfFree(() => this.#touch.run(now, idHash))) lastSeenAt = now;
    return { username: raw.username, createdAt: raw.created_at, lastSeenAt, data: JSON.parse(raw.data) as Record<string, unknown> };
  }

  /**
   * Until when a record lookup() returned stays what lookup() would return, barring writes to the
   * table: its idle or absolute expiry, or when lookup() would next refresh last_seen_at.
   */
  reusableUntil(record: SessionRecord): number {
    return Math.min(record.lastSeenAt + TOUCH_INTERVAL_MS, record.lastSeenAt + this.#lifetimes.idleTimeoutMs, record.createdAt + this.#lifetimes.maxAgeMs);
  }

  /** Inserts or replaces the session `id`; its creation time is kept across saves. */
  save(id: string, username: string, data: Record<string, unknown>): void {
    const now = this.#now();
    this.#db
      .prepare(
        `INSERT INTO sessions (id_hash, username, data, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(id_hash) DO UPDATE SET data = excluded.data, last_seen_at = excluded.last_seen_at
         WHERE sessions.username = excluded.username`,
      )
      .run(sessionIdHash(id), username, JSON.stringify(data), now, now);
  }

  destroy(id: string): void {
    this.#delete.run(sessionIdHash(id));
  }

  /** Ends every session of `username` (revocation, password change, user deleted). */
  destroyAllFor(username: string): number {
    return this.#db.prepare('DELETE FROM sessions WHERE username = ?').run(username).changes;
  }

  /** Removes expired rows (housekeeping, from a timer). */
  prune(): number {
    const now = this.#now();
    return this.#db
      .prepare('DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?')
      .run(now - this.#lifetimes.idleTimeoutMs, now - this.#lifetimes.maxAgeMs).changes;
  }
}
