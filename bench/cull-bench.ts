/**
 * The idle culler's sweep on a big hub: `users` users and `servers` running servers. The hub runs
 * inside this process (startHub, a real SQLite file), so the sweep's CPU time is read with
 * process.cpuUsage() around it: that is the hub's time. Its servers are real HTTP listeners of an
 * in-process spawner (500 Jupyter or demo processes would not fit this machine); the sweep never
 * talks to them, only judges them. Two cases, `sweeps` times each:
 *   quiet  every server and user active: the sweep judges all and stops nothing (the usual sweep);
 *   due    the hub's clock moved past the timeout with dryRun on: every server and user is due and
 *          is logged, counted and listed (the most a sweep does short of stopping processes).
 */
import http from 'node:http';
import { Writable } from 'node:stream';
import { DummyAuthenticator } from '../packages/authenticators/src/index.ts';
import { createLogger, startHub, validateConfig } from '../packages/hub/src/index.ts';
import type { ServerHandle, Spawner, SpawnRequest } from '../packages/spawner/src/index.ts';
import { report } from './measure.ts';
import { makeTempDir } from './processes.ts';

export interface CullBenchOptions {
  readonly users: number;
  readonly servers: number;
  readonly sweeps: number;
}

export interface SweepFigures {
  /** Hub CPU (user + system) per sweep, ms. */
  readonly cpuMs: { readonly median: number; readonly max: number };
  readonly wallMs: { readonly median: number; readonly max: number };
}

export interface CullBenchResult {
  readonly users: number;
  readonly servers: number;
  readonly sweeps: number;
  readonly quiet: SweepFigures;
  readonly due: SweepFigures;
}

/** Servers that are HTTP listeners in this process: start, poll and stop without child processes (also the admin bench's). */
export class ListenerSpawner implements Spawner {
  readonly kind = 'bench-listener';
  readonly startTimeout = 30;
  readonly #servers = new Map<number, http.Server>();

  init(): void {}

  async start(request: SpawnRequest): Promise<ServerHandle> {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    this.#servers.set(port, server);
    const handle: ServerHandle = { host: '127.0.0.1', port, credential: 'token-header', state: {} };
    request.launched(handle);
    return handle;
  }

  async poll(handle: ServerHandle): Promise<'running' | 'stopped'> {
    return this.#servers.has(handle.port) ? 'running' : 'stopped';
  }

  async stop(handle: ServerHandle): Promise<void> {
    const server = this.#servers.get(handle.port);
    this.#servers.delete(handle.port);
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  }

  async readLog(): Promise<string> {
    return ''; // the listeners write no output
  }
}

const discard = new Writable({ write: (_chunk, _encoding, done) => done() });

export async function runCullBench(options: CullBenchOptions): Promise<CullBenchResult> {
  const clock = { now: Date.now() };
  const config = validateConfig({
    ip: '127.0.0.1',
    port: 0,
    dataDir: makeTempDir('gatehouse-bench-cull-'),
    authenticator: new DummyAuthenticator(),
    spawner: new ListenerSpawner(),
    serverPollInterval: 60,
    cull: { timeout: 3600, every: 3600, users: true, dryRun: true },
  });
  const hub = await startHub(config, { logger: createLogger('info', discard), writeRuntimeFile: false, now: () => clock.now });
  try {
    const { users, servers, culler } = hub.services;
    const setup = performance.now();
    hub.services.db.transaction(() => {
      for (let i = 0; i < options.users; i += 1) users.create(`cull${String(i).padStart(5, '0')}`, false);
    });
    const owners = users.list({ limit: options.servers });
    for (let at = 0; at < owners.length; at += 100) {
      const batch = owners.slice(at, at + 100);
      for (const user of batch) servers.start(user);
      await Promise.all(batch.map((user) => servers.settled(user.name)));
    }
    // Every user active now: the quiet sweep judges all of them and deletes none.
    users.recordActivity(new Map(users.list().map((user) => [user.name, clock.now])));
    if (servers.counts().running !== options.servers) throw new Error(`only ${servers.counts().running} of ${options.servers} servers are running`);
    report(`cull: ${options.users} users and ${options.servers} servers ready in ${((performance.now() - setup) / 1000).toFixed(1)} s`);

    const measure = async (expectCulls: boolean): Promise<SweepFigures> => {
      const cpu: number[] = [];
      const wall: number[] = [];
      for (let i = 0; i < options.sweeps; i += 1) {
        const before = process.cpuUsage();
        const started = performance.now();
        const result = await culler.sweep();
        wall.push(performance.now() - started);
        const used = process.cpuUsage(before);
        cpu.push((used.user + used.system) / 1000);
        if (result.servers !== options.servers) throw new Error(`the sweep saw ${result.servers} servers`);
        if (!expectCulls && result.culledServers > 0) throw new Error('a quiet sweep culled a server');
        if (expectCulls && i === 0 && result.culledServers !== options.servers) throw new Error(`the due sweep found ${result.culledServers} servers due`);
      }
      return { cpuMs: stats(cpu), wallMs: stats(wall) };
    };
    const quiet = await measure(false);
    clock.now += 2 * 3600 * 1000;
    const due = await measure(true);
    report(`cull: one sweep costs ${quiet.cpuMs.median.toFixed(1)} ms of hub CPU (max ${quiet.cpuMs.max.toFixed(1)}); with everything due ${due.cpuMs.median.toFixed(1)} ms (first ${due.cpuMs.max.toFixed(1)})`);
    return { users: options.users, servers: options.servers, sweeps: options.sweeps, quiet, due };
  } finally {
    await Promise.all(hub.services.servers.routes().map((route) => hub.services.servers.stop({ id: route.userId, name: route.username })));
    await hub.close();
  }
}

function stats(values: readonly number[]): { median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? NaN, max: sorted.at(-1) ?? NaN };
}
