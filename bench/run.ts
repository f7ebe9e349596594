/**
 * `pnpm bench`: Gatehouse against the alternatives, side by side in one run of a few minutes.
 *   1. HTTP proxying (wrk): direct, Gatehouse (session cookie), configurable-http-proxy, mini proxies
 *   2. WebSocket echo: direct, Gatehouse, CHP
 *   3. REST API: Gatehouse vs JupyterHub 3.0
 *   4. 50 concurrent spawns
 * then a CPU profile of the hub when it is below 3× CHP (`pnpm bench --profile` / `--no-profile` force it).
 * Writes bench/results.{md,json}.
 * Every process and temp dir it starts is removed at the end, also on failure or Ctrl-C.
 */
import os from 'node:os';
import path from 'node:path';
import { demoAppOf, type DemoApp } from './demo-apps.ts';
import { loginWithForm, mintAdminToken, proxySessionCookie, startGatehouse, startServer, type GatehouseHub } from './gatehouse.ts';
import { InspectorSession } from './inspector.ts';
import { API_USER, startJupyterHub } from './jupyterhub.ts';
import { expectAnswer, measureHttp, measureWs, report, type HttpResult, type Measurement, type Settings, type Target, type WsResult } from './measure.ts';
import { MINI_PROXY_KINDS, MINI_PROXY_LABELS } from './mini-proxy.ts';
import { REPO_ROOT, cleanUp, installExitHandlers } from './processes.ts';
import { summarizeCpuProfile } from './profile.ts';
import { startChp, startMiniProxy } from './proxies.ts';
import { busy, computeRatios, machineInfo, renderTables, writeResults, type BenchResults } from './report.ts';
import { runSpawnBench } from './spawn-bench.ts';
import { ensureWrk, runWrk } from './wrk.ts';

const SETTINGS: Settings = {
  rounds: 5,
  wrkThreads: 1,
  wrkConnections: 32,
  warmupS: 1,
  durationS: 2,
  wsConnections: 16,
  wsWarmupMs: 500,
  wsDurationMs: 1500,
  wsPayloadBytes: 128,
  spawnCount: 50,
};
const PROFILE_WARMUP_S = 2;
const PROFILE_DURATION_S = 5;
/** Gatehouse below this multiple of CHP (HTTP) gets profiled; `--profile` / `--no-profile` force it. */
const PROFILE_BELOW_CHP_RATIO = 3;
const PORT_RANGE = [41000, 41999] as const;
const PROFILE_PORT_RANGE = [42000, 42099] as const;

const PING_PATH = `/user/${API_USER}/api/ping`;
const WS_PATH = `/user/${API_USER}/ws`;
const isPong = (body: string) => body.startsWith('pong\n');
const isUserModel = (body: string) => body.includes(`"name":"${API_USER}"`) || body.includes(`"name": "${API_USER}"`);

/** A hub with alice logged in (cookie) and her demo server running. */
interface Stage {
  readonly hub: GatehouseHub;
  readonly adminToken: string;
  readonly cookie: string;
  readonly app: DemoApp;
}

async function prepareGatehouse(portRange: readonly [number, number], inspect = false): Promise<Stage> {
  const hub = await startGatehouse({ portRange, inspect });
  const adminToken = await mintAdminToken(hub.baseUrl);
  const cookie = proxySessionCookie((await loginWithForm(hub.baseUrl, API_USER)).client);
  await startServer(hub.baseUrl, adminToken, API_USER);
  const app = demoAppOf(hub.port, API_USER);
  if (app === undefined) throw new Error(`${API_USER}'s demo app is ready but was not found in /proc`);
  return { hub, adminToken, cookie, app };
}

function gatehouseTarget(stage: Stage, scheme: 'http' | 'ws', targetPath: string): Target {
  return {
    id: 'gatehouse',
    label: 'Gatehouse (session cookie)',
    url: `${scheme}://${new URL(stage.hub.baseUrl).host}${targetPath}`,
    headers: { cookie: stage.cookie },
    cpu: { proxyPgid: stage.hub.child.pid, backendPgid: stage.app.pid },
  };
}

async function proxyBenchmarks(wrk: string, stage: Stage): Promise<{ http: Measurement<HttpResult>[]; ws: Measurement<WsResult>[] }> {
  const chp = await startChp(stage.app.port);
  const minis = await Promise.all(MINI_PROXY_KINDS.map(async (kind) => ({ kind, proxy: await startMiniProxy(kind, stage.app.port) })));
  try {
    const headers = { authorization: stage.app.authorization };
    const backendPgid = stage.app.pid;
    const at = (port: number, scheme: 'http' | 'ws', targetPath: string) => `${scheme}://127.0.0.1:${port}${targetPath}`;
    const targets = (scheme: 'http' | 'ws', targetPath: string): Target[] => [
      { id: 'direct', label: 'direct to the demo app', url: at(stage.app.port, scheme, targetPath), headers, cpu: { backendPgid } },
      gatehouseTarget(stage, scheme, targetPath),
      { id: 'chp', label: 'configurable-http-proxy 5.3', url: at(chp.port, scheme, targetPath), headers, cpu: { proxyPgid: chp.child.pid, backendPgid } },
    ];
    const miniTargets = minis.map(
      ({ kind, proxy }): Target => ({ id: `mini-${kind}`, label: MINI_PROXY_LABELS[kind], url: at(proxy.port, 'http', PING_PATH), headers, cpu: { proxyPgid: proxy.child.pid, backendPgid } }),
    );
    const http = await measureHttp(wrk, SETTINGS, [...targets('http', PING_PATH), ...miniTargets], isPong);
    const ws = await measureWs(SETTINGS, targets('ws', WS_PATH));
    return { http, ws };
  } finally {
    for (const { proxy } of minis) await proxy.child.stop();
    await chp.child.stop();
  }
}

async function apiBenchmarks(wrk: string, stage: Stage): Promise<{ api: Measurement<HttpResult>[]; jupyterhubUnavailable: string | null }> {
  const apiPath = `/hub/api/users/${API_USER}`;
  const gatehouse: Target = {
    id: 'gatehouse',
    label: 'Gatehouse',
    url: `${stage.hub.baseUrl}${apiPath}`,
    headers: { authorization: `token ${stage.adminToken}` },
    cpu: { backendPgid: stage.hub.child.pid },
  };
  const jupyterhub = await startJupyterHub().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
  if (typeof jupyterhub === 'string') {
    const reason = jupyterhub.split('\n')[0] ?? 'unknown reason';
    report(`JupyterHub not measured: ${reason}`);
    return { api: await measureHttp(wrk, SETTINGS, [gatehouse], isUserModel), jupyterhubUnavailable: reason };
  }
  try {
    const headers = { authorization: `token ${jupyterhub.token}` };
    // JupyterHub and its CHP are one process group: the hub-port row charges the hub alone.
    const cpu = { backendPgid: jupyterhub.child.pid };
    const targets: Target[] = [
      gatehouse,
      { id: 'jupyterhub', label: 'JupyterHub 3.0, through its CHP', url: `${jupyterhub.publicUrl}${apiPath}`, headers, cpu },
      { id: 'jupyterhub-hub-port', label: 'JupyterHub 3.0, hub port (no proxy)', url: `${jupyterhub.hubUrl}${apiPath}`, headers, cpu },
    ];
    return { api: await measureHttp(wrk, SETTINGS, targets, isUserModel), jupyterhubUnavailable: null };
  } finally {
    await jupyterhub.child.stop();
  }
}

/**
 * A separate hub with the inspector on: V8's CPU profiler (as `node --cpu-prof`) runs only while
 * wrk loads the cookie path, after a warm-up: no start-up or shutdown in the profile.
 */
async function profileHub(wrk: string): Promise<NonNullable<BenchResults['profile']>> {
  const stage = await prepareGatehouse(PROFILE_PORT_RANGE, true);
  try {
    const target = gatehouseTarget(stage, 'http', PING_PATH);
    await expectAnswer(target, isPong);
    const run = (durationS: number) => runWrk(wrk, { url: target.url, headers: target.headers, threads: SETTINGS.wrkThreads, connections: SETTINGS.wrkConnections, durationS });
    await run(PROFILE_WARMUP_S);
    const inspector = await InspectorSession.connect(stage.hub.inspectorUrl ?? '');
    try {
      await inspector.startProfiling();
      const result = await run(PROFILE_DURATION_S);
      const profile = await inspector.stopProfiling();
      const workload =
        `V8 CPU profile (the profiler behind \`node --cpu-prof\`, driven over the inspector) of a separate \`gatehouse start\` ` +
        `during ${PROFILE_DURATION_S} s of wrk on \`GET ${PING_PATH}\` with the session cookie, after a ${PROFILE_WARMUP_S} s warm-up ` +
        `(${result.requestsPerSec.toFixed(0)} req/s under the profiler).`;
      report(`profiled the hub at ${result.requestsPerSec.toFixed(0)} req/s`);
      return { ...summarizeCpuProfile(profile), workload };
    } finally {
      inspector.close();
    }
  } finally {
    await stage.hub.stop();
  }
}

function methodNotes(machineCpus: number, leftoverServers: number): string[] {
  const s = SETTINGS;
  return [
    `wrk -t${s.wrkThreads} -c${s.wrkConnections} --latency as a separate process. ${s.rounds} interleaved rounds of ${s.durationS} s (each path once per round, after a ${s.warmupS} s warm-up before the first); the median round is shown, with every round's req/s.`,
    `All processes share ${machineCpus} CPUs: wrk, the proxy and the demo app compete for them, so absolute numbers are machine-specific; compare the ratios. CPU µs per request: user+system CPU time of the process group (from /proc) during the measured runs, divided by the requests served.`,
    'Gatehouse runs as `gatehouse start` (child process, tsx, logLevel warn) with the dummy authenticator and the demo-app spawner; requests carry the `gatehouse-user-session` cookie that the login form set, and the hub injects the server token.',
    'Direct, CHP and the mini proxies get `Authorization: token <server token>` from the client (CHP forwards blindly); the bench reads that token from the demo app\'s environment in /proc.',
    'configurable-http-proxy 5.3.0 is started with `--default-target` the demo app and `--log-level warn`.',
    `WebSocket: ${s.wsConnections} connections to \`${WS_PATH}\` (the demo app greets, then echoes); each sends ${s.wsPayloadBytes} bytes, waits for the echo, sends again; ${s.wsWarmupMs / 1000} s warm-up, ${s.wsDurationMs / 1000} s measured; client in the bench process.`,
    'REST API: JupyterHub 3.0 (/usr/bin/jupyterhub, Debian) in a temp dir with DummyAuthenticator, a service token with admin:users (load_roles), its CHP from node_modules, log level WARN.',
    `Spawns: POST /hub/api/users/u<i>/server for ${s.spawnCount} users at once; a server is ready when its progress event stream ends with ready; then DELETE each and poll the user model until no server is left.`,
    leftoverServers === 0 ? 'The hub stopped every user server on shutdown (stopServersOnShutdown).' : `WARNING: the hub left ${leftoverServers} user server(s) running on shutdown; the bench killed them.`,
  ];
}

/** Below 3× CHP by throughput or by CPU per request (the steadier figure on a busy machine). */
function profileWanted(ratios: Record<string, number>): boolean {
  if (process.argv.includes('--no-profile')) return false;
  const worst = Math.min(ratios['HTTP req/s: Gatehouse / CHP'] ?? 0, ratios['HTTP proxy CPU per request: CHP / Gatehouse'] ?? 0);
  return process.argv.includes('--profile') || worst < PROFILE_BELOW_CHP_RATIO;
}

async function main(): Promise<void> {
  installExitHandlers();
  const started = performance.now();
  const wrk = ensureWrk();
  const machine = machineInfo();
  const loadStart = os.loadavg()[0] ?? 0;
  report(`${machine.nproc} CPUs (${machine.cpuModel}), Node ${machine.node}, load average ${loadStart.toFixed(1)}`);
  if (loadStart > machine.nproc) report('WARNING: the machine is busy with other work; throughput will be low and noisy');
  const stage = await prepareGatehouse(PORT_RANGE);
  const { http, ws } = await proxyBenchmarks(wrk, stage);
  const { api, jupyterhubUnavailable } = await apiBenchmarks(wrk, stage);
  const spawn = await runSpawnBench(stage.hub.baseUrl, stage.adminToken, SETTINGS.spawnCount);
  report(`${spawn.count} spawns: all ready in ${spawn.spawnWallMs.toFixed(0)} ms, all stopped in ${spawn.stopWallMs.toFixed(0)} ms`);
  const { leftoverServers } = await stage.hub.stop();
  const ratios = computeRatios({ http, ws, api, jupyterhubUnavailable });
  const profile = profileWanted(ratios) ? await profileHub(wrk) : undefined;
  const results: BenchResults = {
    machine,
    load: { start: loadStart, end: os.loadavg()[0] ?? 0 },
    settings: { ...SETTINGS },
    http,
    ws,
    api,
    jupyterhubUnavailable,
    spawn,
    ratios,
    profile,
    notes: methodNotes(machine.nproc, leftoverServers),
    durationS: (performance.now() - started) / 1000,
  };
  const markdownFile = path.join(REPO_ROOT, 'bench/results.md');
  writeResults(results, markdownFile, path.join(REPO_ROOT, 'bench/results.json'));
  if (busy(results)) report(`the machine was busy (load average ${results.load.start.toFixed(1)} → ${results.load.end.toFixed(1)} on ${machine.nproc} CPUs): see the warning in results.md`);
  process.stdout.write(`${renderTables(results)}\n\nWrote bench/results.md and bench/results.json (${results.durationS.toFixed(0)} s).\n`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
