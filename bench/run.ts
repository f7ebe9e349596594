/**
 * `pnpm bench`: Gatehouse against the alternatives, side by side in one run of a few minutes.
 *   1. HTTP proxying (wrk): direct, Gatehouse (session cookie; API token), configurable-http-proxy, mini proxies
 *   2. WebSocket echo: direct, Gatehouse, CHP
 *   3. REST API: Gatehouse vs JupyterHub 3.0
 *   4. 50 concurrent spawns
 *   5. Flat cost: a hub with 10,000 users and 200 running servers vs the one-user hub; hub memory
 *   6. Login storm: proxied p99 quiet vs during waves of 20 concurrent argon2 logins
 *   7. Metrics overhead: metrics on (scraped every second) vs `metrics: false`
 *   8. nginx auth_request: `GET /hub/auth` with the opt-in cookie and with a token
 *   9. Idle culler: one sweep over 10,000 users and 500 running servers (hub CPU)
 *   9b. Admin page: GET /hub/admin with 10,000 users and 500 servers (median and p95 answer time)
 *  10. Slurm: 50 concurrent spawns as Slurm jobs on a real single-node Slurm; squeue calls per poll interval
 *  11. The first minute of a class vs JupyterHub (bench/class-main.ts; its own results-class.{md,json})
 * then a CPU profile of the hub when it is below 3× CHP (`pnpm bench --profile` / `--no-profile` force it).
 * Writes bench/results.{md,json}. `pnpm bench --only flat,storm,metrics` runs only those sections
 * (names in bench/sections.ts) and writes bench/results-partial.{md,json} instead.
 * Every process and temp dir it starts is removed at the end, also on failure or Ctrl-C.
 */
import os from 'node:os';
import path from 'node:path';
import { runAuthRequestBench } from './auth-request-bench.ts';
import { runAdminBench } from './admin-bench.ts';
import { runCullBench } from './cull-bench.ts';
import { runFlatCostBench, type FlatCostOptions } from './flat-cost.ts';
import { InspectorSession } from './inspector.ts';
import { startJupyterHub } from './jupyterhub.ts';
import { runLoginStormBench, type LoginStormOptions } from './login-storm.ts';
import { expectAnswer, measureHttp, measureWs, report, type HttpResult, type Measurement, type Settings, type Target, type WsResult } from './measure.ts';
import { runMetricsOverheadBench, type MetricsOverheadOptions } from './metrics-overhead.ts';
import { MINI_PROXY_KINDS, MINI_PROXY_LABELS } from './mini-proxy.ts';
import { REPO_ROOT, cleanUp, installExitHandlers } from './processes.ts';
import { summarizeCpuProfile } from './profile.ts';
import { startChp, startMiniProxy } from './proxies.ts';
import { runAndWriteClassBench } from './class-main.ts';
import { busy, computeRatios, machineInfo, renderTables, writeResults, type BenchResults } from './report.ts';
import { sectionsFromArgs, type Section, type SectionChoice } from './sections.ts';
import { runSlurmSpawnBench, type SlurmSpawnBenchResult } from './slurm-bench.ts';
import { runSpawnBench } from './spawn-bench.ts';
import { slurmAvailable } from '../test/support/slurm.ts';
import { PING_PATH, USER_MODEL_PATH, WS_PATH, apiTarget, isPong, isUserModel, prepareStage, proxiedTarget, proxiedTokenTarget, withStage, type Stage } from './stage.ts';
import { checkTargets } from './targets.ts';
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
// Every hub of a run gets its own spawner port range, so that no two compete for ports.
const PORT_RANGE = [41000, 41999] as const;
const PROFILE_PORT_RANGE = [42000, 42099] as const;
/** Flat cost runs fewer rounds than the main HTTP section, to keep the whole run within minutes. */
const FOLLOW_UP_SETTINGS: Settings = { ...SETTINGS, rounds: 5 };
/** The metrics target (3 %) is the finest: its proxied comparison keeps the main section's rounds. */
const METRICS_SETTINGS: Settings = { ...SETTINGS, rounds: 7 };
const FLAT_COST: FlatCostOptions = { portRange: [43000, 43499], users: 10_000, runningServers: 200, userBatch: 1000, spawnConcurrency: 50 };
const LOGIN_STORM: LoginStormOptions = { portRange: [43500, 43599], concurrentLogins: 20, rounds: 4, durationS: 3 };
const AUTH_REQUEST_PORT_RANGE = [43800, 43899] as const;
const METRICS_OVERHEAD: MetricsOverheadOptions = { portRanges: { on: [43600, 43699], off: [43700, 43799] }, scrapeIntervalMs: 1000, apiRounds: 3 };
/** Sections measured on the main stage (alice and admin on the hub, alice's server running). */
const MAIN_STAGE_SECTIONS: readonly Section[] = ['http', 'ws', 'api', 'flat', 'spawn'];

/** Section 9 needs root and Slurm's Debian packages; a full run elsewhere says so and goes on. */
async function slurmBench(): Promise<SlurmSpawnBenchResult | undefined> {
  if (!slurmAvailable()) {
    report('Slurm section skipped: it needs root and the packages slurmctld, slurmd, slurm-client and munge');
    return undefined;
  }
  const slurm = await runSlurmSpawnBench(SETTINGS.spawnCount);
  report(`${slurm.count} Slurm spawns: all ready in ${slurm.spawnWallMs.toFixed(0)} ms; ${slurm.squeueCalls} squeue calls, at most ${slurm.maxSqueueCallsPerInterval} per ${slurm.pollIntervalS} s poll interval`);
  return slurm;
}

async function proxyBenchmarks(wrk: string, stage: Stage, sections: SectionChoice): Promise<{ http?: Measurement<HttpResult>[]; ws?: Measurement<WsResult>[] }> {
  const chp = await startChp(stage.app.port);
  const kinds = sections.runs('http') ? MINI_PROXY_KINDS : [];
  const minis = await Promise.all(kinds.map(async (kind) => ({ kind, proxy: await startMiniProxy(kind, stage.app.port) })));
  try {
    const headers = { authorization: stage.app.authorization };
    const backendPgid = stage.app.pid;
    const at = (port: number, scheme: 'http' | 'ws', targetPath: string) => `${scheme}://127.0.0.1:${port}${targetPath}`;
    const targets = (scheme: 'http' | 'ws', targetPath: string): Target[] => [
      { id: 'direct', label: 'direct to the demo app', url: at(stage.app.port, scheme, targetPath), headers, cpu: { backendPgid } },
      proxiedTarget(stage, scheme, targetPath),
      { id: 'chp', label: 'configurable-http-proxy 5.3', url: at(chp.port, scheme, targetPath), headers, cpu: { proxyPgid: chp.child.pid, backendPgid } },
    ];
    const miniTargets = minis.map(
      ({ kind, proxy }): Target => ({ id: `mini-${kind}`, label: MINI_PROXY_LABELS[kind], url: at(proxy.port, 'http', PING_PATH), headers, cpu: { proxyPgid: proxy.child.pid, backendPgid } }),
    );
    const httpTargets = [...targets('http', PING_PATH), proxiedTokenTarget(stage, PING_PATH), ...miniTargets];
    const http = sections.runs('http') ? await measureHttp(wrk, SETTINGS, httpTargets, isPong) : undefined;
    const ws = sections.runs('ws') ? await measureWs(SETTINGS, targets('ws', WS_PATH)) : undefined;
    return { ...(http === undefined ? {} : { http }), ...(ws === undefined ? {} : { ws }) };
  } finally {
    for (const { proxy } of minis) await proxy.child.stop();
    await chp.child.stop();
  }
}

async function apiBenchmarks(wrk: string, stage: Stage): Promise<{ api: Measurement<HttpResult>[]; jupyterhubUnavailable: string | null }> {
  const gatehouse = apiTarget(stage);
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
      { id: 'jupyterhub', label: 'JupyterHub 3.0, through its CHP', url: `${jupyterhub.publicUrl}${USER_MODEL_PATH}`, headers, cpu },
      { id: 'jupyterhub-hub-port', label: 'JupyterHub 3.0, hub port (no proxy)', url: `${jupyterhub.hubUrl}${USER_MODEL_PATH}`, headers, cpu },
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
  const hubOptions = { portRange: PROFILE_PORT_RANGE, inspect: true, name: 'gatehouse (profiled)' };
  const { value } = await withStage(hubOptions, async (stage) => {
    const target = proxiedTarget(stage, 'http', PING_PATH);
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
  });
  return value;
}

/** How each measured section was measured: the "How it was measured" list of results.md. */
function methodNotes(machineCpus: number, sections: SectionChoice, mainStageLeftovers: number | undefined): string[] {
  const s = SETTINGS;
  const f = FOLLOW_UP_SETTINGS;
  const when = (section: Section, note: string) => (sections.runs(section) ? [note] : []);
  return [
    `wrk -t${s.wrkThreads} -c${s.wrkConnections} --latency as a separate process. ${s.rounds} interleaved rounds of ${s.durationS} s (each path once per round, every other round in reverse order, after a ${s.warmupS} s warm-up before the first); the median round is shown, with every round's req/s. Flat cost runs ${f.rounds} rounds; login storm ${LOGIN_STORM.rounds} rounds of ${LOGIN_STORM.durationS} s per window; metrics overhead ${METRICS_SETTINGS.rounds} (proxied) and ${METRICS_OVERHEAD.apiRounds} (REST API).`,
    `All processes share ${machineCpus} CPUs: wrk, the proxy and the demo app compete for them, so absolute numbers are machine-specific; compare the ratios. CPU µs per request: user+system CPU time of the process group (from /proc) during the measured runs, divided by the requests served.`,
    'Gatehouse runs as `gatehouse start` (child process, tsx, logLevel warn) with the dummy authenticator (local accounts in section 6) and the demo-app spawner; requests carry the `gatehouse-user-session` cookie that the login form set, and the hub injects the server token.',
    ...when('http', 'Direct, CHP and the mini proxies get `Authorization: token <server token>` from the client (CHP forwards blindly); the bench reads that token from the demo app\'s environment in /proc.'),
    ...when('http', 'configurable-http-proxy 5.3.0 is started with `--default-target` the demo app and `--log-level warn`.'),
    ...when('ws', `WebSocket: ${s.wsConnections} connections to \`${WS_PATH}\` (the demo app greets, then echoes); each sends ${s.wsPayloadBytes} bytes, waits for the echo, sends again; ${s.wsWarmupMs / 1000} s warm-up, ${s.wsDurationMs / 1000} s measured; client in the bench process.`),
    ...when('api', 'REST API: JupyterHub 3.0 (/usr/bin/jupyterhub, Debian) in a temp dir with DummyAuthenticator, a service token with admin:users (load_roles), its CHP from node_modules, log level WARN.'),
    ...when('spawn', `Spawns: POST /hub/api/users/u<i>/server for ${s.spawnCount} users at once; a server is ready when its progress event stream ends with ready; then DELETE each and poll the user model until no server is left.`),
    ...when(
      'flat',
      `Flat cost: a second hub gets ${FLAT_COST.users.toLocaleString('en')} users in all (admin, alice and fillers added by \`POST /hub/api/users\` in batches of ${FLAT_COST.userBatch}; the pagination total is checked) and ${FLAT_COST.runningServers} running demo apps (alice's and ${FLAT_COST.runningServers - 1} fillers', ${FLAT_COST.spawnConcurrency} spawns at a time, counted in /proc); ` +
        'wrk loads alice\'s server through it and through the main hub (alice and admin only), interleaved. Memory: VmRSS and VmHWM of the hub process (tsx runs in-process: the `gatehouse start` process is the hub), plus any child process that is not a user server.',
    ),
    ...when(
      'storm',
      `Login storm: a hub with LocalAuthenticator (argon2id; the admin added by \`gatehouse useradd --password-stdin\` before start, alice and ${LOGIN_STORM.concurrentLogins} accounts through \`POST /hub/api/users/:name\` with random passwords). ` +
        `Each round runs wrk once quiet and once during a storm (order alternating), ${LOGIN_STORM.durationS} s each: waves of ${LOGIN_STORM.concurrentLogins} concurrent form logins (GET /hub/login, POST with the right password, 302 required), the next wave as soon as the last is through, until wrk ends. ` +
        'Each account logs in from its own client address (X-Forwarded-For from loopback, which the hub trusts as a proxy by default), as people behind a front proxy would; from one address the hub would check them one at a time. The p99 shown is the median round\'s; logins run in the bench process.',
    ),
    ...when(
      'metrics',
      `Metrics overhead: two hubs identical but for \`metrics\` (true, the default / false; /hub/metrics is checked to answer 200 / not), alice logged in and her server running on each; during both measurements the bench scrapes the metrics-on hub's /hub/metrics every ${METRICS_OVERHEAD.scrapeIntervalMs / 1000} s with an admin token, as Prometheus would.`,
    ),
    ...when('cull', 'cull: the hub runs inside the bench process (startHub, real SQLite) with 10,000 users and 500 running servers of an in-process spawner (HTTP listeners); `cull: { timeout: 3600, users: true, dryRun: true }`; 20 sweeps with everyone active (quiet), then 20 after moving the hub clock 2 h on (everything due: listed and logged once, so the first of these is the heavy one). CPU is process.cpuUsage() around each sweep.'),
    ...when('admin', 'admin: the hub runs inside the bench process (startHub, real SQLite) with 10,000 users and 500 running servers of the cull section\'s in-process spawner (one in ten a named server `lab`), half the users with activity over the last day; the admin logs in through the form and GETs each page 21 times over real HTTP, one after the other; the first is a warm-up, the median and p95 are of the other 20 full answers.'),
    ...when('auth', 'auth_request: a separate hub with `authRequest: { cookiePaths: [\'/app/\'] }`; alice logs in through the form; wrk asks `GET /hub/auth` directly (as nginx would, with X-Original-URI) with her `gatehouse-auth` cookie, and with the admin token. Every answer must be 200.'),
    ...(mainStageLeftovers === undefined
      ? []
      : [mainStageLeftovers === 0 ? 'The hub stopped every user server on shutdown (stopServersOnShutdown).' : `WARNING: the hub left ${mainStageLeftovers} user server(s) running on shutdown; the bench killed them.`]),
  ];
}

/**
 * A full run profiles when Gatehouse is below 3× CHP by throughput or by CPU per request (the
 * steadier figure on a busy machine), or with --profile; a `--only` run when `profile` is listed.
 */
function profileWanted(ratios: Record<string, number>, sections: SectionChoice): boolean {
  if (process.argv.includes('--no-profile')) return false;
  if (sections.only !== undefined) return sections.runs('profile');
  const worst = Math.min(ratios['HTTP req/s: Gatehouse / CHP'] ?? 0, ratios['HTTP proxy CPU per request: CHP / Gatehouse'] ?? 0);
  return process.argv.includes('--profile') || worst < PROFILE_BELOW_CHP_RATIO;
}

type Measured = Pick<BenchResults, 'http' | 'ws' | 'api' | 'jupyterhubUnavailable' | 'spawn' | 'flat'>;

/** The sections on the main stage, in order: the flat-cost comparison before the spawns add users to it. */
async function mainStageSections(wrk: string, sections: SectionChoice): Promise<{ measured: Measured; leftoverServers: number | undefined }> {
  if (!MAIN_STAGE_SECTIONS.some((section) => sections.runs(section))) return { measured: {}, leftoverServers: undefined };
  const stage = await prepareStage({ portRange: PORT_RANGE });
  const measured: { -readonly [K in keyof Measured]: Measured[K] } = {};
  if (sections.runs('http') || sections.runs('ws')) Object.assign(measured, await proxyBenchmarks(wrk, stage, sections));
  if (sections.runs('api')) Object.assign(measured, await apiBenchmarks(wrk, stage));
  if (sections.runs('flat')) measured.flat = await runFlatCostBench(wrk, FOLLOW_UP_SETTINGS, stage, FLAT_COST);
  if (sections.runs('spawn')) {
    const spawn = await runSpawnBench(stage.hub.baseUrl, stage.adminToken, SETTINGS.spawnCount);
    report(`${spawn.count} spawns: all ready in ${spawn.spawnWallMs.toFixed(0)} ms, all stopped in ${spawn.stopWallMs.toFixed(0)} ms`);
    measured.spawn = spawn;
  }
  const { leftoverServers } = await stage.hub.stop();
  return { measured, leftoverServers };
}

async function main(): Promise<void> {
  installExitHandlers();
  const sections = sectionsFromArgs(process.argv.slice(2));
  const started = performance.now();
  const wrk = ensureWrk();
  const machine = machineInfo();
  const loadStart = os.loadavg()[0] ?? 0;
  report(`${machine.nproc} CPUs (${machine.cpuModel}), Node ${machine.node}, load average ${loadStart.toFixed(1)}`);
  if (loadStart > machine.nproc) report('WARNING: the machine is busy with other work; throughput will be low and noisy');
  const { measured, leftoverServers } = await mainStageSections(wrk, sections);
  const storm = sections.runs('storm') ? await runLoginStormBench(wrk, FOLLOW_UP_SETTINGS, LOGIN_STORM) : undefined;
  const metrics = sections.runs('metrics') ? await runMetricsOverheadBench(wrk, METRICS_SETTINGS, METRICS_OVERHEAD) : undefined;
  const auth = sections.runs('auth') ? await runAuthRequestBench(wrk, SETTINGS, { portRange: AUTH_REQUEST_PORT_RANGE }) : undefined;
  if (sections.runs('class')) await runAndWriteClassBench(process.argv.slice(2));
  const cull = sections.runs('cull') ? await runCullBench({ users: 10_000, servers: 500, sweeps: 20 }) : undefined;
  const admin = sections.runs('admin') ? await runAdminBench({ users: 10_000, servers: 500, requests: 20 }) : undefined;
  const slurm = sections.runs('slurm') ? await slurmBench() : undefined;
  const figures = {
    ...measured,
    ...(storm === undefined ? {} : { storm }),
    ...(metrics === undefined ? {} : { metrics }),
    ...(auth === undefined ? {} : { auth }),
    ...(cull === undefined ? {} : { cull }),
    ...(admin === undefined ? {} : { admin }),
    ...(slurm === undefined ? {} : { slurm }),
  };
  const ratios = computeRatios(figures);
  const profile = profileWanted(ratios, sections) ? await profileHub(wrk) : undefined;
  const complete = sections.only === undefined;
  const base = {
    machine,
    load: { start: loadStart, end: os.loadavg()[0] ?? 0 },
    settings: { ...SETTINGS },
    sections: complete ? ['all'] : [...(sections.only ?? [])],
    complete,
    ...figures,
    ratios,
  };
  const results: BenchResults = {
    ...base,
    targets: checkTargets(base),
    profile,
    notes: methodNotes(machine.nproc, sections, leftoverServers),
    durationS: (performance.now() - started) / 1000,
  };
  const name = complete ? 'results' : 'results-partial';
  writeResults(results, path.join(REPO_ROOT, `bench/${name}.md`), path.join(REPO_ROOT, `bench/${name}.json`));
  if (busy(results)) report(`the machine was busy (load average ${results.load.start.toFixed(1)} → ${results.load.end.toFixed(1)} on ${machine.nproc} CPUs): see the warning in ${name}.md`);
  process.stdout.write(`${renderTables(results)}\n\nWrote bench/${name}.md and bench/${name}.json (${results.durationS.toFixed(0)} s).\n`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
