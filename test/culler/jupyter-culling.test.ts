import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JupyterhubSingleuserSpawner } from '@gatehouse/spawner';
import type { GatehouseConfigInput } from '@gatehouse/hub';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { closeJupyterHub, jupyterDirs, jupyterSpawnerOptions, SERVER_START_MS, serverLogTail, stopServerOf, type JupyterDirs } from '../jupyter/helpers.ts';
import { mintToken, startServer, waitFor } from '../proxy/helpers.ts';
import { KernelChannels, openKernel, whileBrowsing } from './kernel-client.ts';

// The idle culler against real jupyterhub-singleuser servers, on the real clock: timeouts of a few
// seconds, a sweep every second. Each test waits for the cull by polling state, or watches a server
// through several timeouts' worth of sweeps to show it was not culled.

const TIMEOUT_S = 4;
const TEST_MS = SERVER_START_MS + 60_000;
/** A loop that keeps the kernel busy and printing (iopub activity) with no browser attached. */
const BUSY_LOOP = 'import time\nwhile True:\n    print("working", flush=True)\n    time.sleep(0.5)';

function startCullingHub(dirs: JupyterDirs, portRange: [number, number], cull: GatehouseConfigInput['cull']): Promise<TestHub> {
  const spawner = new JupyterhubSingleuserSpawner(jupyterSpawnerOptions(dirs, portRange));
  return startTestHub({ spawner, stopServersOnShutdown: true, serverPollInterval: 1, cull }, { realClock: true });
}

/** Starts `name`'s real server; returns an API token of theirs for the kernel calls. */
async function runningServer(hub: TestHub, name: string): Promise<string> {
  try {
    await startServer(hub, name);
  } catch (error) {
    throw new Error(`${name}'s server did not start:\n${serverLogTail(hub, name)}`, { cause: error });
  }
  return mintToken(hub, name).token;
}

/** Waits until the culler has stopped `name`'s server; returns the cull it recorded. */
async function cullOf(hub: TestHub, name: string) {
  await waitFor(`${name}'s server to be culled`, () => hub.services.servers.state(name) === 'stopped', 60_000);
  const record = hub.services.culler.recentCulls().find((cull) => cull.username === name && cull.what === 'server');
  expect(record, 'a cull record').toBeDefined();
  return record as NonNullable<typeof record>;
}

/** Watches `name`'s server for `seconds` of sweeps: it must be running throughout. */
async function expectRunningThrough(hub: TestHub, name: string, seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000;
  const sweeps = hub.services.culler.sweeps;
  await waitFor(
    `${seconds} s of sweeps with ${name}'s server running`,
    () => {
      expect(hub.services.servers.state(name), `${name}'s server was culled: ${JSON.stringify(hub.services.culler.recentCulls()[0])}`).toBe('running');
      return Date.now() >= until && hub.services.culler.sweeps >= sweeps + seconds - 1;
    },
    seconds * 1000 + 30_000,
  );
}

describe('with cull: { timeout: 4, every: 1 }', () => {
  let hub: TestHub;
  let dirs: JupyterDirs;
  beforeAll(async () => {
    dirs = jupyterDirs();
    hub = await startCullingHub(dirs, [47000, 47499], { timeout: TIMEOUT_S, every: 1 });
  });
  afterAll(async () => {
    for (const name of ['alice', 'bob', 'carol', 'gwen', 'dave']) if (hub !== undefined) await stopServerOf(hub, name);
    await closeJupyterHub(hub, dirs);
  });

  it('stops an idle server once it has had no activity for timeout, and says why', { timeout: TEST_MS }, async () => {
    await runningServer(hub, 'alice');
    const readyAt = hub.services.servers.route('alice')?.readyAt ?? 0;
    const record = await cullOf(hub, 'alice');
    expect(record.at - readyAt).toBeGreaterThanOrEqual(TIMEOUT_S * 1000);
    expect(record).toMatchObject({ reason: 'idle', dryRun: false, serverName: '' });
    expect(record.explanation).toMatch(/^idle for \d+ s \(timeout 4 s/);
    expect(hub.logs.text).toMatch(/culler will stop alice's server: idle for/);
    const metrics = await hub.services.metrics.registry.getSingleMetricAsString('gatehouse_culls_total');
    expect(metrics).toMatch(/gatehouse_culls_total\{what="server",reason="idle",dry_run="false"\} [1-9]/);
  });

  it('keeps a server whose kernel runs a cell every second through the proxied WebSocket, then stops it once that ends', { timeout: TEST_MS }, async () => {
    const token = await runningServer(hub, 'bob');
    const channels = await openKernel(hub.baseUrl, 'bob', token);
    let cells = 0;
    const ticking = setInterval(() => void channels.execute(`${(cells += 1)} * 2`, false), 1000);
    await whileBrowsing(hub.baseUrl, 'bob', token, () => channels.execute('0')); // the kernel answers: the loop is on
    try {
      await expectRunningThrough(hub, 'bob', 3 * TIMEOUT_S);
      expect(hub.services.activity.kinds.of('bob/')?.websocketMessages).toBeGreaterThanOrEqual(3 * TIMEOUT_S - 2);
    } finally {
      clearInterval(ticking);
    }
    const record = await cullOf(hub, 'bob');
    expect(record.reason).toBe('idle');
    await channels.closed; // the stop ended the WebSocket
  });

  it('stops a server kept open only by an idle WebSocket', { timeout: TEST_MS }, async () => {
    const token = await runningServer(hub, 'carol');
    const channels = await openKernel(hub.baseUrl, 'carol', token);
    await whileBrowsing(hub.baseUrl, 'carol', token, () => channels.execute('1 + 1')); // one message; then the tab stays open, silent
    const record = await cullOf(hub, 'carol');
    expect(record.explanation).toMatch(/websocket \d+ s ago/);
    await channels.closed;
  });

  it("counts no activity for a tab that keeps reconnecting its WebSocket (Jupyter's own report still may: see the README)", { timeout: TEST_MS }, async () => {
    const token = await runningServer(hub, 'gwen');
    const first = await openKernel(hub.baseUrl, 'gwen', token);
    await first.close();
    const httpBefore = hub.services.activity.kinds.of('gwen/')?.http;
    for (let reconnects = 0; reconnects < 6; reconnects += 1) {
      const channels = await KernelChannels.open(hub.baseUrl, 'gwen', token, first.kernelId);
      await waitFor('the server to answer on the channels (a kernel_info exchange)', () => channels.received > 0, 20_000);
      await channels.close();
    }
    expect(hub.services.activity.kinds.of('gwen/')).toMatchObject({ http: httpBefore, websocket: 0, websocketMessages: 0 });
    await stopServerOf(hub, 'gwen');
  });

  it('keeps a server whose kernel is busy with no browser attached (its own activity reports)', { timeout: TEST_MS }, async () => {
    const token = await runningServer(hub, 'dave');
    const channels = await openKernel(hub.baseUrl, 'dave', token);
    await channels.execute(BUSY_LOOP, false);
    await channels.close(); // no browser from here on
    await expectRunningThrough(hub, 'dave', 3 * TIMEOUT_S);
    const report = hub.services.activity.kinds.of('dave/')?.report ?? 0;
    expect(Date.now() - report, 'the last activity report is recent').toBeLessThan(TIMEOUT_S * 1000);
  });
});

describe('with cull: { timeout: 4, maxAge: 40, every: 1 }', () => {
  let hub: TestHub;
  let dirs: JupyterDirs;
  beforeAll(async () => {
    dirs = jupyterDirs();
    hub = await startCullingHub(dirs, [47500, 47749], { timeout: TIMEOUT_S, maxAge: 40, every: 1 });
  });
  afterAll(async () => {
    if (hub !== undefined) await stopServerOf(hub, 'erin');
    await closeJupyterHub(hub, dirs);
  });

  it('stops a busy server at maxAge', { timeout: TEST_MS }, async () => {
    const token = await runningServer(hub, 'erin');
    const channels = await openKernel(hub.baseUrl, 'erin', token);
    await channels.execute(BUSY_LOOP, false);
    await channels.close();
    const startedAt = Date.parse(hub.services.serverRepository.get(hub.services.users.get('erin')?.id ?? -1)?.startedAt ?? '');
    const record = await cullOf(hub, 'erin');
    expect(record.reason).toBe('max-age');
    expect(record.at - startedAt).toBeGreaterThanOrEqual(40_000);
    expect(record.explanation).toMatch(/^running for \d+ s \(maxAge 40 s\)/);
  });
});

describe('with cull: { timeout: 3, maxAge: 6, every: 1, dryRun: true }', () => {
  let hub: TestHub;
  let dirs: JupyterDirs;
  beforeAll(async () => {
    dirs = jupyterDirs();
    hub = await startCullingHub(dirs, [47750, 47999], { timeout: 3, maxAge: 6, every: 1, dryRun: true });
  });
  afterAll(async () => {
    if (hub !== undefined) await stopServerOf(hub, 'frank');
    await closeJupyterHub(hub, dirs);
  });

  it('logs and counts what it would cull, once, and stops nothing', { timeout: TEST_MS }, async () => {
    await runningServer(hub, 'frank');
    await waitFor('a dry-run cull record', () => hub.services.culler.recentCulls().some((cull) => cull.username === 'frank'), 30_000);
    await expectRunningThrough(hub, 'frank', 8); // past timeout and maxAge
    // Idle or past maxAge, whichever came first (the start itself takes seconds): listed once, as a dry run.
    const records = hub.services.culler.recentCulls().filter((cull) => cull.username === 'frank');
    expect(records).toEqual([expect.objectContaining({ dryRun: true })]);
    expect(hub.logs.text).toMatch(/culler \(dry run\) would stop frank's server: (idle|running) for/);
    const metrics = await hub.services.metrics.registry.getSingleMetricAsString('gatehouse_culls_total');
    expect(metrics).toMatch(new RegExp(`gatehouse_culls_total\\{what="server",reason="${records[0]?.reason}",dry_run="true"\\} 1`));
  });
});
