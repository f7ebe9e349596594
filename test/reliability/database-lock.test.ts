import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { portBlock } from '../proxy/helpers.ts';
import { adminApi, CLI_ADMIN_TOKEN, sampleSum, useCliHubs, userWithServer, useReliabilityHub } from './helpers.ts';

/**
 * Another process holding gatehouse.sqlite's write lock (BEGIN IMMEDIATE, as a long CLI command or
 * a backup would) must not freeze the hub: other users' proxied requests and API reads stay fast,
 * and a write waits for the lock without blocking, or is answered 503 with Retry-After — never 500.
 */

const PORTS = portBlock(8);

/** Holds the write lock of `dataDir`'s database from this process until `release()`. */
function holdWriteLock(dataDir: string): { release(): void } {
  const db = new Database(path.join(dataDir, 'gatehouse.sqlite'));
  db.exec('BEGIN IMMEDIATE');
  return {
    release() {
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

/** /hub/metrics of a CLI hub, as its admin. */
async function scrape(base: string): Promise<string> {
  return (await fetch(`${base}/hub/metrics`, { headers: { authorization: `token ${CLI_ADMIN_TOKEN}` } })).text();
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Timed GETs of `url`, back to back, until `until` settles; every one must answer 200. */
async function timeRequestsUntil(url: string, headers: Record<string, string>, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const times: number[] = [];
  while (!done) {
    const started = performance.now();
    const response = await fetch(url, { headers });
    await response.arrayBuffer();
    times.push(performance.now() - started);
    expect(response.status).toBe(200);
  }
  return times;
}

describe('a database locked by another process', () => {
  const startHub = useCliHubs();

  it('keeps proxied requests and reads fast; a write waits for a short lock and gets 503 + Retry-After for a long one', async () => {
    const hub = await startHub(PORTS);
    const base = hub.baseUrl;
    const bobToken = await userWithServer(hub, 'bob');
    const proxied = `${base}/user/bob/api/ping`;
    const bob = { authorization: `token ${bobToken}` };
    const admin = { authorization: `token ${CLI_ADMIN_TOKEN}` };

    for (const { lockMs, expected } of [
      { lockMs: 2_000, expected: 201 },
      { lockMs: 6_000, expected: 503 },
    ]) {
      await scrape(base); // resets the event-loop delay maximum
      const lock = holdWriteLock(hub.dataDir);
      const released = new Promise<void>((resolve) => setTimeout(resolve, lockMs)).then(() => lock.release());
      const name = `carol${lockMs}`;
      const [proxiedTimes, readTimes, response] = await Promise.all([
        timeRequestsUntil(proxied, bob, released),
        timeRequestsUntil(`${base}/hub/api/users/bob`, admin, released),
        adminApi(base, 'POST', `/users/${name}`),
      ]);
      await released;
      const loopDelay = sampleSum(await scrape(base), 'gatehouse_process_nodejs_eventloop_lag_max_seconds') * 1000;
      console.info(`${lockMs} ms lock: write ${response.status}; proxied p99 ${percentile(proxiedTimes, 99).toFixed(1)} ms of ${proxiedTimes.length}, API read p99 ${percentile(readTimes, 99).toFixed(1)} ms; hub event-loop delay max ${loopDelay.toFixed(1)} ms`);
      expect(response.status, `a write under a ${lockMs} ms lock`).toBe(expected);
      if (expected === 503) {
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(((await response.json()) as { code: string }).code).toBe('GATEHOUSE_ERR_DATABASE_BUSY');
      }
      // The old hub froze for the whole lock. Bounds well below it, so that a loaded machine's
      // scheduling noise cannot fail them (the figures above are the measurement).
      expect(loopDelay, 'the hub\'s event loop never waited for the lock').toBeLessThan(lockMs / 2);
      expect(Math.max(...proxiedTimes), `slowest proxied request under a ${lockMs} ms lock`).toBeLessThan(lockMs / 2);
      expect(Math.max(...readTimes), `slowest API read under a ${lockMs} ms lock`).toBeLessThan(lockMs / 2);
      expect(proxiedTimes.length).toBeGreaterThan(10);
      // Once the lock is gone, writes go through again.
      expect((await adminApi(base, 'POST', `/users/${name}-after`)).status).toBe(201);
    }
    expect(hub.output()).not.toMatch(/"level":50/);
  });
});

describe('the activity batch', () => {
  const fixture = useReliabilityHub();

  it('keeps what it could not write while the database is locked (user activity, token use), and writes it once the lock is gone', async () => {
    const { hub, adminToken } = fixture;
    const flushUnderLock = () => {
      const lock = holdWriteLock(hub.dataDir);
      try {
        expect(() => hub.services.activity.flush()).toThrow(/locked|busy/i);
      } finally {
        lock.release();
      }
    };
    const token = hub.services.tokens.resolve(adminToken);
    if (token === undefined) throw new Error('the admin token does not resolve');
    flushUnderLock();
    const at = Date.now() - 30_000;
    hub.services.activity.recordUser('admin', at);
    flushUnderLock();
    hub.services.activity.flush();
    expect(hub.services.users.get('admin')?.lastActivity).toBe(new Date(at).toISOString());
    expect(hub.services.tokens.get(token.id)?.lastActivity).not.toBeNull();
  });
});
