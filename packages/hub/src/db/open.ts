/**
 * Opening the hub database: the one place that knows the store behind the Database interface
 * (database.ts) is SQLite (sqlite.ts). Callers take a Database and never see SQLite.
 */
import { DATABASE_FILE, type Database } from './database.ts';
import { isSqliteBusy, openSqliteDatabase, type OpenSqliteOptions } from './sqlite.ts';

export type OpenDatabaseOptions = OpenSqliteOptions;

/** Opens (creating if needed) the hub database in `dataDir`, migrated to the latest version. */
export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): Database {
  return openSqliteDatabase(dataDir, DATABASE_FILE, options);
}

export function schemaVersion(db: Database): number {
  return db.schemaVersion();
}

/** Whether `error` is the database refusing because another process holds its write lock. */
export function isDatabaseBusy(error: unknown): boolean {
  return isSqliteBusy(error);
}
