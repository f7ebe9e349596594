import { pollUntil } from './poll-until.ts';
import { liveGroupMembers, readProcessStat } from './process-table.ts';

/** What identifies a started server's processes; stored in `ServerHandle.state`. */
export interface ProcessIdentity {
  readonly pid: number;
  readonly pgid: number;
  readonly startTime: number;
}

/** How long to wait for processes to vanish after SIGKILL before giving up with an error. */
const KILL_WAIT_MS = 30_000;

/**
 * Whether signalling `-pgid` still reaches our group. Once the leader and every member are gone the
 * kernel may reuse the number for an unrelated group, whose new leader then has pid == pgid and a
 * different start time; that group must never be signalled.
 */
async function groupIsOurs(identity: ProcessIdentity): Promise<boolean> {
  const leader = await readProcessStat(identity.pgid);
  return leader === undefined || identity.pgid !== identity.pid || leader.startTime === identity.startTime;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** `isReaped` is given for a child of this process: Node must also have reaped it (no zombie left). */
async function groupGone(identity: ProcessIdentity, isReaped: (() => boolean) | undefined): Promise<boolean> {
  if (isReaped !== undefined && !isReaped()) return false;
  return (await liveGroupMembers(identity.pgid)).length === 0;
}

/**
 * SIGTERM (and SIGCONT) to the whole group, up to `graceMs` for it to leave, then SIGKILL; resolves
 * once no live process of the group remains (and, for a child of this process, once it is reaped).
 * Works for processes started by an earlier hub process too: it only uses the pgid and /proc.
 */
export async function terminateGroup(identity: ProcessIdentity, graceMs: number, isReaped?: () => boolean): Promise<void> {
  if (!(await groupIsOurs(identity))) return;
  signalGroup(identity.pgid, 'SIGTERM');
  signalGroup(identity.pgid, 'SIGCONT'); // a frozen (SIGSTOPped) server gets to act on the SIGTERM, as systemd does
  if (await pollUntil(() => groupGone(identity, isReaped), { timeoutMs: graceMs, intervalMs: 10 })) return;
  if (!(await groupIsOurs(identity))) return;
  signalGroup(identity.pgid, 'SIGKILL');
  if (await pollUntil(() => groupGone(identity, isReaped), { timeoutMs: KILL_WAIT_MS, intervalMs: 10 })) return;
  throw new Error(`process group ${identity.pgid} is still alive ${KILL_WAIT_MS / 1000} s after SIGKILL`);
}
