import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

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

/**
 * Errors that say nothing about the process: this hub ran short of file descriptors or memory for a
 * moment. Such a read is retried, never taken to mean "no such process" — a stop that concluded so
 * would leave the server running.
 */
const TRANSIENT_CODES = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM', 'EINTR']);
/** How long a read of /proc keeps retrying a transient error before it gives up with it. */
const TRANSIENT_RETRY_MS = 5_000;
/** /proc entries read at once by one scan: a scan must not itself exhaust the hub's descriptors. */
const SCAN_CONCURRENCY = 16;

function isTransient(error: unknown): boolean {
  return TRANSIENT_CODES.has((error as NodeJS.ErrnoException).code ?? '');
}

/** `read()`, again after a pause while it fails transiently, up to TRANSIENT_RETRY_MS. */
async function retryTransient<T>(read: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + TRANSIENT_RETRY_MS;
  for (let pause = 10; ; pause = Math.min(pause * 2, 250)) {
    try {
      return await read();
    } catch (error) {
      if (!isTransient(error) || Date.now() + pause > deadline) throw error;
      await delay(pause);
    }
  }
}

/** One read of `/proc/<pid>/stat`: undefined when the process does not exist (or is not ours to see). */
async function readStatOnce(pid: number): Promise<ProcessStat | undefined> {
  try {
    return parseProcessStat(pid, await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch (error) {
    if (isTransient(error)) throw error;
    return undefined; // ENOENT/ESRCH: exited and reaped; EACCES: hidden from this account
  }
}

/** Reads `/proc/<pid>/stat`; undefined when no such process exists. Throws only after retrying a transient error. */
export function readProcessStat(pid: number): Promise<ProcessStat | undefined> {
  return retryTransient(() => readStatOnce(pid));
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

/** Every process in /proc once, SCAN_CONCURRENCY entries at a time; throws on a transient error. */
async function scanOnce(): Promise<ProcessStat[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const stats: ProcessStat[] = [];
  for (let i = 0; i < pids.length; i += SCAN_CONCURRENCY) {
    const batch = await Promise.all(pids.slice(i, i + SCAN_CONCURRENCY).map(readStatOnce));
    for (const stat of batch) if (stat !== undefined) stats.push(stat);
  }
  return stats;
}

let scanning: Promise<ProcessStat[]> | undefined;
let queued: Promise<ProcessStat[]> | undefined;

/**
 * The process table, read after this call began. One scan runs at a time: every caller that asks
 * while one runs shares the next one, so a hub stopping seventy servers at once reads /proc once per
 * round instead of seventy times over (seventy scans of ~300 entries at once exceed 20,000 open files).
 */
function processTable(): Promise<ProcessStat[]> {
  if (scanning === undefined) {
    scanning = retryTransient(scanOnce).finally(() => {
      scanning = undefined;
    });
    return scanning;
  }
  queued ??= scanning
    .catch(() => undefined)
    .then(() => {
      queued = undefined;
      return processTable();
    });
  return queued;
}

/**
 * Live (non-zombie) processes of a process group, found by scanning /proc. Throws (after retrying)
 * when /proc cannot be read: never an empty list for a group whose members could not be seen.
 */
export async function liveGroupMembers(pgid: number): Promise<number[]> {
  try {
    // Cheap first answer: no process at all in the group.
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return [];
  }
  const table = await processTable();
  return table.filter((stat) => stat.pgrp === pgid && !isDead(stat)).map((stat) => stat.pid);
}
