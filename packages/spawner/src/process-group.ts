import { pollUntil } from './poll-until.ts';
import { isDead, liveGroupMembers, readProcessStat } from './process-table.ts';

/** What identifies a started server's processes; stored in `ServerHandle.state`. */
export interface ProcessIdentity {
  readonly pid: number;
  readonly pgid: number;
  readonly startTime: number;
  /**
   * The leader is a sandbox launcher (bwrap) that lives exactly as long as what it runs: it is
   * signalled last, so that it can still reap its own child, and the group counts as running
   * while any of it lives.
   */
  readonly launcherLeads?: boolean;
}

/** How long a launcher gets to notice its sandbox is gone before it is killed too. */
const LAUNCHER_WAIT_MS = 2_000;

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

/**
 * For a launcher-led group: signals each member but the leader once, members that appear later
 * included (bwrap may still be setting up the sandbox when a stop arrives). The leader exits by
 * itself once its child is gone, after reaping it; it is signalled only when it is alone at the
 * first look (nothing started under it yet).
 */
function memberSweep(identity: ProcessIdentity, signals: readonly NodeJS.Signals[]): (members: readonly number[]) => void {
  const signalled = new Set<number>([identity.pid]);
  let leaderAlone = true;
  return (members) => {
    // Nothing ever started under the leader (held at the gate, or bwrap before its clone): it is the server.
    const leaderOnly = members.length === 1 && members[0] === identity.pid;
    const targets = leaderOnly && leaderAlone ? members : members.filter((member) => !signalled.has(member));
    leaderAlone = false;
    for (const pid of targets) {
      signalled.add(pid);
      for (const signal of signals) {
        try {
          process.kill(pid, signal);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      }
    }
  };
}

/**
 * Whether the server is alive: its leader is, or — for a launcher-led group — the leader has exited
 * (not been replaced by a new process under its pid) while the rest of the group still runs.
 */
export async function isGroupAlive(identity: ProcessIdentity): Promise<boolean> {
  const leader = await readProcessStat(identity.pid);
  if (leader !== undefined && leader.startTime !== identity.startTime) return false; // pid reused
  if (leader !== undefined && !isDead(leader)) return true;
  return identity.launcherLeads === true && (await liveGroupMembers(identity.pgid)).length > 0;
}

/**
 * `isReaped` is given for a child of this process: Node must also have reaped it (no zombie left).
 * `sweep` sees the live members found, to signal them. A group whose members cannot be seen right
 * now (/proc unreadable: the hub is out of file descriptors) is not gone: the caller looks again.
 */
async function groupGone(identity: ProcessIdentity, isReaped: (() => boolean) | undefined, sweep?: (members: readonly number[]) => void): Promise<boolean> {
  let members: number[];
  try {
    members = await liveGroupMembers(identity.pgid);
  } catch {
    return false;
  }
  sweep?.(members);
  return members.length === 0 && (isReaped === undefined || isReaped());
}

/**
 * SIGTERM (and SIGCONT) to the whole group — to all but a launcher leader — up to `graceMs` for it
 * to leave, then SIGKILL; resolves once no live process of the group remains (and, for a child of
 * this process, once it is reaped). Works for processes started by an earlier hub process too: it
 * only uses the pgid and /proc. While /proc cannot be read the group counts as alive, so the SIGKILL
 * to the whole group still comes after the grace period.
 */
export async function terminateGroup(identity: ProcessIdentity, graceMs: number, isReaped?: () => boolean): Promise<void> {
  const launcher = identity.launcherLeads === true;
  if (!(await groupIsOurs(identity))) return;
  // SIGCONT: a frozen (SIGSTOPped) server gets to act on the SIGTERM, as systemd does.
  if (!launcher) {
    signalGroup(identity.pgid, 'SIGTERM');
    signalGroup(identity.pgid, 'SIGCONT');
  }
  const term = launcher ? memberSweep(identity, ['SIGTERM', 'SIGCONT']) : undefined;
  if (await pollUntil(() => groupGone(identity, isReaped, term), { timeoutMs: graceMs, intervalMs: 10 })) return;
  if (!(await groupIsOurs(identity))) return;
  if (launcher) {
    const kill = memberSweep(identity, ['SIGKILL']);
    if (await pollUntil(() => groupGone(identity, isReaped, kill), { timeoutMs: LAUNCHER_WAIT_MS, intervalMs: 10 })) return;
    if (!(await groupIsOurs(identity))) return;
  }
  signalGroup(identity.pgid, 'SIGKILL');
  if (await pollUntil(() => groupGone(identity, isReaped), { timeoutMs: KILL_WAIT_MS, intervalMs: 10 })) return;
  throw new Error(`process group ${identity.pgid} is still alive ${KILL_WAIT_MS / 1000} s after SIGKILL`);
}
