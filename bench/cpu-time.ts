/**
 * CPU time used by a process group, from /proc: the cost per request of a proxy, which stays
 * meaningful when other load on the machine makes throughput noisy.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_S = clockTicks();

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** User + system CPU milliseconds of every live process whose process group is `pgid`. */
export function groupCpuMs(pgid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // Fields after the command name (which may contain spaces): state ppid pgrp … utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}

/** CPU milliseconds used by each group while `work` ran. */
export async function cpuDuring<T>(pgids: readonly number[], work: () => Promise<T>): Promise<{ value: T; cpuMs: number[] }> {
  const before = pgids.map(groupCpuMs);
  const value = await work();
  return { value, cpuMs: pgids.map((pgid, i) => groupCpuMs(pgid) - (before[i] ?? 0)) };
}
