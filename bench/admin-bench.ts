/**
 * The admin page on a big hub: `users` users and `servers` servers (some of them named), measured as
 * an admin's browser asks for it (GET /hub/admin with the session cookie, over real HTTP). The hub
 * runs inside this process (startHub, a real SQLite file) with the cull bench's in-process spawner.
 * Each case is requested `requests` times after one warm-up; the median and p95 of the full answer
 * time are reported. The table is filtered, sorted and paged in SQL (db/server-listing.ts).
 */
import { Writable } from 'node:stream';
import { DummyAuthenticator } from '../packages/authenticators/src/index.ts';
import { createLogger, startHub, validateConfig } from '../packages/hub/src/index.ts';
import { ListenerSpawner } from './cull-bench.ts';
import { loginWithForm } from './gatehouse.ts';
import { report } from './measure.ts';
import { makeTempDir } from './processes.ts';

export interface AdminBenchOptions {
  readonly users: number;
  /** Running servers: one in ten of them a named server ('lab'), the others default servers. */
  readonly servers: number;
  readonly requests: number;
}

export interface AdminPageFigures {
  readonly name: string;
  readonly path: string;
  /** Rows the page showed (a check that it is the page asked for). */
  readonly rows: number;
  readonly medianMs: number;
  readonly p95Ms: number;
}

export interface AdminBenchResult {
  readonly users: number;
  readonly servers: number;
  readonly requests: number;
  /** The budget each median and p95 must stay within. */
  readonly budgetMs: number;
  readonly cases: readonly AdminPageFigures[];
}

const BUDGET_MS = 200;
const discard = new Writable({ write: (_chunk, _encoding, done) => done() });

const CASES: ReadonlyArray<{ readonly name: string; readonly path: string }> = [
  { name: 'first page (by user)', path: '/hub/admin' },
  { name: 'search "0042"', path: '/hub/admin?q=0042' },
  { name: 'sorted by status', path: '/hub/admin?sort=status&dir=asc' },
  { name: 'sorted by last activity', path: '/hub/admin?sort=activity&dir=desc' },
  { name: 'page 100 (offset 4,950)', path: '/hub/admin?offset=4950' },
  { name: 'table refresh (fragment)', path: '/hub/admin/servers-table?sort=status&dir=asc' },
];

export async function runAdminBench(options: AdminBenchOptions): Promise<AdminBenchResult> {
  const config = validateConfig({
    ip: '127.0.0.1',
    port: 0,
    dataDir: makeTempDir('gatehouse-bench-admin-'),
    authenticator: new DummyAuthenticator(),
    spawner: new ListenerSpawner(),
    adminUsers: ['admin'],
    namedServers: { enabled: true },
    serverPollInterval: 60,
  });
  const hub = await startHub(config, { logger: createLogger('info', discard), writeRuntimeFile: false });
  try {
    const { users, servers } = hub.services;
    const setup = performance.now();
    hub.services.db.transaction(() => {
      for (let i = 0; i < options.users; i += 1) users.create(`adm${String(i).padStart(5, '0')}`, false);
    });
    const owners = users.list({ limit: options.servers });
    for (let at = 0; at < owners.length; at += 100) {
      const batch = owners.slice(at, at + 100).map((user, i) => ({ user, serverName: (at + i) % 10 === 9 ? 'lab' : '' }));
      for (const { user, serverName } of batch) servers.start(user, serverName);
      await Promise.all(batch.map(({ user, serverName }) => servers.settled(user.name, serverName)));
    }
    // Activity on every other user, spread over the last day.
    const now = Date.now();
    users.recordActivity(new Map(users.list().filter((_, i) => i % 2 === 0).map((user, i) => [user.name, now - (i % 1440) * 60_000])));
    if (servers.counts().running !== options.servers) throw new Error(`only ${servers.counts().running} of ${options.servers} servers are running`);
    report(`admin: ${options.users} users and ${options.servers} servers ready in ${((performance.now() - setup) / 1000).toFixed(1)} s`);

    const { client } = await loginWithForm(`http://127.0.0.1:${hub.port}`, 'admin');
    const cases: AdminPageFigures[] = [];
    for (const { name, path } of CASES) {
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i <= options.requests; i += 1) {
        const started = performance.now();
        const response = await client.get(path);
        const elapsed = performance.now() - started;
        if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
        rows = (response.body.match(/<tr data-user=/g) ?? []).length;
        if (i > 0) times.push(elapsed); // the first request warms the statement cache
      }
      if (rows === 0) throw new Error(`${path} showed no rows`);
      const figures = { name, path, rows, ...percentiles(times) };
      cases.push(figures);
      report(`admin: ${name}: ${rows} rows, median ${figures.medianMs.toFixed(1)} ms, p95 ${figures.p95Ms.toFixed(1)} ms`);
    }
    return { users: options.users, servers: options.servers, requests: options.requests, budgetMs: BUDGET_MS, cases };
  } finally {
    await Promise.all(hub.services.servers.routes().map((route) => hub.services.servers.stop({ id: route.userId, name: route.username }, route.serverName)));
    await hub.close();
  }
}

function percentiles(values: readonly number[]): { medianMs: number; p95Ms: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { medianMs: at(0.5), p95Ms: at(0.95) };
}
