/** The machine description, the results model, and its rendering to results.md / results.json. */
import type { AdminBenchResult } from './admin-bench.ts';
import type { CullBenchResult } from './cull-bench.ts';
import type { SlurmSpawnBenchResult } from './slurm-bench.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { FlatCostResult } from './flat-cost.ts';
import type { LoginStormResult } from './login-storm.ts';
import type { CpuCost, HttpResult, Measurement, WsResult } from './measure.ts';
import type { MetricsOverheadResult } from './metrics-overhead.ts';
import type { ProcessMemory } from './process-memory.ts';
import type { ProfileSummary } from './profile.ts';
import type { SpawnBenchResult } from './spawn-bench.ts';
import type { TargetCheck } from './targets.ts';

/** JupyterHub's REST API throughput we compare against when no JupyterHub can be started here. */
export const JUPYTERHUB_REFERENCE_RPS = 450;

export interface MachineInfo {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly kernel: string;
  readonly date: string;
}

/** A section's field is absent when the run did not measure it (`--only`); a full run has them all. */
export interface BenchResults {
  readonly machine: MachineInfo;
  readonly settings: Readonly<Record<string, number | string>>;
  /** 1-minute load average when the run started and ended: other work on the machine skews throughput. */
  readonly load: { readonly start: number; readonly end: number };
  /** The sections measured (bench/sections.ts). */
  readonly sections: readonly string[];
  /** False for a `--only` run (written to bench/results-partial.*). */
  readonly complete: boolean;
  readonly http?: readonly Measurement<HttpResult>[];
  readonly ws?: readonly Measurement<WsResult>[];
  readonly api?: readonly Measurement<HttpResult>[];
  /** Why JupyterHub was not measured (then the reference figure is used); null when it was. */
  readonly jupyterhubUnavailable?: string | null;
  readonly spawn?: SpawnBenchResult;
  readonly flat?: FlatCostResult;
  readonly storm?: LoginStormResult;
  readonly metrics?: MetricsOverheadResult;
  /** One idle-culler sweep over many users and servers (hub CPU). */
  readonly cull?: CullBenchResult;
  /** GET /hub/admin on a big hub (answer time). */
  readonly admin?: AdminBenchResult;
  /** `GET /hub/auth` (nginx auth_request) with the cookie and with a token. */
  readonly auth?: readonly Measurement<HttpResult>[];
  /** Concurrent spawns as Slurm jobs, and squeue calls per poll interval. */
  readonly slurm?: SlurmSpawnBenchResult;
  readonly ratios: Readonly<Record<string, number>>;
  /** The performance issue's targets, each with the figure measured here. */
  readonly targets: readonly TargetCheck[];
  readonly profile: (ProfileSummary & { readonly workload: string }) | undefined;
  readonly notes: readonly string[];
  readonly durationS: number;
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    nproc: os.availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

export function find<T>(list: readonly Measurement<T>[] | undefined, id: string): T | undefined {
  return list?.find((measurement) => measurement.id === id)?.result;
}

/** The big hub's memory after the load: the hub process and any helper process it runs (MB). */
export function flatHubMemoryMB(flat: FlatCostResult): number {
  return flat.memory.bigHub.afterLoad.rssMB + flat.memory.bigHub.afterLoad.helpersRssMB;
}

/** `10k users+200 servers`: names the flat-cost hub in ratio names. */
export function flatHubName(flat: Pick<FlatCostResult, 'users' | 'runningServers'>): string {
  const users = flat.users % 1000 === 0 ? `${flat.users / 1000}k` : String(flat.users);
  return `${users} users+${flat.runningServers} servers`;
}

/** Ratios named with this suffix are absolute figures in MB, not ratios. */
const MB_SUFFIX = ' MB';

/** The ratios the results are judged by (a ratio is omitted when one side was not measured). */
export function computeRatios(results: Pick<BenchResults, 'http' | 'ws' | 'api' | 'jupyterhubUnavailable' | 'flat' | 'storm' | 'metrics'>): Record<string, number> {
  const ratios: Record<string, number> = {};
  const add = (name: string, a: number | undefined, b: number | undefined) => {
    if (a !== undefined && b !== undefined && b > 0) ratios[name] = a / b;
  };
  const rps = (list: readonly Measurement<HttpResult>[] | undefined, id: string) => find(list, id)?.requestsPerSec;
  // Two hubs measured back to back in every round: the median of the rounds' own ratios cancels the
  // machine's drifting load better than a ratio of two medians (the finest targets are 3 % and 10 %).
  const pairedRps = (list: readonly Measurement<HttpResult>[] | undefined, a: string, b: string) =>
    pairedMedian(find(list, a)?.roundsPerSec, find(list, b)?.roundsPerSec);
  const proxyCpu = (list: readonly Measurement<CpuCost>[] | undefined, id: string) => find(list, id)?.proxyCpuUs;
  add('HTTP req/s: Gatehouse / CHP', rps(results.http, 'gatehouse'), rps(results.http, 'chp'));
  add('HTTP req/s: Gatehouse / direct', rps(results.http, 'gatehouse'), rps(results.http, 'direct'));
  add('HTTP req/s: Gatehouse API token / session cookie', rps(results.http, 'gatehouse-token'), rps(results.http, 'gatehouse'));
  add('HTTP req/s: CHP / direct', rps(results.http, 'chp'), rps(results.http, 'direct'));
  add('HTTP proxy CPU per request: CHP / Gatehouse', proxyCpu(results.http, 'chp'), proxyCpu(results.http, 'gatehouse'));
  add('HTTP req/s: mini undici dispatch() / mini http-proxy', rps(results.http, 'mini-undici-dispatch'), rps(results.http, 'mini-http-proxy'));
  add('HTTP proxy CPU per request: mini http-proxy / mini undici dispatch()', proxyCpu(results.http, 'mini-http-proxy'), proxyCpu(results.http, 'mini-undici-dispatch'));
  add('HTTP proxy CPU per request: mini undici stream() / mini undici dispatch()', proxyCpu(results.http, 'mini-undici-stream'), proxyCpu(results.http, 'mini-undici-dispatch'));
  add('HTTP req/s: mini undici dispatch() in 2 processes / in 1 (do more cores help here?)', rps(results.http, 'mini-undici-dispatch-2proc'), rps(results.http, 'mini-undici-dispatch'));
  add('HTTP proxy CPU per request: Gatehouse / mini undici dispatch() (the cost of authentication and header rules)', proxyCpu(results.http, 'gatehouse'), proxyCpu(results.http, 'mini-undici-dispatch'));
  const mps = (id: string) => find(results.ws, id)?.messagesPerSec;
  add('WebSocket msg/s: Gatehouse / direct', mps('gatehouse'), mps('direct'));
  add('WebSocket msg/s: Gatehouse / CHP', mps('gatehouse'), mps('chp'));
  add('WebSocket proxy CPU per message: CHP / Gatehouse', proxyCpu(results.ws, 'chp'), proxyCpu(results.ws, 'gatehouse'));
  const jupyterhub = results.jupyterhubUnavailable === null ? rps(results.api, 'jupyterhub') : JUPYTERHUB_REFERENCE_RPS;
  add('REST API req/s: Gatehouse / JupyterHub', rps(results.api, 'gatehouse'), jupyterhub);
  add('REST API hub CPU per request: JupyterHub / Gatehouse', find(results.api, 'jupyterhub-hub-port')?.backendCpuUs, find(results.api, 'gatehouse')?.backendCpuUs);
  const { flat, storm, metrics } = results;
  if (flat !== undefined) {
    const big = flatHubName(flat);
    add(`Flat cost: proxied req/s ${big} / one user (median of paired rounds)`, pairedRps(flat.http, 'flat', 'one-user'), 1);
    add(`Flat cost: hub CPU per proxied request, one user / ${big}`, proxyCpu(flat.http, 'one-user'), proxyCpu(flat.http, 'flat'));
    ratios[`Flat cost: hub RSS${MB_SUFFIX}`] = flatHubMemoryMB(flat);
  }
  if (storm !== undefined) {
    add('Login storm: proxied p99 storm / quiet (median of paired rounds)', pairedMedian(storm.storm.roundsP99Ms, storm.quiet.roundsP99Ms), 1);
    add('Login storm: proxied req/s storm / quiet', storm.storm.medianRequestsPerSec, storm.quiet.medianRequestsPerSec);
  }
  if (metrics !== undefined) {
    add('Metrics: proxied req/s on / off (median of paired rounds)', pairedRps(metrics.proxied, 'metrics-on', 'metrics-off'), 1);
    add('Metrics: hub CPU per proxied request, off / on', proxyCpu(metrics.proxied, 'metrics-off'), proxyCpu(metrics.proxied, 'metrics-on'));
    add('Metrics: REST API req/s on / off (median of paired rounds)', pairedRps(metrics.api, 'metrics-on', 'metrics-off'), 1);
  }
  return ratios;
}

/** The median of a[i] / b[i] over rounds measured as pairs (same round index). */
function pairedMedian(a: readonly number[] | undefined, b: readonly number[] | undefined): number | undefined {
  if (a === undefined || b === undefined || a.length === 0 || a.length !== b.length) return undefined;
  const ratios = a.map((value, i) => value / (b[i] ?? Number.NaN)).filter(Number.isFinite).sort((x, y) => x - y);
  if (ratios.length === 0) return undefined;
  const middle = Math.floor(ratios.length / 2);
  return ratios.length % 2 === 1 ? ratios[middle] : ((ratios[middle - 1] ?? 0) + (ratios[middle] ?? 0)) / 2;
}

const fixed = (value: number | undefined, digits = 0) => (value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : '');
const ratio = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(2)}×`);
const rounds = (rates: readonly number[], digits = 0) => rates.map((rate) => rate.toFixed(digits)).join(' / ');
/** A value of the Ratios table: a ratio, or an absolute figure for names ending in ` MB`. */
const ratioCell = (name: string, value: number) => (name.endsWith(MB_SUFFIX) ? `${value.toFixed(0)} MB` : ratio(value));

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** The header of httpRows(); `versus` names the baseline column (e.g. `vs direct`). */
const httpHeader = (versus: string) => ['path', 'req/s (median)', 'rounds', 'p50 ms', 'p99 ms', versus, 'proxy CPU µs/req', 'backend CPU µs/req', 'errors'];

function httpRows(list: readonly Measurement<HttpResult>[], baseline: number | undefined): string[][] {
  return list.map(({ label, result }) => [
    label,
    fixed(result.requestsPerSec),
    rounds(result.roundsPerSec),
    fixed(result.latencyP50Ms, 2),
    fixed(result.latencyP99Ms, 2),
    baseline === undefined ? '' : ratio(result.requestsPerSec / baseline),
    fixed(result.proxyCpuUs),
    fixed(result.backendCpuUs),
    String(result.non2xx + result.socketErrors),
  ]);
}

type Settings = BenchResults['settings'];

function httpSection(http: readonly Measurement<HttpResult>[], s: Settings): string {
  return (
    `### 1. HTTP: \`GET /user/alice/api/ping\` (1 KB), wrk -t${s['wrkThreads']} -c${s['wrkConnections']}, ${s['rounds']} rounds of ${s['durationS']} s\n\n` +
    table(httpHeader('vs direct'), httpRows(http, find(http, 'direct')?.requestsPerSec))
  );
}

function wsSection(ws: readonly Measurement<WsResult>[], s: Settings): string {
  const direct = find(ws, 'direct')?.messagesPerSec;
  const rows = ws.map(({ label, result }) => [
    label,
    fixed(result.messagesPerSec),
    rounds(result.roundsPerSec),
    fixed(result.meanRoundTripMs, 3),
    direct === undefined ? '' : ratio(result.messagesPerSec / direct),
    fixed(result.proxyCpuUs, 1),
    fixed(result.backendCpuUs, 1),
  ]);
  return (
    `### 2. WebSocket echo: ${s['wsConnections']} connections ping-pong ${s['wsPayloadBytes']} B, ${s['rounds']} rounds of ${Number(s['wsDurationMs']) / 1000} s\n\n` +
    table(['path', 'messages/s (median)', 'rounds', 'mean round trip ms', 'vs direct', 'proxy CPU µs/msg', 'backend CPU µs/msg'], rows)
  );
}

function apiSection(api: readonly Measurement<HttpResult>[], jupyterhubUnavailable: string | null | undefined): string {
  const unavailable = jupyterhubUnavailable !== null && jupyterhubUnavailable !== undefined;
  const reference = unavailable ? [['JupyterHub 3.0 (reference figure, not measured here)', String(JUPYTERHUB_REFERENCE_RPS), '', '', '', '', '', '', '']] : [];
  return (
    `### 3. REST API: \`GET /hub/api/users/alice\` with an admin API token (hub CPU is in the backend column)\n\n` +
    table(httpHeader(''), [...httpRows(api, undefined), ...reference]) +
    (unavailable ? `\n\nJupyterHub could not be started (${jupyterhubUnavailable}): Gatehouse is compared with the ${JUPYTERHUB_REFERENCE_RPS} req/s reference.` : '')
  );
}

function spawnSection(spawn: SpawnBenchResult): string {
  return (
    `### 4. Spawns: ${spawn.count} concurrent demo-app servers through the REST API\n\n` +
    table(['all ready (wall)', 'median ready', 'all stopped (wall)'], [[`${fixed(spawn.spawnWallMs)} ms`, `${fixed(spawn.medianReadyMs)} ms`, `${fixed(spawn.stopWallMs)} ms`]])
  );
}

function memoryRow(label: string, before: ProcessMemory, after: ProcessMemory): string[] {
  const helpers = after.helpers === 0 ? 'none' : `${after.helpers}: ${fixed(after.helpersRssMB)} MB`;
  return [label, fixed(before.rssMB), fixed(after.rssMB), fixed(after.peakRssMB), helpers];
}

function flatSection(flat: FlatCostResult): string {
  const oneUser = find(flat.http, 'one-user')?.requestsPerSec;
  const { bigHub, oneUserHub } = flat.memory;
  const setup =
    `Setup: ${(flat.users - 2).toLocaleString('en')} users added to admin and alice through \`POST /hub/api/users\` in ${fixed(flat.addUsersMs)} ms; ` +
    `${flat.runningServers} demo-app servers ready in ${fixed(flat.spawnServersMs)} ms. ` +
    (flat.leftoverServers === 0 ? 'The hub stopped all its servers on shutdown.' : `WARNING: the hub left ${flat.leftoverServers} servers running on shutdown (the bench killed them).`);
  return [
    `### 5. Flat cost: \`GET /user/alice/api/ping\` on a hub with ${flat.users.toLocaleString('en')} users and ${flat.runningServers} running servers vs a one-user hub, ${flat.rounds} rounds of ${flat.durationS} s`,
    table(httpHeader('vs one user'), httpRows(flat.http, oneUser)),
    'Hub memory (MB = 10⁶ bytes; from /proc/<pid>/status of the `gatehouse start` process):',
    table(
      ['hub', 'RSS before the load', 'RSS after the load', 'peak RSS (VmHWM)', 'helper processes (RSS)'],
      [memoryRow(`${flatHubName(flat)}`, bigHub.beforeLoad, bigHub.afterLoad), memoryRow('one user (alice, admin): the main hub', oneUserHub.beforeLoad, oneUserHub.afterLoad)],
    ),
    setup,
  ].join('\n\n');
}

function stormSection(storm: LoginStormResult): string {
  const row = (label: string, side: LoginStormResult['quiet']) => [
    label,
    fixed(side.median.latencyP50Ms, 2),
    fixed(side.median.latencyP99Ms, 2),
    rounds(side.roundsP99Ms, 2),
    fixed(side.medianRequestsPerSec),
    rounds(side.roundsPerSec),
  ];
  const perWindow = storm.loginsPerWindow.join(' / ');
  return [
    `### 6. Login storm: \`GET /user/alice/api/ping\` (local accounts, argon2id) quiet and during waves of ${storm.concurrentLogins} concurrent logins, ${storm.rounds} rounds of ${storm.durationS} s each`,
    table(['window', 'p50 ms', 'p99 ms (median round)', 'p99 rounds', 'req/s (median)', 'req/s rounds'], [row('quiet', storm.quiet), row(`storm: ${storm.concurrentLogins} logins at a time`, storm.storm)]),
    `Logins per storm window: ${perWindow} (all succeeded: 302). One login (GET /hub/login + POST /hub/login): median ${fixed(storm.loginMedianMs)} ms, max ${fixed(storm.loginMaxMs)} ms. ` +
      `p99 storm / quiet: ${ratio(storm.storm.median.latencyP99Ms / storm.quiet.median.latencyP99Ms)} between the median rounds, ${ratio(pairedMedian(storm.storm.roundsP99Ms, storm.quiet.roundsP99Ms))} as the median of paired rounds (the target's figure).`,
  ].join('\n\n');
}

function metricsSection(metrics: MetricsOverheadResult): string {
  const off = (list: readonly Measurement<HttpResult>[]) => find(list, 'metrics-off')?.requestsPerSec;
  const { scrapes } = metrics;
  return [
    `### 7. Metrics overhead: two identical hubs, \`metrics: true\` (scraped every ${metrics.scrapeIntervalMs / 1000} s) vs \`metrics: false\`, rounds of ${metrics.durationS} s`,
    `Proxied: \`GET /user/alice/api/ping\` with the session cookie, ${metrics.proxiedRounds} rounds`,
    table(httpHeader('vs metrics: false'), httpRows(metrics.proxied, off(metrics.proxied))),
    `REST API: \`GET /hub/api/users/alice\` with an admin token, ${metrics.apiRounds} rounds (hub CPU is in the backend column)`,
    table(httpHeader('vs metrics: false'), httpRows(metrics.api, off(metrics.api))),
    `Scrapes of /hub/metrics during both: ${scrapes.scrapes}, all 200; mean ${fixed(scrapes.meanMs, 1)} ms, ${fixed(scrapes.meanBytes / 1000, 1)} kB.`,
  ].join('\n\n');
}

function cullSection(cull: CullBenchResult): string {
  const row = (label: string, figures: CullBenchResult['quiet']) => [label, figures.cpuMs.median.toFixed(1), figures.cpuMs.max.toFixed(1), figures.wallMs.median.toFixed(1), figures.wallMs.max.toFixed(1)];
  return (
    `### 9. Idle culler: one sweep over ${cull.users.toLocaleString('en')} users and ${cull.servers} running servers, ${cull.sweeps} sweeps each\n\n` +
    table(['sweep', 'hub CPU ms (median)', 'hub CPU ms (max)', 'wall ms (median)', 'wall ms (max)'], [row('quiet: all active, none culled', cull.quiet), row('due: all listed (dry run), first sweep is the max', cull.due)])
  );
}

function adminSection(admin: AdminBenchResult): string {
  return (
    `### 9b. Admin page: GET /hub/admin with ${admin.users.toLocaleString('en')} users and ${admin.servers} servers, ${admin.requests} requests each (budget ${admin.budgetMs} ms)\n\n` +
    table(['page', 'path', 'rows', 'median ms', 'p95 ms'], admin.cases.map((c) => [c.name, `\`${c.path}\``, String(c.rows), c.medianMs.toFixed(1), c.p95Ms.toFixed(1)]))
  );
}

function authSection(auth: readonly Measurement<HttpResult>[], s: Settings): string {
  return (
    `### 8. nginx auth_request: \`GET /hub/auth\` (hub alone, no nginx), wrk -t${s['wrkThreads']} -c${s['wrkConnections']}, ${s['rounds']} rounds of ${s['durationS']} s (hub CPU is in the backend column)\n\n` +
    table(httpHeader(''), httpRows(auth, undefined))
  );
}

function slurmSection(slurm: SlurmSpawnBenchResult): string {
  return (
    `### 9. ${slurm.count} concurrent spawns as Slurm jobs (real single-node Slurm, SlurmSpawner pollInterval ${slurm.pollIntervalS} s)\n\n` +
    table(
      ['all ready', 'median ready', 'all stopped', 'squeue calls', 'most squeue calls in one poll interval'],
      [[`${fixed(slurm.spawnWallMs / 1000, 1)} s`, `${fixed(slurm.medianReadyMs / 1000, 1)} s`, `${fixed(slurm.stopWallMs / 1000, 1)} s`, String(slurm.squeueCalls), String(slurm.maxSqueueCallsPerInterval)]],
    )
  );
}

function targetsSection(targets: readonly TargetCheck[]): string {
  if (targets.length === 0) return '';
  return `### Targets (the performance issue)\n\n${table(['target', 'measured', ''], targets.map((check) => [check.target, check.measured, check.met ? 'met' : '**not met**']))}`;
}

/** The tables alone: printed at the end of a run. */
export function renderTables(results: BenchResults): string {
  const s = results.settings;
  return [
    targetsSection(results.targets),
    `### Ratios\n\n${table(['comparison', 'ratio'], Object.entries(results.ratios).map(([name, value]) => [name, ratioCell(name, value)]))}`,
    results.http === undefined ? '' : httpSection(results.http, s),
    results.ws === undefined ? '' : wsSection(results.ws, s),
    results.api === undefined ? '' : apiSection(results.api, results.jupyterhubUnavailable),
    results.spawn === undefined ? '' : spawnSection(results.spawn),
    results.flat === undefined ? '' : flatSection(results.flat),
    results.storm === undefined ? '' : stormSection(results.storm),
    results.metrics === undefined ? '' : metricsSection(results.metrics),
    results.auth === undefined ? '' : authSection(results.auth, s),
    results.cull === undefined ? '' : cullSection(results.cull),
    results.admin === undefined ? '' : adminSection(results.admin),
    results.slurm === undefined ? '' : slurmSection(results.slurm),
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

function proxyChoice(results: BenchResults): string {
  const minis = (results.http ?? []).filter((measurement) => measurement.id.startsWith('mini-'));
  const [undici, httpProxy] = [find(results.http, 'mini-undici-dispatch'), find(results.http, 'mini-http-proxy')];
  if (undici === undefined || httpProxy === undefined) return '';
  const cheapest = [...minis].sort((a, b) => (a.result.proxyCpuUs ?? Infinity) - (b.result.proxyCpuUs ?? Infinity))[0];
  return [
    '## Proxy implementation',
    '',
    `undici Pool.dispatch() (as the hub) vs http-proxy: ${fixed(undici.requestsPerSec)} vs ${fixed(httpProxy.requestsPerSec)} req/s (${ratio(undici.requestsPerSec / httpProxy.requestsPerSec)}); ` +
      `proxy CPU per request ${fixed(undici.proxyCpuUs)} vs ${fixed(httpProxy.proxyCpuUs)} µs.`,
    '',
    table(
      ['mini proxy (bench/mini-proxy.ts)', 'req/s', 'proxy CPU µs/req'],
      minis.map(({ label, result }) => [label.replace(/^mini proxy: /, ''), fixed(result.requestsPerSec), fixed(result.proxyCpuUs)]),
    ),
    '',
    `Cheapest per request here: ${cheapest?.label.replace(/^mini proxy: /, '') ?? 'n/a'}. ` +
      'The mini proxies forward to the same demo app without authentication, with the hub\'s Pool settings; ' +
      'they isolate the library\'s cost, and are how the HTTP path of packages/hub/src/proxy/user-proxy.ts is chosen. ' +
      'WebSocket upgrades use http-proxy, which only pipes the two sockets once the handshake is through.',
  ].join('\n');
}

function profileSection(results: BenchResults): string {
  const profile = results.profile;
  if (profile === undefined) return '';
  const rows = (entries: ProfileSummary['topFunctions']) => entries.map((entry) => [`\`${entry.name}\``, fixed(entry.selfMs), `${fixed(entry.percent, 1)} %`]);
  return [
    '## Profile of the hub',
    '',
    `${profile.workload} Busy ${fixed(profile.busyMs)} ms, idle ${fixed(profile.idleMs)} ms of the hub's main thread.`,
    '',
    'Top 10 functions by self time:',
    '',
    table(['function', 'self ms', 'share of busy'], rows(profile.topFunctions)),
    '',
    'By module (self time):',
    '',
    table(['module', 'self ms', 'share of busy'], rows(profile.topModules)),
  ].join('\n');
}

const BUSY_WARNING =
  '**The machine was busy with other work during this run** (load average above the number of CPUs): throughput ' +
  'is low and noisy. Rounds are interleaved so that all paths suffer alike; the CPU-per-request columns are the ' +
  'figures least affected by the noise.';

/** Load average above the CPU count: other processes took CPU time from the measured ones. */
export function busy(results: Pick<BenchResults, 'load' | 'machine'>): boolean {
  return Math.max(results.load.start, results.load.end) > results.machine.nproc;
}

export function renderMarkdown(results: BenchResults): string {
  const m = results.machine;
  return [
    '# Gatehouse benchmark results',
    '',
    `Written by \`pnpm bench${results.complete ? '' : ` --only ${results.sections.join(',')}`}\` (bench/run.ts) on ${m.date}; the run took ${fixed(results.durationS)} s.`,
    '',
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB memory, ${m.kernel}, Node ${m.node}. ` +
      `Load average ${results.load.start.toFixed(1)} at the start, ${results.load.end.toFixed(1)} at the end.`,
    '',
    ...(busy(results) ? [BUSY_WARNING, ''] : []),
    renderTables(results),
    '',
    proxyChoice(results),
    '',
    profileSection(results),
    '',
    '## How it was measured',
    '',
    ...results.notes.map((note) => `- ${note}`),
    '',
  ]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
}

export function writeResults(results: BenchResults, markdownFile: string, jsonFile: string): void {
  writeFileSync(markdownFile, renderMarkdown(results));
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
}
