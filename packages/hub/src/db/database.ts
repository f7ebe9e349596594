
/**
 * The database as the hub's stores and services see it: prepared statements, transactions, and the
 * few lock and change facts the hub needs. Stores take a `Database`, never a driver's type, and keep
 * to SQL any relational store understands; what only one engine has (SQLite's PRAGMAs, busy timeout,
 * `VACUUM INTO`, change counters) lives behind this interface in that engine's module (`sqlite.ts`).
 *
 * Calls are synchronous (better-sqlite3 is). Times are stored one way: INTEGER milliseconds since
 * the Unix epoch (UTC), in every table; stores convert at their edge (docs/database.md).
 */
export interface Database {
  /** False once `close()` has run. */
  readonly open: boolean;
  /**
   * Compiles one SQL statement, run as often as wanted. Parameters are positional (`?`) or named
   * (`@name`, given as one object); `P` types them and `R` a result row.
   */
  prepare<P extends unknown[] | {} = unknown[], R = unknown>(sql: string): Statement<P, R>;
  /** Runs `work` in one transaction: all of it is committed, or nothing when it throws (rethrown). Nests. */
  transaction<T>(work: () => T): T;
  /**
   * Runs a write that may be skipped, without waiting for another process's write lock: false
   * (nothing written) when the lock is held. Other errors are thrown.
   */
  writeIfFree(write: () => unknown): boolean;
  /** Whether a write could start right now (true inside a transaction); never waits. */
  writableNow(): boolean;
  /** Longest a statement waits, inside the driver and so blocking the event loop, for another process's lock. */
  limitLockWait(ms: number): void;
  /**
   * A value equal to an earlier one only if nothing may have changed in between: no write through
   * this connection and no commit by another (the CLI in another process). Cheap: one read.
   */
  changeStamp(): string;
  /** The number of the last migration applied (migrations.ts). */
  schemaVersion(): number;
  close(): void;
}

/** A prepared statement (better-sqlite3's shape, which the SQLite implementation returns as is). */
export interface Statement<P extends unknown[] | {} = unknown[], R = unknown> {
  /** Runs a statement that returns no rows; `changes` counts the rows it inserted, updated or deleted. */
  run(...params: P extends unknown[] ? P : [P]): { readonly changes: number };
  /** The first row, or undefined. */
  get(...params: P extends unknown[] ? P : [P]): R | undefined;
  all(...params: P extends unknown[] ? P : [P]): R[];
}

export const DATABASE_FILE = 'gatehouse.sqlite';
