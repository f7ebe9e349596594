import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchGated, type GatedExit } from './gated-launch.mjs';
import type { ChildExit, LaunchSpec, ServerChild, ServerLauncher } from './server-process.ts';
import { SpawnError } from './types.ts';

const CHILD_ENTRY = fileURLToPath(new URL('./process-launcher-child.mjs', import.meta.url));

/**
 * With launches pending, no report for this long means the launcher is stuck. A launch takes it a few
 * ms (it is small, so its fork is cheap), but on 2 cores with hundreds of servers booting it may wait
 * seconds for CPU, and killing it fails every pending start: generous, like the password hasher's.
 */
export const DEFAULT_LAUNCH_PROGRESS_TIMEOUT_MS = 30_000;

type Command = ({ op: 'launch'; id: number } & LaunchSpec) | { op: 'release'; id: number };

type Report =
  | { op: 'launched'; id: number; pid: number; startTime: number }
  | { op: 'not-started'; id: number; exit: GatedExit }
  | { op: 'exit'; id: number; exit: GatedExit };

type LaunchResult = ServerChild | { readonly notStarted: ChildExit };

interface PendingLaunch {
  resolve(result: LaunchResult): void;
  reject(error: SpawnError): void;
}

/** A launched child whose exit is not reported yet. */
interface WatchedChild {
  settle(exit: ChildExit): void;
  /** `go` has been sent: the server's command may be running. */
  released: boolean;
}

interface Connection {
  readonly process: ChildProcess;
  readonly launches: Map<number, PendingLaunch>;
  readonly children: Map<number, WatchedChild>;
  /** Reports received: the watchdog fails the launcher only if this has not moved since it was armed. */
  reports: number;
  watchdog?: NodeJS.Timeout;
}

function childExitOf(exit: GatedExit): ChildExit {
  return 'error' in exit ? { error: new Error(exit.error) } : exit;
}

/** A ServerChild whose `exited` resolves when `settle` is called. */
function serverChild(pid: number, startTime: number, release: () => void): { child: ServerChild; settle(exit: ChildExit): void } {
  let settle: (exit: ChildExit) => void = () => undefined;
  const exited = new Promise<ChildExit>((resolve) => (settle = resolve));
  const child: ServerChild = { pid, startTime, release, exited, exit: undefined };
  void exited.then((exit) => (child.exit = exit)); // registered first: set before anyone awaiting `exited` resumes
  return { child, settle };
}

/**
 * The fork/exec in this very process, as before the launcher existed: each start forks the whole hub
 * (~9 ms of CPU and ~22 ms of event-loop stall at 200 MB RSS). For measurements (bench/launcher-bench.ts).
 */
export const inHubProcessLauncher: ServerLauncher = {
  async launch(spec) {
    const result = await launchGated(spec);
    if ('notStarted' in result) return { notStarted: childExitOf(result.notStarted) };
    const { child, settle } = serverChild(result.pid, result.startTime, result.release);
    void result.exited.then((exit) => settle(childExitOf(exit)));
    return child;
  },
};

/**
 * Starts servers from a small, long-lived child process (process-launcher-child.mjs), over node's IPC
 * channel, so that a start costs the hub a message instead of a fork of its whole address space.
 *
 * The child starts on the first launch and is referenced only while launches are pending, so it never
 * keeps the hub alive; it exits by itself when the hub goes away, and every server still held at the
 * gate then exits without running. It is the parent of the servers it starts: it reports each one's
 * exit, which resolves `ServerChild.exited`. If it dies, is closed or answers no launch for
 * `progressTimeoutMs`, pending launches reject with a SpawnError, the children it started resolve
 * `exited` with an error (their parent is gone: init reaps them), and the next launch starts a fresh one.
 */
export class ProcessLauncher implements ServerLauncher {
  readonly #progressTimeoutMs: number;
  #connection: Connection | undefined;
  #nextId = 1;

  constructor(options: { readonly progressTimeoutMs?: number } = {}) {
    this.#progressTimeoutMs = options.progressTimeoutMs ?? DEFAULT_LAUNCH_PROGRESS_TIMEOUT_MS;
  }

  /** The running launcher's pid, if one has been started and is alive. */
  get pid(): number | undefined {
    return this.#connection?.process.pid;
  }

  /** Launches sent and not yet answered (for tests). */
  get pendingLaunches(): number {
    return this.#connection?.launches.size ?? 0;
  }

  launch(spec: LaunchSpec): Promise<LaunchResult> {
    let connection: Connection;
    try {
      connection = this.#connection ??= this.#start();
    } catch (error) {
      return Promise.reject(new SpawnError(`The server could not be started: the process launcher could not be started (${(error as Error).message})`, { cause: error }));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      connection.launches.set(id, { resolve, reject });
      if (connection.launches.size === 1) this.#hold(connection, true);
      this.#send(connection, { op: 'launch', id, ...spec });
    });
  }

  /** Stops the launcher now: pending launches reject, servers held at the gate never run. A later launch starts a new one. */
  close(): void {
    if (this.#connection !== undefined) this.#fail(this.#connection, 'was closed');
  }

  #start(): Connection {
    const child = fork(CHILD_ENTRY, [], {
      // Plain JavaScript: none of this process's flags (tsx loader, --inspect) apply to it.
      execArgv: [],
      // Only what it needs to run: every server gets the environment its spawner built, and the hub's
      // own (secrets such as GATEHOUSE_TOKEN included) has no business in a second process.
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
    });
    const connection: Connection = { process: child, launches: new Map(), children: new Map(), reports: 0 };
    this.#hold(connection, false);
    child.on('message', (report: Report) => this.#receive(connection, report));
    child.on('error', (error) => this.#fail(connection, `failed (${error.message})`));
    child.on('exit', (code, signal) => this.#fail(connection, `exited (${signal ?? `code ${code}`})`));
    return connection;
  }

  #send(connection: Connection, command: Command): void {
    const unreachable = (error: Error) => this.#fail(connection, `could not be reached (${error.message})`);
    try {
      connection.process.send(command, (error) => error && unreachable(error));
    } catch (error) {
      unreachable(error as Error); // no channel at all: the fork itself failed
    }
  }

  #receive(connection: Connection, report: Report): void {
    connection.reports += 1;
    if (report.op === 'exit') {
      connection.children.get(report.id)?.settle(childExitOf(report.exit));
      connection.children.delete(report.id);
      return;
    }
    const pending = connection.launches.get(report.id);
    if (pending === undefined) return;
    connection.launches.delete(report.id);
    if (connection.launches.size === 0) this.#hold(connection, false);
    else this.#armWatchdog(connection);
    if (report.op === 'not-started') {
      pending.resolve({ notStarted: childExitOf(report.exit) });
      return;
    }
    const { child, settle } = serverChild(report.pid, report.startTime, () => this.#release(connection, report.id));
    connection.children.set(report.id, { settle, released: false });
    pending.resolve(child);
  }

  #release(connection: Connection, id: number): void {
    const watched = connection.children.get(id);
    if (watched === undefined || watched.released) return; // exited already, or its launcher is gone
    watched.released = true;
    this.#send(connection, { op: 'release', id });
  }

  /** Referenced (keeps this process alive, watchdog armed) exactly while launches are pending. */
  #hold(connection: Connection, busy: boolean): void {
    const { process: child } = connection;
    if (busy) {
      child.ref();
      child.channel?.ref();
      this.#armWatchdog(connection);
    } else {
      child.unref();
      child.channel?.unref();
      clearTimeout(connection.watchdog);
    }
  }

  #armWatchdog(connection: Connection): void {
    clearTimeout(connection.watchdog);
    const seconds = this.#progressTimeoutMs / 1000;
    const reports = connection.reports;
    connection.watchdog = setTimeout(() => {
      // Timers run before I/O: after a long stall of this process, a report may be waiting unread.
      setImmediate(() => {
        if (connection.reports === reports && connection.launches.size > 0) this.#fail(connection, `made no progress for ${seconds} s`);
      });
    }, this.#progressTimeoutMs);
  }

  /** Ends `connection` for good: the launcher is killed, pending launches reject, its children's exits settle. Idempotent. */
  #fail(connection: Connection, reason: string): void {
    if (this.#connection === connection) this.#connection = undefined;
    this.#hold(connection, false);
    const { process: child } = connection;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const launches = [...connection.launches.values()];
    const children = [...connection.children.values()];
    connection.launches.clear();
    connection.children.clear();
    for (const { reject } of launches) reject(new SpawnError(`The server could not be started: the process launcher ${reason}`));
    for (const { settle, released } of children) {
      const what = released ? '' : ' while it was held at the gate, so it never ran';
      settle({ error: new Error(`its process launcher ${reason}${what}`) });
    }
  }
}

/** The launcher of this hub process, shared by every LocalProcessSpawner in it. */
export const sharedProcessLauncher = new ProcessLauncher();
