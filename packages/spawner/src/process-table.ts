import { readdir, readFile } from 'node:fs/promises';

/** The fields of `/proc/<pid>/stat` a spawner needs to recognise its own process. */
export interface ProcessStat {
  readonly pid: number;
  /** One letter: R, S, D, Z (zombie), X (dead), … */
  readonly state: string;
  readonly pgrp: number;
  /** Field 22: clock ticks after boot. With the pid it names one process, even after pid reuse. */
  readonly startTime: number;
}

function parseProcessStat(pid: number, text: string): ProcessStat | undefined {
  // The command name (field 2) sits in parentheses and may itself contain spaces and ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
  // `fields` starts at field 3 (state), so field N is fields[N - 3].
  const state = fields[0];
  const pgrp = Number(fields[2]);
  const startTime = Number(fields[19]);
  if (state === undefined || !Number.isInteger(pgrp) || !Number.isInteger(startTime)) return undefined;
  return { pid, state, pgrp, startTime };
}

/** Reads `/proc/<pid>/stat`; undefined when no such process exists. */
export async function readProcessStat(pid: number): Promise<ProcessStat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseProcessStat(pid, text);
}

/** A zombie has exited; only its parent's wait() is missing, and that is not ours to give. */
export function isDead(stat: ProcessStat): boolean {
  return stat.state === 'Z' || stat.state === 'X';
}

/** True while `pid` is the very process that started at `startTime` and has not exited. */
export async function isSameLiveProcess(pid: number, startTime: number): Promise<boolean> {
  const stat = await readProcessStat(pid);
  return stat !== undefined && !isDead(stat) && stat.startTime === startTime;
}

/** Live (non-zombie) processes of a process group, found by scanning /proc. */
export async function liveGroupMembers(pgid: number): Promise<number[]> {
  try {
    // Cheap first answer: no process at all in the group.
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return [];
  }
  const entries = await readdir('/proc');
  const stats = await Promise.all(entries.filter((name) => /^\d+$/.test(name)).map((name) => readProcessStat(Number(name))));
  return stats.filter((stat) => stat !== undefined && stat.pgrp === pgid && !isDead(stat)).map((stat) => stat!.pid);
}
