/**
 * Measurements in interleaved rounds: every target once per round (warmed up in the first; every
 * other round in reverse order), so that a burst of outside load hits all of them alike; the
 * median round is reported, and the CPU time of the proxy and of the backend per request (summed
 * over all rounds) alongside.
 */
import { cpuDuring } from './cpu-time.ts';
import { runWrk, type WrkResult } from './wrk.ts';
import { runWsBench, type WsBenchResult } from './ws-bench.ts';

export interface Target {
  readonly id: string;
  readonly label: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Process groups whose CPU time is charged to this path (no proxy for the direct case). */
  readonly cpu: { readonly proxyPgid?: number; readonly backendPgid?: number };
}

export interface Settings {
  readonly rounds: number;
  readonly wrkThreads: number;
  readonly wrkConnections: number;
  readonly warmupS: number;
  readonly durationS: number;
  readonly wsConnections: number;
  readonly wsWarmupMs: number;
  readonly wsDurationMs: number;
  readonly wsPayloadBytes: number;
  readonly spawnCount: number;
}

/** CPU microseconds per request (or per WebSocket message), over all rounds. */
export interface CpuCost {
  readonly proxyCpuUs: number | undefined;
  readonly backendCpuUs: number | undefined;
}

export interface Measurement<T> {
  readonly id: string;
  readonly label: string;
  readonly result: T;
}

export type HttpResult = WrkResult & CpuCost & { readonly roundsPerSec: readonly number[] };
export type WsResult = WsBenchResult & CpuCost & { readonly roundsPerSec: readonly number[] };

interface Sample<R> {
  readonly result: R;
  readonly rate: number;
  readonly units: number;
  readonly cpuMs: readonly (number | undefined)[];
}

/** A fast wrong answer (403, a redirect to the login page) must never be measured as throughput. */
export async function expectAnswer(target: Target, looksRight: (body: string) => boolean): Promise<void> {
  const response = await fetch(target.url, { headers: target.headers, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  const body = await response.text();
  if (response.status !== 200 || !looksRight(body)) {
    throw new Error(`${target.label}: ${target.url} answered ${response.status} ${JSON.stringify(body.slice(0, 120))}`);
  }
}

async function interleave<R>(
  targets: readonly Target[],
  rounds: number,
  warmUp: (target: Target) => Promise<unknown>,
  measure: (target: Target) => Promise<{ result: R; rate: number; units: number }>,
): Promise<Map<string, Sample<R>[]>> {
  const samples = new Map(targets.map((target): [string, Sample<R>[]] => [target.id, []]));
  for (let round = 0; round < rounds; round += 1) {
    // Every other round in reverse order: no target always runs right after another, or first.
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      if (round === 0) await warmUp(target);
      const groups = [target.cpu.proxyPgid, target.cpu.backendPgid];
      const pgids = groups.filter((pgid): pgid is number => pgid !== undefined);
      const { value, cpuMs } = await cpuDuring(pgids, () => measure(target));
      let next = 0;
      samples.get(target.id)?.push({ ...value, cpuMs: groups.map((pgid) => (pgid === undefined ? undefined : cpuMs[next++])) });
    }
  }
  return samples;
}

/** The median round (by rate), with CPU per unit over all rounds and every round's rate. */
function summarize<R>(samples: readonly Sample<R>[]): R & CpuCost & { roundsPerSec: number[] } {
  const sorted = [...samples].sort((a, b) => a.rate - b.rate);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (median === undefined) throw new Error('no rounds measured');
  const units = samples.reduce((sum, sample) => sum + sample.units, 0);
  const perUnit = (index: number) => {
    if (samples.some((sample) => sample.cpuMs[index] === undefined) || units === 0) return undefined;
    return (samples.reduce((sum, sample) => sum + (sample.cpuMs[index] ?? 0), 0) * 1000) / units;
  };
  return { ...median.result, proxyCpuUs: perUnit(0), backendCpuUs: perUnit(1), roundsPerSec: samples.map((sample) => sample.rate) };
}

export async function measureHttp(wrk: string, settings: Settings, targets: readonly Target[], looksRight: (body: string) => boolean): Promise<Measurement<HttpResult>[]> {
  for (const target of targets) await expectAnswer(target, looksRight);
  const run = (target: Target, durationS: number) =>
    runWrk(wrk, { url: target.url, headers: target.headers, threads: settings.wrkThreads, connections: settings.wrkConnections, durationS });
  const samples = await interleave(
    targets,
    settings.rounds,
    (target) => run(target, settings.warmupS),
    async (target) => {
      const result = await run(target, settings.durationS);
      if (result.non2xx > 0) throw new Error(`${target.label}: ${result.non2xx} responses were not 2xx/3xx: not a valid measurement`);
      return { result, rate: result.requestsPerSec, units: result.requests };
    },
  );
  return targets.map((target) => {
    const result = summarize(samples.get(target.id) ?? []);
    report(`${target.label}: ${result.requestsPerSec.toFixed(0)} req/s (rounds ${result.roundsPerSec.map((rate) => rate.toFixed(0)).join(', ')}), p99 ${result.latencyP99Ms.toFixed(2)} ms`);
    return { id: target.id, label: target.label, result };
  });
}

export async function measureWs(settings: Settings, targets: readonly Target[]): Promise<Measurement<WsResult>[]> {
  const options = (target: Target) => ({ url: target.url, headers: target.headers, connections: settings.wsConnections, payloadBytes: settings.wsPayloadBytes });
  const samples = await interleave(
    targets,
    settings.rounds,
    (target) => runWsBench({ ...options(target), durationMs: settings.wsWarmupMs }),
    async (target) => {
      const result = await runWsBench({ ...options(target), durationMs: settings.wsDurationMs });
      return { result, rate: result.messagesPerSec, units: result.messages };
    },
  );
  return targets.map((target) => {
    const result = summarize(samples.get(target.id) ?? []);
    report(`${target.label}: ${result.messagesPerSec.toFixed(0)} messages/s (rounds ${result.roundsPerSec.map((rate) => rate.toFixed(0)).join(', ')})`);
    return { id: target.id, label: target.label, result };
  });
}

/** Progress goes to stderr, so that stdout holds only the final tables. */
export function report(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}
