import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { GatehouseConfigInput } from '@gatehouse/hub';
import { runCli, startCliHub, type CliHub } from '../support/cli.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { waitFor } from '../support/processes.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

/**
 * Shared by the reliability suite: a hub with an admin token, Prometheus samples read back, and
 * sockets that break off a request part-way, as a failing client or network does.
 */

export interface ReliabilityFixture {
  hub: TestHub;
  /** An `inherit` API token of the admin `admin`. */
  adminToken: string;
}

/** An in-process hub with `admin` (holding an API token) for the calling test file. */
export function useReliabilityHub(overrides: () => Partial<GatehouseConfigInput> = () => ({})): ReliabilityFixture {
  const fixture = {} as ReliabilityFixture;
  beforeAll(async () => {
    fixture.hub = await startTestHub({ adminUsers: ['admin'], stopServersOnShutdown: true, ...overrides() });
    const admin = fixture.hub.services.users.get('admin');
    if (admin === undefined) throw new Error('the hub did not create its admin');
    fixture.adminToken = fixture.hub.services.tokens.mint({ userId: admin.id, kind: 'api', scopes: ['inherit'] }).token;
  });
  afterAll(async () => {
    await fixture.hub?.close();
    cleanupTempDirs();
  });
  return fixture;
}

/** The sum of every sample of `metric` whose labels include all of `labels` (Prometheus text). */
export function sampleSum(text: string, metric: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    if (Object.entries(labels).every(([name, value]) => line.includes(`${name}="${value}"`))) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}

/** /hub/metrics as the admin sees it. */
export async function scrape(fixture: ReliabilityFixture): Promise<string> {
  const response = await fetch(`${fixture.hub.baseUrl}/hub/metrics`, { headers: { authorization: `token ${fixture.adminToken}` } });
  return response.text();
}

/** Waits until the hub has finished timing `count` more requests with `method` than `before` showed. */
export async function waitForTimedRequests(fixture: ReliabilityFixture, before: string, method: string, count: number): Promise<string> {
  const base = sampleSum(before, 'gatehouse_hub_request_duration_seconds_count', { method });
  return waitFor(`${count} ${method} requests timed`, async () => {
    const text = await scrape(fixture);
    return sampleSum(text, 'gatehouse_hub_request_duration_seconds_count', { method }) >= base + count && text;
  });
}

/** Writes `bytes` on a fresh connection to the hub and closes it without waiting for an answer. */
export async function sendAndHangUp(baseUrl: string, bytes: string): Promise<void> {
  const { hostname, port } = new URL(baseUrl);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => socket.write(bytes, () => resolve()));
  });
  socket.destroy();
}

/** GATEHOUSE_TOKEN of the CLI hubs this suite starts: an `inherit` token of their admin `admin`. */
export const CLI_ADMIN_TOKEN = 'reliability-suite-admin-token-0123456789abcdef';

/** Which spawner class of @gatehouse/spawner a CLI hub runs, with options beside its port range. */
export interface CliSpawner {
  readonly className: 'LocalProcessSpawner' | 'JupyterhubSingleuserSpawner';
  readonly options?: Readonly<Record<string, unknown>>;
}

/** How a CLI hub of this suite is set up beyond its port range. */
export interface CliHubOptions {
  /** Config keys as TypeScript source, e.g. `logLevel: 'debug'`. */
  readonly extra?: string;
  readonly spawner?: CliSpawner;
  /** A command that execs the hub in its own place, e.g. `['prlimit', '--nofile=256:256']`. */
  readonly launcher?: readonly string[];
}

/**
 * A hub.config.ts for `gatehouse start`: the dummy authenticator, `admin` as admin, the demo app
 * (or `spawner`) on `portRange`, plus `extra` (config keys as TypeScript source, e.g. `logLevel: 'debug'`).
 */
export function writeReliabilityConfig(dir: string, portRange: [number, number], extra = '', spawner: CliSpawner = { className: 'LocalProcessSpawner' }): string {
  const file = path.join(dir, 'hub.config.ts');
  const spawnerOptions = { portRange, stopGracePeriod: 2, ...spawner.options };
  const options = { adminUsers: ['admin'], stopServersOnShutdown: true, serverPollInterval: 1 };
  const source = [
    "import { defineConfig } from '@gatehouse/hub';",
    "import { DummyAuthenticator } from '@gatehouse/authenticators';",
    `import { ${spawner.className} } from '@gatehouse/spawner';`,
    `export default defineConfig({ authenticator: new DummyAuthenticator(), spawner: new ${spawner.className}(${JSON.stringify(spawnerOptions)}), ...${JSON.stringify(options)}, ${extra} });`,
  ];
  writeFileSync(file, source.join('\n'));
  return file;
}

export type ReliabilityCliHub = CliHub & { readonly dataDir: string; readonly configFile: string; readonly baseUrl: string };

/** `gatehouse start` in a fresh data dir with the config above, holding CLI_ADMIN_TOKEN. */
export async function startReliabilityCliHub(portRange: [number, number], options: CliHubOptions = {}): Promise<ReliabilityCliHub> {
  const dir = tempDir('gatehouse-reliability-');
  const dataDir = path.join(dir, 'data');
  const configFile = writeReliabilityConfig(dir, portRange, options.extra, options.spawner);
  const hub = await startCliHub(['--config', configFile, '--data-dir', dataDir, '--port', '0'], {
    env: { GATEHOUSE_TOKEN: CLI_ADMIN_TOKEN },
    ...(options.launcher === undefined ? {} : { launcher: options.launcher }),
  });
  return { ...hub, dataDir, configFile, baseUrl: hub.url.replace(/\/$/, '') };
}

/**
 * Ends every server a hub recorded, by process group, whatever became of the hub (a test may have
 * killed it with SIGKILL, which stops nothing): no test leaves a server behind.
 */
function killRecordedServers(dataDir: string): void {
  const db = new Database(path.join(dataDir, 'gatehouse.sqlite'), { readonly: true, fileMustExist: true });
  try {
    for (const { state } of db.prepare('SELECT state FROM servers').all() as Array<{ state: string }>) {
      const pgid = (JSON.parse(state) as { pgid?: unknown }).pgid;
      if (typeof pgid !== 'number') continue;
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } finally {
    db.close();
  }
}

/** For the calling test file: starts CLI hubs; after the file stops them and every server they recorded. */
export function useCliHubs(): (portRange: [number, number], options?: string | CliHubOptions) => Promise<ReliabilityCliHub> {
  const started: ReliabilityCliHub[] = [];
  afterAll(async () => {
    for (const hub of started.splice(0)) {
      await hub.stop('SIGKILL');
      killRecordedServers(hub.dataDir);
    }
    cleanupTempDirs();
  });
  return async (portRange, options) => {
    const hub = await startReliabilityCliHub(portRange, typeof options === 'string' ? { extra: options } : options);
    started.push(hub);
    return hub;
  };
}

/** A JSON REST call on a CLI hub with its admin token. */
export async function adminApi(baseUrl: string, method: string, route: string, json?: unknown): Promise<Response> {
  return fetch(`${baseUrl.replace(/\/$/, '')}/hub/api${route}`, {
    method,
    headers: { authorization: `token ${CLI_ADMIN_TOKEN}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
}

/** Creates `name` on a CLI hub, starts their server, and returns an API token of theirs (`gatehouse token`, as they would). */
export async function userWithServer(hub: ReliabilityCliHub, name: string): Promise<string> {
  expect((await adminApi(hub.baseUrl, 'POST', `/users/${name}`)).status).toBe(201);
  const minted = await runCli(['token', name, '--config', hub.configFile, '--data-dir', hub.dataDir]);
  expect(minted.code, minted.stderr).toBe(0);
  expect((await adminApi(hub.baseUrl, 'POST', `/users/${name}/server`)).status).toBe(202);
  await waitFor(`${name}'s server`, async () => ((await (await adminApi(hub.baseUrl, 'GET', `/users/${name}`)).json()) as { server: string | null }).server !== null);
  return minted.stdout.trim();
}
