import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { sessionIdHash } from '../db/sessions.ts';

/** How long a person has between the first factor and the second. */
export const PENDING_LOGIN_MS = 5 * 60 * 1000;

export interface PendingLogin {
  readonly idHash: string;
  readonly username: string;
  /** Where the browser goes once signed in (already checked by safeNextPath). */
  readonly next: string;
}

/**
 * The single-purpose state between the first factor and the second: not a session. It names a user
 * and a destination, lives 5 minutes, is only read by /hub/login/totp (its cookie is scoped there)
 * and is deleted when the login completes. Like sessions, only the hash of its random id is stored.
 */
export class PendingLoginStore {
  readonly #db: Database;
  readonly #now: () => number;

  constructor(db: Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** A new pending login; returns the id for the cookie. */
  create(username: string, next: string): string {
    const id = randomBytes(32).toString('base64url');
    this.#db.prepare('INSERT INTO pending_logins (id_hash, username, next, expires_at) VALUES (?, ?, ?, ?)').run(sessionIdHash(id), username, next, this.#now() + PENDING_LOGIN_MS);
    return id;
  }

  /** The live pending login for `id`, or undefined (unknown, expired or completed). */
  get(id: string | undefined): PendingLogin | undefined {
    if (id === undefined || id.length === 0 || id.length > 128) return undefined;
    const row = this.#db
      .prepare<[string, number], { id_hash: string; username: string; next: string }>('SELECT id_hash, username, next FROM pending_logins WHERE id_hash = ? AND expires_at > ?')
      .get(sessionIdHash(id), this.#now());
    return row === undefined ? undefined : { idHash: row.id_hash, username: row.username, next: row.next };
  }

  /** Ends a pending login; true for the one caller that ended it. */
  consume(pending: PendingLogin): boolean {
    return this.#db.prepare('DELETE FROM pending_logins WHERE id_hash = ? AND expires_at > ?').run(pending.idHash, this.#now()).changes === 1;
  }

  prune(): number {
    return this.#db.prepare('DELETE FROM pending_logins WHERE expires_at <= ?').run(this.#now()).changes;
  }
}
