/**
 * A process's memory from /proc/<pid>/status: resident set (VmRSS) and its peak (VmHWM), and the
 * resident set of its helper children (any child that is not a user server), so that a hub which
 * moves work into helper processes is not measured as smaller than it is. Linux only, like the rest.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessMemory {
  /** VmRSS of the process itself, MB (10^6 bytes). */
  readonly rssMB: number;
  /** VmHWM: the peak resident set since the process started, MB. */
  readonly peakRssMB: number;
  /** Summed VmRSS of its children other than user servers (e.g. a hashing helper), MB. */
  readonly helpersRssMB: number;
  readonly helpers: number;
}

function statusKb(status: string, field: string): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1];
  if (kb === undefined) throw new Error(`no ${field} in /proc status`);
  return Number(kb);
}

const MB_PER_KB = 1024 / 1e6;

/** The process's own command line (NUL-separated arguments joined by spaces); '' once it has exited. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return children;
}

/** Memory of `pid`; `isUserServer` tells which children are user servers (not counted as helpers). */
export function processMemory(pid: number, isUserServer: (commandLine: string) => boolean): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  let helpersKb = 0;
  let helpers = 0;
  for (const child of childrenOf(pid)) {
    if (isUserServer(commandLine(child))) continue;
    try {
      helpersKb += statusKb(readFileSync(`/proc/${child}/status`, 'utf8'), 'VmRSS');
      helpers += 1;
    } catch {
      // exited while we looked (or a zombie without VmRSS)
    }
  }
  return { rssMB: statusKb(status, 'VmRSS') * MB_PER_KB, peakRssMB: statusKb(status, 'VmHWM') * MB_PER_KB, helpersRssMB: helpersKb * MB_PER_KB, helpers };
}
