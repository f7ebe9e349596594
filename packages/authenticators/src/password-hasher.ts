import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const CHILD_ENTRY = fileURLToPath(new URL('./password-hasher-child.mjs', import.meta.url));

/**
 * How the hasher shares the CPU: it is never allowed more threads than the cores minus one (at least
 * one), so the hub's own thread always has a core's worth of weight against it, and it runs at the
 * same priority as everything else (nice 0) in a session of its own.
 *
 * Measured in the class-arrival bench (300 people signing in within 5 s while their servers start, on
 * 2 cores): the earlier nice 10 inside the hub's session left logins starving — with autogroup
 * scheduling (the Linux default outside systemd services) a session is one scheduling group, so a
 * nice-10 hasher only got a tenth of the hub's group while every starting server had a group of its
 * own (login p99 109 s, the hasher waiting 102 s for a CPU); in its own session at nice 0 with one
 * thread: login p99 67 s on the same loaded machine, the hasher waiting 51 s, and the proxy's p99
 * during 20 concurrent logins within the bench's 2× limit (`pnpm bench --only storm`).
 */
export const DEFAULT_HASHER_NICE = 0;

/** Hashes at once by default: the cores minus one, at least one. */
export function defaultHasherConcurrency(): number {
  return Math.max(1, availableParallelism() - 1);
}

export interface PasswordHasherOptions {
  /** The child's nice value (0–19), never below this process's own. Default 0. */
  readonly nice?: number;
  /** Hashes running at once; more wait in the child, so its memory stays bounded. Default: the cores minus one (at least one). */
  readonly concurrency?: number;
  /** With requests pending, no answer for this long means the child is stuck: it is killed. Default 30 s. */
  readonly progressTimeoutMs?: number;
}

/** The hasher could not answer: it exited, was killed, got stuck or was closed. Never a verdict on a password. */
export class PasswordHasherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordHasherError';
  }
}

/** How busy the child is: hashes running and waiting now, and the most ever running at once. */
export interface HasherStats {
  readonly running: number;
  readonly queued: number;
  readonly peak: number;
}

type Request =
  | { op: 'hash'; password: string; options: object }
  | { op: 'verify'; hash: string; password: string }
  | { op: 'stats' };

type Reply = { id: number; value: unknown } | { id: number; error: string };

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Connection {
  readonly child: ChildProcess;
  readonly pending: Map<number, Pending>;
  watchdog?: NodeJS.Timeout;
}

/**
 * argon2 in a separate process (password-hasher-child.mjs) in a session of its own, over node's IPC channel.
 *
 * The child starts on the first request and is referenced only while requests are pending, so it
 * never keeps a CLI command alive; it exits by itself when this process goes away. If it dies, is
 * closed or makes no progress for `progressTimeoutMs`, every pending request rejects with a
 * PasswordHasherError (never a `true` verify) and the next request starts a fresh child.
 */
export class PasswordHasher {
  readonly #nice: number;
  readonly #concurrency: number;
  readonly #progressTimeoutMs: number;
  #connection: Connection | undefined;
  #nextId = 1;

  constructor(options: PasswordHasherOptions = {}) {
    this.#nice = options.nice ?? DEFAULT_HASHER_NICE;
    this.#concurrency = options.concurrency ?? defaultHasherConcurrency();
    this.#progressTimeoutMs = options.progressTimeoutMs ?? 30_000;
  }

  /** The running child's pid, if one has been started and is alive. */
  get pid(): number | undefined {
    return this.#connection?.child.pid;
  }

  /** An encoded hash of the UTF-8 bytes of `password`, with argon2's `hash` options. */
  async hash(password: string, options: object): Promise<string> {
    const value = await this.#request({ op: 'hash', password, options });
    if (typeof value !== 'string') throw new PasswordHasherError('the password hasher answered a hash request without a hash');
    return value;
  }

  /** True only when the child answered that `password` matches `encodedHash`. */
  async verify(encodedHash: string, password: string): Promise<boolean> {
    return (await this.#request({ op: 'verify', hash: encodedHash, password })) === true;
  }

  /** Requests sent and not yet answered (for diagnostics and tests: unlike stats(), it needs no answer from the child). */
  get pendingRequests(): number {
    return this.#connection?.pending.size ?? 0;
  }

  /** For diagnostics and tests; answered at once, ahead of queued hashes. */
  async stats(): Promise<HasherStats> {
    return (await this.#request({ op: 'stats' })) as HasherStats;
  }

  /** Stops the child now; pending requests reject. A later request starts a new one. */
  close(): void {
    if (this.#connection !== undefined) this.#fail(this.#connection, 'was closed');
  }

  #request(request: Request): Promise<unknown> {
    const connection = (this.#connection ??= this.#start());
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      connection.pending.set(id, { resolve, reject });
      if (connection.pending.size === 1) this.#hold(connection, true);
      connection.child.send({ id, ...request }, (error) => {
        if (error) this.#fail(connection, `could not be reached (${error.message})`);
      });
    });
  }

  #start(): Connection {
    const { NODE_OPTIONS: _loaderAndInspectorFlags, ...env } = process.env;
    const child = fork(CHILD_ENTRY, [String(this.#nice), String(this.#concurrency)], {
      // Plain JavaScript: none of this process's flags (tsx loader, --inspect) apply to it.
      execArgv: [],
      // One libuv pool thread per slot: each thread's malloc arena keeps the 19 MiB it last used.
      env: { ...env, UV_THREADPOOL_SIZE: String(this.#concurrency) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
      // Its own session: with autogroup scheduling, its own scheduling group beside the hub's (see DEFAULT_HASHER_NICE).
      detached: true,
    });
    const connection: Connection = { child, pending: new Map() };
    this.#hold(connection, false);
    child.on('message', (reply: Reply) => this.#answer(connection, reply));
    child.on('error', (error) => this.#fail(connection, `failed (${error.message})`));
    child.on('exit', (code, signal) => this.#fail(connection, `exited (${signal ?? `code ${code}`}) before answering`));
    return connection;
  }

  #answer(connection: Connection, reply: Reply): void {
    const pending = connection.pending.get(reply.id);
    if (pending === undefined) return;
    connection.pending.delete(reply.id);
    if (connection.pending.size === 0) this.#hold(connection, false);
    else this.#armWatchdog(connection);
    if ('error' in reply) pending.reject(new PasswordHasherError(`the password hasher failed: ${reply.error}`));
    else pending.resolve(reply.value);
  }

  /** Referenced (keeps this process alive, watchdog armed) exactly while requests are pending. */
  #hold(connection: Connection, busy: boolean): void {
    const { child } = connection;
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
    connection.watchdog = setTimeout(() => this.#fail(connection, `made no progress for ${seconds} s`), this.#progressTimeoutMs);
  }

  /** Ends `connection` for good: the child is killed and everything pending rejects. Idempotent. */
  #fail(connection: Connection, reason: string): void {
    if (this.#connection === connection) this.#connection = undefined;
    this.#hold(connection, false);
    const { child } = connection;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const pending = [...connection.pending.values()];
    connection.pending.clear();
    for (const { reject } of pending) reject(new PasswordHasherError(`the password hasher ${reason}`));
  }
}
