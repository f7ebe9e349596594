/**
 * What forking servers costs the hub: `count` demo-app starts through LocalProcessSpawner, arriving at
 * random (seeded) within `windowS` seconds as a class does, from a process holding `rssMb` of resident
 * memory (a hub in a class burst holds ~200 MB), once with the process launcher (the default) and once
 * forking in the process itself. Each mode runs in a fresh child process of this script. Reported:
 * that process's CPU per start (process.cpuUsage over the burst, readiness polling included: the same
 * in both modes) and the part on its main thread (/proc), its worst event-loop stall and p99
 * (perf_hooks monitorEventLoopDelay, 1 ms resolution), the same stall figures of an idle bystander
 * process (what the machine itself inflicts while the servers boot), and the time until all were ready.
 *
 * Usage: tsx bench/launcher-bench.ts [count=100] [rssMb=200] [windowS=5]
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { inHubProcessLauncher, LocalProcessSpawner } from '../packages/spawner/src/index.ts';
import { MemoryPortRegistry, recordedRequest, silentLogger } from '../packages/spawner/src/testing/harness.ts';

type Mode = 'launcher' | 'in-hub';

interface Stall {
  readonly maxMs: number;
  readonly p99Ms: number;
}

interface ModeResult {
  readonly mode: Mode;
  readonly rssMb: number;
  readonly cpuMsPerStart: number;
  readonly mainThreadCpuMsPerStart: number;
  readonly stall: Stall;
  readonly bystanderStall: Stall;
  readonly allReadyMs: number;
}

// Not the ranges of the tests or of `pnpm bench`'s hubs.
const PORT_RANGE: [number, number] = [47000, 47999];

/** CPU time of this process's main thread (the event loop's), from /proc: other threads (GC, libuv pool) excluded. */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 (fields[11], fields[12]), in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Touched memory, so that a fork must copy the page tables of a hub this size. */
function holdResidentMemory(targetMb: number): Buffer[] {
  const held: Buffer[] = [];
  while (process.memoryUsage().rss < targetMb * 1024 * 1024) held.push(Buffer.alloc(4 * 1024 * 1024, 1));
  return held;
}

function stallOf(histogram: IntervalHistogram): Stall {
  return { maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6 };
}

/** Arrival offsets in ms, uniform in the window, the same for every run (mulberry32, seed 20). */
function arrivals(count: number, windowMs: number): number[] {
  let seed = 20;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => random() * windowMs);
}

/** An idle node process that measures its own event-loop delay until told to stop. */
async function startBystander(): Promise<{ stop(): Promise<Stall> }> {
  const source = `const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 1 }); h.enable();
process.send('ready'); process.on('message', () => { h.disable(); process.send({ maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 }); process.disconnect(); });`;
  const bystander = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await once(bystander, 'message');
  return {
    async stop() {
      bystander.send('stop');
      const [stall] = (await once(bystander, 'message')) as [Stall];
      return stall;
    },
  };
}

async function measure(mode: Mode, count: number, rssMb: number, windowS: number): Promise<ModeResult> {
  const held = holdResidentMemory(rssMb);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-launcher-bench-'));
  const spawner = new LocalProcessSpawner({ portRange: PORT_RANGE, sandbox: false, stopGracePeriod: 2 }, mode === 'in-hub' ? inHubProcessLauncher : undefined);
  await spawner.init({ logger: silentLogger, ports: new MemoryPortRegistry(), dataDir });
  const requests = Array.from({ length: count }, (_, i) => recordedRequest(`bench${i}`));
  const bystander = await startBystander();
  const stalls = monitorEventLoopDelay({ resolution: 1 });
  const rss = process.memoryUsage().rss;
  stalls.enable();
  const cpuBefore = process.cpuUsage();
  const mainThreadBefore = mainThreadCpuMs();
  const started = performance.now();
  const offsets = arrivals(count, windowS * 1000);
  const outcomes = await Promise.allSettled(
    requests.map(async (request, i) => {
      await delay(offsets[i]);
      return spawner.start(request, request.onProgress, new AbortController().signal);
    }),
  );
  const allReadyMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const mainThread = mainThreadCpuMs() - mainThreadBefore;
  stalls.disable();
  const bystanderStall = await bystander.stop();
  // Stop everything a start left, also after a failure (ten at a time: each stop scans /proc).
  const handles = requests.flatMap((request) => request.launchedHandles);
  for (let i = 0; i < handles.length; i += 10) await Promise.all(handles.slice(i, i + 10).map((handle) => spawner.stop(handle)));
  rmSync(dataDir, { recursive: true, force: true });
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  held.length = 0;
  return {
    mode,
    rssMb: rss / 1024 / 1024,
    cpuMsPerStart: (cpu.user + cpu.system) / 1000 / count,
    mainThreadCpuMsPerStart: mainThread / count,
    stall: stallOf(stalls),
    bystanderStall,
    allReadyMs,
  };
}

/** One mode in a fresh process (tsx), so that neither inherits the other's heap or children. */
function measureInChild(mode: Mode, count: number, rssMb: number, windowS: number): ModeResult {
  const script = fileURLToPath(import.meta.url);
  const output = execFileSync(process.execPath, ['--import', 'tsx', script, '--mode', mode, String(count), String(rssMb), String(windowS)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  });
  return JSON.parse(output.trim().split('\n').at(-1) ?? '') as ModeResult;
}

function table(results: readonly ModeResult[]): string {
  const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return [
    row(['fork/exec in', 'hub RSS', 'hub CPU per start', 'on its event loop', 'worst stall', 'stall p99', 'bystander worst / p99', 'all ready']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...results.map((r) =>
      row([
        r.mode === 'launcher' ? 'launcher process' : 'hub process',
        `${r.rssMb.toFixed(0)} MB`,
        ms(r.cpuMsPerStart),
        ms(r.mainThreadCpuMsPerStart),
        ms(r.stall.maxMs),
        ms(r.stall.p99Ms),
        `${ms(r.bystanderStall.maxMs)} / ${ms(r.bystanderStall.p99Ms)}`,
        `${(r.allReadyMs / 1000).toFixed(2)} s`,
      ]),
    ),
  ].join('\n');
}

const args = process.argv.slice(2);
if (args[0] === '--mode') {
  const [, mode, count, rssMb, windowS] = args;
  console.log(JSON.stringify(await measure(mode as Mode, Number(count), Number(rssMb), Number(windowS))));
} else {
  const [count = 100, rssMb = 200, windowS = 5] = args.map(Number);
  // In-hub first and launcher second, then once more in the other order: load left by one run biases neither.
  const order: Mode[] = ['in-hub', 'launcher', 'launcher', 'in-hub'];
  const runs = order.map((mode) => measureInChild(mode, count, rssMb, windowS));
  const load = loadavg()[0]?.toFixed(1);
  console.log(`${count} demo-app starts through LocalProcessSpawner (no sandbox), arriving within ${windowS} s, from a process holding ~${rssMb} MB RSS; load average ${load} at the end:\n`);
  console.log(table(runs));
}
