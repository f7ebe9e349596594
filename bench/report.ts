/** The machine description, the results model, and its rendering to results.md / results.json. */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { CpuCost, HttpResult, Measurement, WsResult } from './measure.ts';
import type { ProfileSummary } from './profile.ts';
import type { SpawnBenchResult } from './spawn-bench.ts';

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

export interface BenchResults {
  readonly machine: MachineInfo;
  readonly settings: Readonly<Record<string, number | string>>;
  /** 1-minute load average when the run started and ended: other work on the machine skews throughput. */
  readonly load: { readonly start: number; readonly end: number };
  readonly http: readonly Measurement<HttpResult>[];
  readonly ws: readonly Measurement<WsResult>[];
  readonly api: readonly Measurement<HttpResult>[];
  /** Why JupyterHub was not measured (then the reference figure is used). */
  readonly jupyterhubUnavailable: string | null;
  readonly spawn: SpawnBenchResult;
  readonly ratios: Readonly<Record<string, number>>;
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

function find<T>(list: readonly Measurement<T>[], id: string): T | undefined {
  return list.find((measurement) => measurement.id === id)?.result;
}

/** The ratios the results are judged by (a ratio is omitted when one side was not measured). */
export function computeRatios(results: Pick<BenchResults, 'http' | 'ws' | 'api' | 'jupyterhubUnavailable'>): Record<string, number> {
  const ratios: Record<string, number> = {};
  const add = (name: string, a: number | undefined, b: number | undefined) => {
    if (a !== undefined && b !== undefined && b > 0) ratios[name] = a / b;
  };
  const rps = (list: readonly Measurement<HttpResult>[], id: string) => find(list, id)?.requestsPerSec;
  const proxyCpu = (list: readonly Measurement<CpuCost>[], id: string) => find(list, id)?.proxyCpuUs;
  add('HTTP req/s: Gatehouse / CHP', rps(results.http, 'gatehouse'), rps(results.http, 'chp'));
  add('HTTP req/s: Gatehouse / direct', rps(results.http, 'gatehouse'), rps(results.http, 'direct'));
  add('HTTP req/s: CHP / direct', rps(results.http, 'chp'), rps(results.http, 'direct'));
  add('HTTP proxy CPU per request: CHP / Gatehouse', proxyCpu(results.http, 'chp'), proxyCpu(results.http, 'gatehouse'));
  add('HTTP req/s: mini undici / mini http-proxy', rps(results.http, 'mini-undici'), rps(results.http, 'mini-http-proxy'));
  add('HTTP proxy CPU per request: mini http-proxy / mini undici', proxyCpu(results.http, 'mini-http-proxy'), proxyCpu(results.http, 'mini-undici'));
  add('HTTP proxy CPU per request: mini undici request() / mini undici stream()', proxyCpu(results.http, 'mini-undici'), proxyCpu(results.http, 'mini-undici-stream'));
  const mps = (id: string) => find(results.ws, id)?.messagesPerSec;
  add('WebSocket msg/s: Gatehouse / direct', mps('gatehouse'), mps('direct'));
  add('WebSocket msg/s: Gatehouse / CHP', mps('gatehouse'), mps('chp'));
  add('WebSocket proxy CPU per message: CHP / Gatehouse', proxyCpu(results.ws, 'chp'), proxyCpu(results.ws, 'gatehouse'));
  const jupyterhub = results.jupyterhubUnavailable === null ? rps(results.api, 'jupyterhub') : JUPYTERHUB_REFERENCE_RPS;
  add('REST API req/s: Gatehouse / JupyterHub', rps(results.api, 'gatehouse'), jupyterhub);
  add('REST API hub CPU per request: JupyterHub / Gatehouse', find(results.api, 'jupyterhub-hub-port')?.backendCpuUs, find(results.api, 'gatehouse')?.backendCpuUs);
  return ratios;
}

const fixed = (value: number | undefined, digits = 0) => (value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : '');
const ratio = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(2)}×`);
const rounds = (rates: readonly number[]) => rates.map((rate) => rate.toFixed(0)).join(' / ');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

const HTTP_HEADER = ['path', 'req/s (median)', 'rounds', 'p50 ms', 'p99 ms', 'vs direct', 'proxy CPU µs/req', 'backend CPU µs/req', 'errors'];

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

/** The tables alone: printed at the end of a run. */
export function renderTables(results: BenchResults): string {
  const direct = find(results.http, 'direct')?.requestsPerSec;
  const wsDirect = find(results.ws, 'direct')?.messagesPerSec;
  const s = results.settings;
  const reference = results.jupyterhubUnavailable === null ? [] : [['JupyterHub 3.0 (reference figure, not measured here)', String(JUPYTERHUB_REFERENCE_RPS), '', '', '', '', '', '', '']];
  const wsRows = results.ws.map(({ label, result }) => [
    label,
    fixed(result.messagesPerSec),
    rounds(result.roundsPerSec),
    fixed(result.meanRoundTripMs, 3),
    wsDirect === undefined ? '' : ratio(result.messagesPerSec / wsDirect),
    fixed(result.proxyCpuUs, 1),
    fixed(result.backendCpuUs, 1),
  ]);
  const spawn = results.spawn;
  return [
    `### Ratios\n\n${table(['comparison', 'ratio'], Object.entries(results.ratios).map(([name, value]) => [name, ratio(value)]))}`,
    `### 1. HTTP: \`GET /user/alice/api/ping\` (1 KB), wrk -t${s['wrkThreads']} -c${s['wrkConnections']}, ${s['rounds']} rounds of ${s['durationS']} s\n\n` +
      table(HTTP_HEADER, httpRows(results.http, direct)),
    `### 2. WebSocket echo: ${s['wsConnections']} connections ping-pong ${s['wsPayloadBytes']} B, ${s['rounds']} rounds of ${Number(s['wsDurationMs']) / 1000} s\n\n` +
      table(['path', 'messages/s (median)', 'rounds', 'mean round trip ms', 'vs direct', 'proxy CPU µs/msg', 'backend CPU µs/msg'], wsRows),
    `### 3. REST API: \`GET /hub/api/users/alice\` with an admin API token (hub CPU is in the backend column)\n\n` +
      table(HTTP_HEADER, [...httpRows(results.api, undefined), ...reference]) +
      (results.jupyterhubUnavailable === null ? '' : `\n\nJupyterHub could not be started (${results.jupyterhubUnavailable}): Gatehouse is compared with the ${JUPYTERHUB_REFERENCE_RPS} req/s reference.`),
    `### 4. Spawns: ${spawn.count} concurrent demo-app servers through the REST API\n\n` +
      table(['all ready (wall)', 'median ready', 'all stopped (wall)'], [[`${fixed(spawn.spawnWallMs)} ms`, `${fixed(spawn.medianReadyMs)} ms`, `${fixed(spawn.stopWallMs)} ms`]]),
  ].join('\n\n');
}

function proxyChoice(results: BenchResults): string {
  const minis = results.http.filter((measurement) => measurement.id.startsWith('mini-'));
  const [undici, httpProxy] = [find(results.http, 'mini-undici'), find(results.http, 'mini-http-proxy')];
  if (undici === undefined || httpProxy === undefined) return '';
  const cheapest = [...minis].sort((a, b) => (a.result.proxyCpuUs ?? Infinity) - (b.result.proxyCpuUs ?? Infinity))[0];
  return [
    '## Proxy implementation',
    '',
    `undici Pool vs http-proxy: ${fixed(undici.requestsPerSec)} vs ${fixed(httpProxy.requestsPerSec)} req/s (${ratio(undici.requestsPerSec / httpProxy.requestsPerSec)}); ` +
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
    `Written by \`pnpm bench\` (bench/run.ts) on ${m.date}; the run took ${fixed(results.durationS)} s.`,
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
