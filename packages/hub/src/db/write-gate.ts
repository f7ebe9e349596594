import { setTimeout as sleep } from 'node:timers/promises';
import { gatehouseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Database } from './database.ts';
import { isDatabaseBusy } from './open.ts';

export { isDatabaseBusy };

/**
 * Database calls are synchronous: a write that waits for another process's lock (SQLite's busy
 * timeout) stops the whole event loop, proxy included. While the hub serves, its connection waits
 * at most SERVING_LOCK_WAIT_MS inside the driver (enough for a CLI command's own short write), and
 * longer waits happen here, asynchronously: a request that will write first waits until the database takes
 * writes (probing without blocking, with backoff) and gives up with GATEHOUSE_ERR_DATABASE_BUSY (503,
 * Retry-After) after `waitMs`. Reads never wait: in WAL mode a writer does not block readers.
 */
const SERVING_LOCK_WAIT_MS = 20;
/** How long a request waits for another process's write lock before it is answered 503. */
const DEFAULT_WAIT_MS = 5_000;
const RETRY_AFTER_SECONDS = 2;
const FIRST_BACKOFF_MS = 10;
const MAX_BACKOFF_MS = 250;

/** The error a request gets when the database stayed locked: 503 with Retry-After. */
export function databaseBusyError(cause?: unknown) {
  return gatehouseError('GATEHOUSE_ERR_DATABASE_BUSY', 'the database is locked by another process', { details: { retryAfterSeconds: RETRY_AFTER_SECONDS }, cause });
}

/** One line for a background write (activity batch, housekeeping) that failed: busy is expected and retried. */
export function reportBackgroundWriteFailure(logger: Logger, what: string, error: unknown): void {
  if (isDatabaseBusy(error)) logger.warn({ task: what }, `database busy: ${what} will be written on the next attempt`);
  else logger.error({ err: error, task: what }, `${what} failed`);
}

export class WriteGate {
  readonly #db: Database;
  readonly #waitMs: number;

  constructor(db: Database, options: { waitMs?: number } = {}) {
    this.#db = db;
    this.#waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  }

  /** From now on a write blocks the event loop for at most SERVING_LOCK_WAIT_MS (called once the hub serves). */
  serve(): void {
    this.#db.limitLockWait(SERVING_LOCK_WAIT_MS);
  }

  /** Whether a write could start right now (takes and releases the write lock); never waits. */
  writable(): boolean {
    return this.#db.writableNow();
  }

  /** Resolves once a write could start, waiting without blocking; GATEHOUSE_ERR_DATABASE_BUSY after the bound. */
  async whenWritable(): Promise<void> {
    const deadline = Date.now() + this.#waitMs;
    for (let backoff = FIRST_BACKOFF_MS; !this.writable(); backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
      const wait = Math.min(backoff, deadline - Date.now());
      if (wait <= 0) throw databaseBusyError();
      await sleep(wait);
    }
  }
}
