import { closeSync, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { gatehouseError } from '../errors.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';

export type Db = Database.Database;

export const DATABASE_FILE = 'gatehouse.sqlite';

export interface OpenDatabaseOptions {
  /** Apply migrations only up to this version (tests build old databases with it). */
  readonly targetVersion?: number;
  /** Called with the backup path before migrating a database that already has data. */
  readonly onBackup?: (backupPath: string, fromVersion: number, toVersion: number) => void;
}

/** Opens (creating if needed) the hub database in `dataDir`, in WAL mode, migrated to the latest version. */
export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): Db {
  const file = path.join(dataDir, DATABASE_FILE);
  // Created 0600 (SQLite gives its -wal and -shm files the same mode): it holds password hashes.
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    migrate(db, file, MIGRATIONS, options);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db, file: string, migrations: readonly Migration[], options: OpenDatabaseOptions): void {
  const current = schemaVersion(db);
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
