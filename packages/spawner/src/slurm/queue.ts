import type { CommandResult } from './commands.ts';

/** One job as `squeue` shows it. */
export interface JobObservation {
  /** Slurm's state name: PENDING, RUNNING, COMPLETED, CANCELLED, FAILED, … */
  readonly state: string;
  /** The node it runs on; '' while pending. */
  readonly node: string;
  /** Why it waits (Resources, Priority, …) or 'None'. */
  readonly reason: string;
  /** Start time, actual or (for pending jobs, once the scheduler has estimated it) expected; 'N/A' when unknown. */
  readonly start: string;
}

/**
 * One `squeue` call's answer. `known: false` means the controller could not be asked (e.g. it is
 * restarting): every job's fate is unknown, which is never the same as gone.
 */
export type QueueRound =
  | { readonly known: true; readonly asked: ReadonlySet<string>; readonly jobs: ReadonlyMap<string, JobObservation>; readonly at: number }
  | { readonly known: false; readonly asked: ReadonlySet<string>; readonly problem: string; readonly at: number };

/** What a job is, judged from one round. */
export type JobFate = { readonly kind: 'unknown'; readonly problem: string } | { readonly kind: 'gone' } | { readonly kind: 'alive'; readonly job: JobObservation } | { readonly kind: 'ended'; readonly job: JobObservation };

/** States in which the job (and so its server, once started) still exists. */
const ALIVE_STATES = new Set([
  'PENDING', 'CONFIGURING', 'RUNNING', 'SUSPENDED', 'STOPPED', 'SIGNALING', 'RESIZING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED',
  'RESV_DEL_HOLD', 'STAGE_OUT', 'POWER_UP_NODE',
]);

export function fateOf(round: QueueRound, jobId: string): JobFate {
  if (!round.known) return { kind: 'unknown', problem: round.problem };
  const job = round.jobs.get(jobId);
  if (job === undefined) return { kind: 'gone' };
  return ALIVE_STATES.has(job.state) ? { kind: 'alive', job } : { kind: 'ended', job };
}

/** Output format: id, state, node, reason, start (`%S` is the expected start for pending jobs). */
const FORMAT = '%i|%T|%N|%r|%S';

export function squeueArguments(jobIds: Iterable<string>): string[] {
  return ['--noheader', '--states=all', `--jobs=${[...jobIds].join(',')}`, `--format=${FORMAT}`];
}

function parse(stdout: string): Map<string, JobObservation> {
  const jobs = new Map<string, JobObservation>();
  for (const line of stdout.split('\n')) {
    const [id, state, node, reason, start] = line.trim().split('|');
    if (id === undefined || id === '' || state === undefined) continue;
    jobs.set(id, { state, node: node ?? '', reason: reason ?? '', start: start ?? 'N/A' });
  }
  return jobs;
}

/**
 * The one `squeue` poller of a hub: whoever wants to know about jobs (every pending start, every
 * `poll()`, every `stop()`) waits for the next round, and a round is one `squeue` call for all the
 * jobs being watched, the next one starting at least `intervalMs` after the last one ended. A round younger than one interval is reused as is.
 */
export class SlurmQueue {
  readonly #intervalMs: number;
  readonly #squeue: (args: string[]) => Promise<CommandResult>;
  readonly #watched = new Set<string>();
  #latest: QueueRound | undefined;
  /** The round that callers join now (not started yet). */
  #next: Promise<QueueRound> | undefined;
  /** The latest round scheduled, in flight or done. */
  #last: Promise<QueueRound> | undefined;
  #lastCallAt = -Infinity;
  /** `squeue` calls made so far (for the benchmark and tests). */
  calls = 0;

  constructor(intervalMs: number, squeue: (args: string[]) => Promise<CommandResult>) {
    this.#intervalMs = intervalMs;
    this.#squeue = squeue;
  }

  watch(jobId: string): void {
    this.#watched.add(jobId);
  }

  /** The next round that includes `jobId` (watching it from now on). */
  next(jobId: string): Promise<QueueRound> {
    this.watch(jobId);
    if (this.#next === undefined) {
      const round = this.#scheduleRound(this.#last);
      this.#next = round;
      this.#last = round;
    }
    return this.#next;
  }

  /** A round that asked about `jobId` less than one interval ago, else the next one. */
  async recent(jobId: string): Promise<QueueRound> {
    const latest = this.#latest;
    if (latest !== undefined && latest.asked.has(jobId) && performance.now() - latest.at < this.#intervalMs) return latest;
    return this.next(jobId);
  }

  async #scheduleRound(previous: Promise<QueueRound> | undefined): Promise<QueueRound> {
    await previous; // one call at a time: a round asked for during a call waits for its end
    // Always yields first, so that everyone asking in this turn of the event loop shares the round.
    const wait = Math.max(0, this.#lastCallAt + this.#intervalMs - performance.now());
    await new Promise((resolve) => setTimeout(resolve, wait));
    const asked = new Set(this.#watched);
    this.#next = undefined; // callers from now on wait for the round after this one
    this.calls++;
    const result = await this.#squeue(squeueArguments(asked));
    // Counted from the end of a call: a slow squeue (a loaded controller) is never called again within an interval.
    this.#lastCallAt = performance.now();
    const round = this.#roundFrom(result, asked);
    this.#latest = round;
    if (round.known) {
      // Jobs that are over need no more watching; whoever still asks adds them back.
      for (const id of asked) if (fateOf(round, id).kind !== 'alive') this.#watched.delete(id);
    }
    return round;
  }

  #roundFrom(result: CommandResult, asked: ReadonlySet<string>): QueueRound {
    const at = performance.now();
    if (result.code === 0) return { known: true, asked, jobs: parse(result.stdout), at };
    // A single id Slurm no longer knows is an error; it only means that job is gone.
    if (/Invalid job id specified/i.test(result.stderr)) return { known: true, asked, jobs: new Map(), at };
    const problem = result.stderr.trim().split('\n').at(-1) || `squeue exited with code ${String(result.code)}`;
    return { known: false, asked, problem, at };
  }
}
