import type { AccountRecord, AccountStore, ThrottleStore } from '@gatehouse/authenticators';
import { gatehouseError } from '../errors.ts';
import type { Database } from './database.ts';

interface RawAccount {
  username: string;
  password_hash: string | null;
  status: AccountRecord['status'];
  created_at: number;
}

function toAccount(raw: RawAccount): AccountRecord {
  return { username: raw.username, passwordHash: raw.password_hash, status: raw.status, createdAt: new Date(raw.created_at) };
}

/** Local accounts (passwords, sign-up status) in the hub database, for account-based authenticators. */
export class SqliteAccountStore implements AccountStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  get(username: string): AccountRecord | undefined {
    const raw = this.#db.prepare<[string], RawAccount>('SELECT * FROM accounts WHERE username = ?').get(username);
    return raw === undefined ? undefined : toAccount(raw);
  }

  create(account: { username: string; passwordHash: string | null; status: AccountRecord['status'] }): AccountRecord {
    if (this.get(account.username) !== undefined) {
      throw gatehouseError('GATEHOUSE_ERR_USER_EXISTS', `the account ${account.username} already exists`);
    }
    const raw = this.#db
      .prepare<[string, string | null, string, number], RawAccount>(
        'INSERT INTO accounts (username, password_hash, status, created_at) VALUES (?, ?, ?, ?) RETURNING *',
      )
      .get(account.username, account.passwordHash, account.status, Date.now()) as RawAccount;
    return toAccount(raw);
  }

  setPasswordHash(username: string, passwordHash: string): void {
    this.#requireChange(this.#db.prepare('UPDATE accounts SET password_hash = ? WHERE username = ?').run(passwordHash, username).changes, username);
  }

  setStatus(username: string, status: AccountRecord['status']): void {
    this.#requireChange(this.#db.prepare('UPDATE accounts SET status = ? WHERE username = ?').run(status, username).changes, username);
  }

  delete(username: string): boolean {
    return this.#db.prepare('DELETE FROM accounts WHERE username = ?').run(username).changes > 0;
  }

  list(): AccountRecord[] {
    return this.#db.prepare<[], RawAccount>('SELECT * FROM accounts ORDER BY username').all().map(toAccount);
  }

  #requireChange(changes: number, username: string): void {
    if (changes === 0) throw gatehouseError('GATEHOUSE_ERR_USER_NOT_FOUND', `no account named ${username}`);
  }
}

/** Login failure timestamps, persisted so that a restart does not lift a lockout. */
export class SqliteThrottleStore implements ThrottleStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  recordFailure(key: string, at: Date): void {
    this.#db.prepare('INSERT INTO login_failures (key, at) VALUES (?, ?)').run(key, at.getTime());
  }

  failuresSince(key: string, since: Date): Date[] {
    return this.#db
      .prepare<[string, number], { at: number }>('SELECT at FROM login_failures WHERE key = ? AND at >= ? ORDER BY at')
      .all(key, since.getTime())
      .map((row) => new Date(row.at));
  }

  clear(key: string): void {
    this.#db.prepare('DELETE FROM login_failures WHERE key = ?').run(key);
  }

  /** Drops records older than `before` (housekeeping, from a timer). */
  prune(before: Date): void {
    this.#db.prepare('DELETE FROM login_failures WHERE at < ?').run(before.getTime());
  }
}
