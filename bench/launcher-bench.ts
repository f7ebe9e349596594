/**
 * What forking servers costs the hub: `count` demo-app starts at once through LocalProcessSpawner, from
 * a process holding `rssMb` of resident memory (a hub in a class burst holds ~200 MB), once with the
 * process launcher (the default) and once forking in the process itself. Each mode runs in a fresh
 * child process of this script. Reported: that process's CPU per start (process.cpuUsage over the whole
 * burst, readiness polling included: the same in both modes), its worst event-loop stall and p99
 * (perf_hooks monitorEventLoopDelay, 1 ms resolution), and the time until all were ready.
 *
 * Usage: tsx bench/launcher-bench.ts [count=100] [rssMb=200]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { inHubProcessLauncher, LocalProcessSpawner } from '../packages/spawner/src/index.ts';
import { MemoryPortRegistry, recordedRequest, silentLogger } from '../packages/spawner/src/testing/harness.ts';

type Mode = 'launcher' | 'in-hub';

interface ModeResult {
  readonly mode: Mode;
  readonly rssMb: number;
  readonly cpuMsPerStart: number;
  readonly mainThreadCpuMsPerStart: number;
  readonly maxStallMs: number;
  readonly p99StallMs: number;
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

async function measure(mode: Mode, count: number, rssMb: number): Promise<ModeResult> {
  const held = holdResidentMemory(rssMb);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-launcher-bench-'));
  const spawner = new LocalProcessSpawner({ portRange: PORT_RANGE, sandbox: false, stopGracePeriod: 2 }, mode === 'in-hub' ? inHubProcessLauncher : undefined);
  await spawner.init({ logger: silentLogger, ports: new MemoryPortRegistry(), dataDir });
  const requests = Array.from({ length: count }, (_, i) => recordedRequest(`bench${i}`));
  const stalls = monitorEventLoopDelay({ resolution: 1 });
  const rss = process.memoryUsage().rss;
  stalls.enable();
  const cpuBefore = process.cpuUsage();
  const mainThreadBefore = mainThreadCpuMs();
  const started = performance.now();
  const outcomes = await Promise.allSettled(requests.map((request) => spawner.start(request, request.onProgress, new AbortController().signal)));
  const allReadyMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const mainThread = mainThreadCpuMs() - mainThreadBefore;
  stalls.disable();
  // Stop everything a start left, also after a failure: the bench leaves nothing running.
  await Promise.all(requests.flatMap((request) => request.launchedHandles.map((handle) => spawner.stop(handle))));
  rmSync(dataDir, { recursive: true, force: true });
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  held.length = 0;
  return {
    mode,
    rssMb: rss / 1024 / 1024,
    cpuMsPerStart: (cpu.user + cpu.system) / 1000 / count,
    mainThreadCpuMsPerStart: mainThread / count,
    maxStallMs: stalls.max / 1e6,
    p99StallMs: stalls.percentile(99) / 1e6,
    allReadyMs,
  };
}

/** One mode in a fresh process (tsx), so that neither inherits the other's heap or children. */
function measureInChild(mode: Mode, count: number, rssMb: number): ModeResult {
  const script = fileURLToPath(import.meta.url);
  const output = execFileSync(process.execPath, ['--import', 'tsx', script, '--mode', mode, String(count), String(rssMb)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  });
  return JSON.parse(output.trim().split('\n').at(-1) ?? '') as ModeResult;
}

function table(results: readonly ModeResult[]): string {
  const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [
    row(['fork/exec in', 'hub RSS', 'hub CPU per start', 'of it on the event loop', 'worst event-loop stall', 'stall p99', 'all ready']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...results.map((r) =>
      row([r.mode === 'launcher' ? 'launcher process' : 'hub process', `${r.rssMb.toFixed(0)} MB`, `${r.cpuMsPerStart.toFixed(1)} ms`, `${r.mainThreadCpuMsPerStart.toFixed(1)} ms`, `${r.maxStallMs.toFixed(1)} ms`, `${r.p99StallMs.toFixed(1)} ms`, `${(r.allReadyMs / 1000).toFixed(2)} s`]),
    ),
  ].join('\n');
}

const args = process.argv.slice(2);
if (args[0] === '--mode') {
  const [, mode, count, rssMb] = args;
  console.log(JSON.stringify(await measure(mode as Mode, Number(count), Number(rssMb))));
} else {
  const count = Number(args[0] ?? 100);
  const rssMb = Number(args[1] ?? 200);
  // In-hub first and launcher second, then once more in the other order: load left by one run biases neither.
  const runs = [measureInChild('in-hub', count, rssMb), measureInChild('launcher', count, rssMb), measureInChild('launcher', count, rssMb), measureInChild('in-hub', count, rssMb)];
  const load = loadavg()[0]?.toFixed(1);
  console.log(`${count} demo-app starts at once through LocalProcessSpawner (no sandbox), from a process holding ~${rssMb} MB RSS; load average ${load} at the end:\n`);
  console.log(table(runs));
}
