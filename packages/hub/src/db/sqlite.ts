import { closeSync, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { gatehouseError } from '../errors.ts';
import type { Database, Statement } from './database.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';

/**
 * The SQLite implementation of `Database` (better-sqlite3), and the only module that knows it: WAL
 * mode, PRAGMAs, the busy timeout, backups before a migration and SQLite's change counters.
 */

export interface OpenSqliteOptions {
  /** Apply migrations only up to this version (tests build old databases with it). */
  readonly targetVersion?: number;
  /** Called with the backup path before migrating a database that already has data. */
  readonly onBackup?: (backupPath: string, fromVersion: number, toVersion: number) => void;
}

/**
 * Prepared statements kept per SQL text: stores prepare their SQL at each call, and compiling it again
 * every time cost a measurable share of the hub's CPU in a class-arrival burst. Bounded (least
 * recently used goes) in case some SQL is built per request.
 */
const STATEMENT_CACHE_SIZE = 256;

/** How long a statement waits for another process's lock until the hub serves (WriteGate.serve lowers it). */
const OPENING_BUSY_TIMEOUT_MS = 5000;

/** SQLite refused because another connection holds the write lock (or is recovering the WAL). */
export function isSqliteBusy(error: unknown): boolean {
  return error instanceof BetterSqlite3.SqliteError && error.code.startsWith('SQLITE_BUSY');
}

/** Opens (creating if needed) `dataDir/fileName` in WAL mode, migrated to the latest version. */
export function openSqliteDatabase(dataDir: string, fileName: string, options: OpenSqliteOptions = {}): Database {
  const file = path.join(dataDir, fileName);
  // Created 0600 (SQLite gives its -wal and -shm files the same mode): it holds password hashes.
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  const connection = new BetterSqlite3(file);
  try {
    connection.pragma('journal_mode = WAL');
    connection.pragma('foreign_keys = ON');
    connection.pragma(`busy_timeout = ${OPENING_BUSY_TIMEOUT_MS}`);
    connection.pragma('synchronous = NORMAL');
    migrate(connection, file, MIGRATIONS, options);
    return new SqliteDatabase(connection);
  } catch (error) {
    connection.close();
    throw error;
  }
}

class SqliteDatabase implements Database {
  readonly #db: BetterSqlite3.Database;
  readonly #begin;
  readonly #rollback;
  readonly #changes;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#rollback = db.prepare('ROLLBACK');
    // total_changes(): writes by this connection; data_version: commits by any other connection.
    this.#changes = db.prepare<[], [number, number]>('SELECT total_changes(), (SELECT data_version FROM pragma_data_version)').raw();
  }

  get open(): boolean {
    return this.#db.open;
  }

  /** The same compiled statement for the same SQL (safe to share: `Statement` only runs it; nothing changes its mode). */
  prepare<P extends unknown[] | {} = unknown[], R = unknown>(sql: string): Statement<P, R> {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.delete(this.#statements.keys().next().value as string);
    } else {
      this.#statements.delete(sql); // re-inserted below: the most recently used is last
    }
    this.#statements.set(sql, statement);
    return statement as unknown as Statement<P, R>;
  }

  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  writeIfFree(write: () => unknown): boolean {
    const busyTimeoutMs = this.#db.pragma('busy_timeout', { simple: true }) as number;
    this.#db.pragma('busy_timeout = 0');
    try {
      write();
      return true;
    } catch (error) {
      if (isSqliteBusy(error)) return false;
      throw error;
    } finally {
      this.#db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    }
  }

  writableNow(): boolean {
    return (
      this.#db.inTransaction ||
      this.writeIfFree(() => {
        this.#begin.run();
        this.#rollback.run();
      })
    );
  }

  limitLockWait(ms: number): void {
    this.#db.pragma(`busy_timeout = ${Math.max(0, Math.floor(ms))}`);
  }

  changeStamp(): string {
    const [changes, dataVersion] = this.#changes.get() as [number, number];
    return `${changes}:${dataVersion}`;
  }

  schemaVersion(): number {
    return userVersion(this.#db);
  }

  close(): void {
    this.#db.close();
  }
}

function userVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: BetterSqlite3.Database, file: string, migrations: readonly Migration[], options: OpenSqliteOptions): void {
  const current = userVersion(db);
  const target = options.targetVersion ?? migrations.at(-1)?.version ?? 0;
  const pending = migrations.filter((m) => m.version > current && m.version <= target);
  if (pending.length === 0) return;
  if (current > 0) {
    const backup = backupPath(file, current);
    // VACUUM INTO writes a consistent copy even while WAL holds uncheckpointed pages.
    db.prepare('VACUUM INTO ?').run(backup);
    options.onBackup?.(backup, current, target);
  }
  for (const migration of pending) {
    try {
      if (migration.rebuildsTables === true) db.pragma('foreign_keys = OFF'); // not changeable inside a transaction
      db.transaction(() => {
        db.exec(migration.sql);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new Error(`${broken.length} rows would break a foreign key`);
        db.pragma(`user_version = ${migration.version}`);
      })();
    } catch (error) {
      throw gatehouseError(
        'GATEHOUSE_ERR_MIGRATION',
        `migration ${migration.version} (${migration.description}) failed: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      if (migration.rebuildsTables === true) db.pragma('foreign_keys = ON');
    }
  }
}

function backupPath(file: string, version: number): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let candidate = `${file}.v${version}.${stamp}.bak`;
  for (let n = 1; existsSync(candidate); n++) candidate = `${file}.v${version}.${stamp}-${n}.bak`;
  return candidate;
}
