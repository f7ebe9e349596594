/**
 * The targets of the performance issue, checked against one run's figures. A target whose
 * section did not run is left out (a `--only` run checks only its own).
 */
import type { BenchResults } from './report.ts';
import { JUPYTERHUB_REFERENCE_RPS, find, flatHubMemoryMB } from './report.ts';

/** JupyterHub's wall time for 50 concurrent spawns, the reference (not measured here). */
export const JUPYTERHUB_50_SPAWNS_REFERENCE_MS = 7900;
export const FLAT_COST_MIN_RATIO = 0.9;
export const FLAT_COST_MAX_MEMORY_MB = 200;
export const STORM_MAX_P99_RATIO = 2;
export const METRICS_MIN_RATIO = 0.97;
/** GET /hub/auth with the cookie (issue 15). */
export const AUTH_REQUEST_MIN_RPS = 5000;
export const AUTH_REQUEST_MAX_P99_MS = 5;
/** One idle-culler sweep over 10,000 users and 500 servers (issue 18). */
export const CULL_SWEEP_MAX_CPU_MS = 50;

export interface TargetCheck {
  readonly target: string;
  /** The measured figure, as text (with what it was compared to). */
  readonly measured: string;
  readonly met: boolean;
}

type Figures = Omit<BenchResults, 'targets' | 'notes' | 'profile' | 'durationS'>;

const times = (value: number) => `${value.toFixed(2)}×`;

/** `value` against `threshold`: met when at least (or, with `atMost`, at most) the threshold. */
function check(target: string, value: number | undefined, threshold: number, describe: (value: number) => string, atMost = false): TargetCheck[] {
  if (value === undefined || !Number.isFinite(value)) return [];
  return [{ target, measured: describe(value), met: atMost ? value <= threshold : value >= threshold }];
}

export function checkTargets(results: Figures): TargetCheck[] {
  const r = results.ratios;
  const gatehouse = find(results.http, 'gatehouse');
  const chp = find(results.http, 'chp');
  const spawn = results.spawn;
  const flat = results.flat;
  const authCookie = find(results.auth, 'auth-cookie');
  const flatRatio = Object.entries(r).find(([name]) => name.startsWith('Flat cost: proxied req/s'))?.[1];
  const jupyterhub = results.jupyterhubUnavailable === null ? 'JupyterHub measured here' : `JupyterHub reference ${JUPYTERHUB_REFERENCE_RPS} req/s`;
  return [
    ...check('HTTP proxied req/s ≥ 3.0× CHP', r['HTTP req/s: Gatehouse / CHP'], 3, times),
    ...check('HTTP proxied req/s ≥ 0.33× direct', r['HTTP req/s: Gatehouse / direct'], 0.33, times),
    ...check('HTTP proxied req/s with an API token ≥ 0.95× the session cookie', r['HTTP req/s: Gatehouse API token / session cookie'], 0.95, times),
    ...check(
      'HTTP proxied p99 ≤ CHP\'s',
      gatehouse === undefined || chp === undefined ? undefined : gatehouse.latencyP99Ms / chp.latencyP99Ms,
      1,
      () => `${gatehouse?.latencyP99Ms.toFixed(1)} ms vs CHP ${chp?.latencyP99Ms.toFixed(1)} ms`,
      true,
    ),
    ...check('WebSocket msg/s ≥ 0.5× direct', r['WebSocket msg/s: Gatehouse / direct'], 0.5, times),
    ...check(`auth_request: GET /hub/auth with the cookie ≥ ${AUTH_REQUEST_MIN_RPS.toLocaleString('en')} req/s`, authCookie?.requestsPerSec, AUTH_REQUEST_MIN_RPS, (rps) => `${rps.toFixed(0)} req/s`),
    ...check(`auth_request: GET /hub/auth with the cookie p99 ≤ ${AUTH_REQUEST_MAX_P99_MS} ms`, authCookie?.latencyP99Ms, AUTH_REQUEST_MAX_P99_MS, (ms) => `${ms.toFixed(2)} ms`, true),
    ...check('REST API req/s ≥ 10× JupyterHub', r['REST API req/s: Gatehouse / JupyterHub'], 10, (value) => `${times(value)} (${jupyterhub})`),
    ...check(
      `${spawn?.count ?? 50} concurrent spawns ready ≤ half of JupyterHub's ${JUPYTERHUB_50_SPAWNS_REFERENCE_MS / 1000} s reference`,
      spawn?.spawnWallMs,
      JUPYTERHUB_50_SPAWNS_REFERENCE_MS / 2,
      (ms) => `${(ms / 1000).toFixed(2)} s`,
      true,
    ),
    ...check(
      `Flat cost: proxied req/s with ${flat?.users.toLocaleString('en') ?? '10,000'} users and ${flat?.runningServers ?? 200} running servers ≥ ${FLAT_COST_MIN_RATIO}× one user`,
      flatRatio,
      FLAT_COST_MIN_RATIO,
      times,
    ),
    ...check(
      `Flat cost: hub memory ≤ ${FLAT_COST_MAX_MEMORY_MB} MB`,
      flat === undefined ? undefined : flatHubMemoryMB(flat),
      FLAT_COST_MAX_MEMORY_MB,
      (mb) => {
        const after = flat?.memory.bigHub.afterLoad;
        const helpers = after === undefined || after.helpers === 0 ? '' : ` (hub ${after.rssMB.toFixed(0)} + helper processes ${after.helpersRssMB.toFixed(0)})`;
        return `${mb.toFixed(0)} MB RSS after the load${helpers}; hub peak ${after?.peakRssMB.toFixed(0)} MB`;
      },
      true,
    ),
    ...check(
      `Login storm: proxied p99 ≤ ${STORM_MAX_P99_RATIO}× quiet during ${results.storm?.concurrentLogins ?? 20} concurrent argon2 logins`,
      r['Login storm: proxied p99 storm / quiet (median of paired rounds)'],
      STORM_MAX_P99_RATIO,
      (value) => `${times(value)} (${results.storm?.storm.median.latencyP99Ms.toFixed(1)} vs ${results.storm?.quiet.median.latencyP99Ms.toFixed(1)} ms)`,
      true,
    ),
    ...check(`Metrics: proxied req/s ≥ ${METRICS_MIN_RATIO}× metrics off`, r['Metrics: proxied req/s on / off (median of paired rounds)'], METRICS_MIN_RATIO, times),
    ...check(
      `Idle culler: one sweep over ${results.cull?.users.toLocaleString('en') ?? '10,000'} users and ${results.cull?.servers ?? 500} servers ≤ ${CULL_SWEEP_MAX_CPU_MS} ms of hub CPU`,
      results.cull?.quiet.cpuMs.median,
      CULL_SWEEP_MAX_CPU_MS,
      (value) => `${value.toFixed(1)} ms (max ${results.cull?.quiet.cpuMs.max.toFixed(1)}; everything due, first sweep: ${results.cull?.due.cpuMs.max.toFixed(1)} ms)`,
      true,
    ),
    ...check(
      `Admin page: slowest p95 with ${results.admin?.users.toLocaleString('en') ?? '10,000'} users and ${results.admin?.servers ?? 500} servers ≤ ${results.admin?.budgetMs ?? 200} ms`,
      results.admin === undefined ? undefined : Math.max(...results.admin.cases.map((c) => c.p95Ms)),
      results.admin?.budgetMs ?? 200,
      (ms) => `${ms.toFixed(1)} ms (${results.admin?.cases.find((c) => c.p95Ms === ms)?.name})`,
      true,
    ),
  ];
}
