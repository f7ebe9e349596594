/**
 * Where the CPU went during a stretch of a bench: seconds of CPU (user + system) spent by each part of
 * a hub — the hub process itself, each kind of helper it started (the password hasher, the proxy),
 * the servers — and by this bench process (the simulated people), read from /proc.
 *
 * `CpuSampler` reads the process tree under the hub every SAMPLE_INTERVAL_MS and keeps, per pid, the
 * CPU seen first and last, so a process that starts and ends between two reads is missed (at most one
 * interval of its CPU); processes that ended are credited with their last reading. For the hub and its
 * helpers (not the many servers) it also reads how long their threads waited, runnable, for a CPU
 * (/proc/PID/task/TID/schedstat): the sign of a part starved by the scheduler rather than slow itself.
 */
import { readdirSync, readFileSync } from 'node:fs';

const SAMPLE_INTERVAL_MS = 500;
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Names a descendant of the hub by its command line: a part such as 'password hasher', or undefined for a server. */
export type PartOf = (commandLine: string) => string | undefined;

interface ProcessReading {
  readonly ppid: number;
  readonly cpuTicks: number;
  readonly commandLine: string;
}

function readProcess(pid: number): ProcessReading | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const cpuTicks = Number(fields[11]) + Number(fields[12]); // utime + stime
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return { ppid, cpuTicks, commandLine };
  } catch {
    return undefined; // gone
  }
}

/** Nanoseconds the process's threads spent runnable but waiting for a CPU (0 when unreadable). */
function runQueueWaitNs(pid: number): number {
  let total = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1] ?? 0);
      } catch {
        // the thread ended
      }
    }
  } catch {
    // the process ended
  }
  return total;
}

function allProcesses(): Map<number, ProcessReading> {
  const readings = new Map<number, ProcessReading>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const reading = readProcess(Number(entry));
    if (reading !== undefined) readings.set(Number(entry), reading);
  }
  return readings;
}

/** The pids under `root` (itself included). */
function treeOf(root: number, readings: Map<number, ProcessReading>): Set<number> {
  const tree = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, reading] of readings) {
      if (!tree.has(pid) && tree.has(reading.ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return tree;
}

export interface CpuByPart {
  /** CPU seconds per part: 'hub', each named helper, 'servers', 'bench clients'. */
  readonly seconds: Readonly<Record<string, number>>;
  /** Seconds the threads of the hub and of each named helper waited, runnable, for a CPU. */
  readonly waitedSeconds: Readonly<Record<string, number>>;
  /** Wall-clock seconds of the stretch measured. */
  readonly wallSeconds: number;
}

export class CpuSampler {
  readonly #hubPid: number;
  readonly #partOf: PartOf;
  readonly #first = new Map<number, { ticks: number; part: string; waitNs: number }>();
  readonly #last = new Map<number, { ticks: number; waitNs: number }>();
  readonly #timer: NodeJS.Timeout;
  readonly #benchStart = process.cpuUsage();
  readonly #wallStart = performance.now();
  /** True during the first reading: what runs then counts from its CPU at that moment. */
  #baseline = true;

  constructor(hubPid: number, partOf: PartOf) {
    this.#hubPid = hubPid;
    this.#partOf = partOf;
    this.#sample();
    this.#baseline = false;
    this.#timer = setInterval(() => this.#sample(), SAMPLE_INTERVAL_MS);
  }

  #sample(): void {
    const readings = allProcesses();
    for (const pid of treeOf(this.#hubPid, readings)) {
      const reading = readings.get(pid);
      if (reading === undefined) continue;
      if (!this.#first.has(pid)) {
        // A process first seen later began during the stretch: all its CPU counts.
        const part = pid === this.#hubPid ? 'hub' : (this.#partOf(reading.commandLine) ?? 'servers');
        const waitNs = part === 'servers' || !this.#baseline ? 0 : runQueueWaitNs(pid);
        this.#first.set(pid, { ticks: this.#baseline ? reading.cpuTicks : 0, part, waitNs });
      }
      const part = this.#first.get(pid)?.part;
      this.#last.set(pid, { ticks: reading.cpuTicks, waitNs: part === 'servers' ? 0 : runQueueWaitNs(pid) });
    }
  }

  /** Stops sampling and returns the CPU per part since construction. */
  stop(): CpuByPart {
    this.#sample();
    clearInterval(this.#timer);
    const seconds: Record<string, number> = {};
    const waitedSeconds: Record<string, number> = {};
    for (const [pid, first] of this.#first) {
      const last = this.#last.get(pid) ?? first;
      seconds[first.part] = (seconds[first.part] ?? 0) + (last.ticks - first.ticks) / CLOCK_TICKS_PER_SECOND;
      if (first.part !== 'servers') waitedSeconds[first.part] = (waitedSeconds[first.part] ?? 0) + (last.waitNs - first.waitNs) / 1e9;
    }
    const bench = process.cpuUsage(this.#benchStart);
    seconds['bench clients'] = (bench.user + bench.system) / 1e6;
    return { seconds, waitedSeconds, wallSeconds: (performance.now() - this.#wallStart) / 1000 };
  }
}

/** "hub 12.3 s, servers 20.1 s, …" in a fixed order, for reports. */
export function describeCpu(cpu: CpuByPart): string {
  const parts = Object.entries(cpu.seconds).sort(([a], [b]) => a.localeCompare(b));
  const total = parts.reduce((sum, [, s]) => sum + s, 0);
  const waits = Object.entries(cpu.waitedSeconds).sort(([a], [b]) => a.localeCompare(b));
  return (
    `${parts.map(([part, s]) => `${part} ${s.toFixed(1)} s`).join(', ')} (total ${total.toFixed(1)} s of CPU in ${cpu.wallSeconds.toFixed(1)} s); ` +
    `waited for a CPU: ${waits.map(([part, s]) => `${part} ${s.toFixed(1)} s`).join(', ')}`
  );
}
