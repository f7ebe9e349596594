import type { Context, Next } from 'koa';
import type { WriteGate } from '../db/write-gate.ts';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A request that changes state waits, without blocking the event loop, until the database takes
 * writes (another process may hold its lock); past the gate's bound it is answered 503 with
 * Retry-After. Reads go straight through: in WAL mode nothing blocks them.
 */
export function awaitWritableDatabase(gate: WriteGate) {
  return async function awaitWritableDatabaseMiddleware(ctx: Context, next: Next): Promise<void> {
    if (!READ_METHODS.has(ctx.method)) await gate.whenWritable();
    await next();
  };
}
