import type { Database } from './database.ts';
import { isoFromStored, isoFromStoredOrNull, storedFromIso } from './stored-time.ts';

export interface UserRow {
  readonly id: number;
  readonly name: string;
  readonly admin: boolean;
  readonly createdAt: string;
  readonly lastActivity: string | null;
}

interface RawUser {
  id: number;
  name: string;
  admin: number;
  created_at: number;
  last_activity: number | null;
}

function toUser(raw: RawUser): UserRow {
  return { id: raw.id, name: raw.name, admin: raw.admin === 1, createdAt: isoFromStored(raw.created_at), lastActivity: isoFromStoredOrNull(raw.last_activity) };
}

/** The hub's user records: who has ever logged in or been added, and who is an admin. */
export class UserRepository {
  readonly #db: Database;
  readonly #byName;
  readonly #insert;

  constructor(db: Database) {
    this.#db = db;
    this.#byName = db.prepare<[string], RawUser>('SELECT id, name, admin, created_at, last_activity FROM users WHERE name = ?');
    this.#insert = db.prepare<[string, number, number], RawUser>(
      'INSERT INTO users (name, admin, created_at) VALUES (?, ?, ?) RETURNING id, name, admin, created_at, last_activity',
    );
  }

  get(name: string): UserRow | undefined {
    const raw = this.#byName.get(name);
    return raw === undefined ? undefined : toUser(raw);
  }

  getById(id: number): UserRow | undefined {
    const raw = this.#db.prepare<[number], RawUser>('SELECT id, name, admin, created_at, last_activity FROM users WHERE id = ?').get(id);
    return raw === undefined ? undefined : toUser(raw);
  }

  create(name: string, admin: boolean): UserRow {
    return toUser(this.#insert.get(name, admin ? 1 : 0, Date.now()) as RawUser);
  }

  /**
   * The user after a successful login: created on first login; `admin` is raised when the login
   * pipeline says so (adminUsers, or the authenticator), never lowered here — admins demoted in
   * the admin page stay demoted unless config lists them.
   */
  recordLogin(name: string, admin: boolean): UserRow {
    const existing = this.get(name);
    if (existing === undefined) return this.create(name, admin);
    if (admin && !existing.admin) this.setAdmin(name, true);
    return this.get(name) as UserRow;
  }

  setAdmin(name: string, admin: boolean): void {
    this.#db.prepare('UPDATE users SET admin = ? WHERE name = ?').run(admin ? 1 : 0, name);
  }

  /** Values accepted from the front proxy's data headers (DataRemoteUserAuthenticator), or undefined. */
  getUserData(id: number): Record<string, unknown> | undefined {
    const raw = this.#db.prepare<[number], { user_data: string | null }>('SELECT user_data FROM users WHERE id = ?').get(id);
    return raw?.user_data == null ? undefined : (JSON.parse(raw.user_data) as Record<string, unknown>);
  }

  setUserData(id: number, data: Record<string, unknown>): void {
    this.#db.prepare('UPDATE users SET user_data = ? WHERE id = ?').run(JSON.stringify(data), id);
  }

  /** Sealed (encrypted) auth state from the authenticator, e.g. the upstream real name. */
  setSealedAuthState(id: number, sealed: string | null): void {
    this.#db.prepare('UPDATE users SET auth_state = ? WHERE id = ?').run(sealed, id);
  }

  getSealedAuthState(id: number): string | null {
    return this.#db.prepare<[number], { auth_state: string | null }>('SELECT auth_state FROM users WHERE id = ?').get(id)?.auth_state ?? null;
  }

  delete(name: string): boolean {
    return this.#db.prepare('DELETE FROM users WHERE name = ?').run(name).changes > 0;
  }

  /** Users by name, optionally only those whose name contains `query`. */
  list(options: { offset?: number; limit?: number; query?: string } = {}): UserRow[] {
    const rows = this.#db
      .prepare<[string, number, number], RawUser>(
        "SELECT id, name, admin, created_at, last_activity FROM users WHERE instr(name, ?) > 0 ORDER BY name LIMIT ? OFFSET ?",
      )
      .all(options.query ?? '', options.limit ?? -1, options.offset ?? 0);
    return rows.map(toUser);
  }

  /** Users whose last activity (or, without any, creation) is at or before `inactiveSince`, or created at or before `createdBefore` (ISO times). */
  listInactive(inactiveSince: string, createdBefore: string): UserRow[] {
    return this.#db
      .prepare<[number, number], RawUser>(
        'SELECT id, name, admin, created_at, last_activity FROM users WHERE coalesce(last_activity, created_at) <= ? OR created_at <= ? ORDER BY name',
      )
      .all(storedFromIso(inactiveSince), storedFromIso(createdBefore))
      .map(toUser);
  }

  count(query = ''): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM users WHERE instr(name, ?) > 0').get(query) as { n: number }).n;
  }

  /** Whether any admin exists (the first-start flow runs until one does). */
  hasAdmin(): boolean {
    return this.#db.prepare('SELECT 1 FROM users WHERE admin = 1 LIMIT 1').get() !== undefined;
  }

  /** Batched activity, epoch ms by name: one transaction for many users (from a timer, not per request). */
  recordActivity(updates: ReadonlyMap<string, number>): void {
    const update = this.#db.prepare(
      'UPDATE users SET last_activity = @at WHERE name = @name AND (last_activity IS NULL OR last_activity < @at)',
    );
    this.#db.transaction(() => {
      for (const [name, at] of updates) update.run({ at, name });
    });
  }
}
