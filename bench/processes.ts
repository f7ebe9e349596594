/**
 * Child processes and temp dirs of one bench run. Everything started here is registered, so that
 * `cleanUp()` (called in `finally`, on SIGINT/SIGTERM, and synchronously on exit) leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

/** Output kept per child for error messages. */
const OUTPUT_LIMIT = 64 * 1024;
/**
 * How long a child may take to exit after SIGTERM before it gets SIGKILL: a hub first answers what it
 * has received (http.shutdownGrace, 5 s) and then stops its servers (stopGracePeriod, 5 s each, in
 * parallel); 70 Jupyter servers on a loaded 2-core machine have taken more than 15 s all told.
 */
const STOP_GRACE_MS = 30_000;

export interface ManagedChild {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** The tail of stdout and stderr. */
  output(): string;
  /** SIGTERM to the child, SIGKILL after a grace period, then SIGKILL to whatever is left of its group. */
  stop(): Promise<void>;
}

export interface StartChildOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Start resolves once the output matches (and returns the match). */
  readonly readyPattern?: RegExp;
  readonly timeoutMs?: number;
}

const children = new Set<ManagedChild>();
/** Short-lived helpers (wrk runs): killed outright if the bench stops while they run. */
const transients = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const finalChecks: Array<() => void> = [];

/**
 * A synchronous check run after every child is stopped, also from the exit handler: e.g. killing
 * user servers a hub left behind (they live in their own process groups, out of our reach otherwise).
 */
export function registerFinalCheck(check: () => void): void {
  finalChecks.push(check);
}

/** Starts a command in its own process group; resolves when `readyPattern` appears in its output. */
export async function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: StartChildOptions = {},
): Promise<{ child: ManagedChild; match: RegExpExecArray | undefined }> {
  const proc = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: its helpers (JupyterHub's CHP) are stopped with it
  });
  if (proc.pid === undefined) {
    const [error] = (await once(proc, 'error')) as [Error];
    throw new Error(`${name}: cannot start ${command}: ${error.message}`);
  }
  const pid = proc.pid;
  let output = '';
  let stopping = false;
  let ready = false;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.once('exit', (code, signal) => {
    // A child that dies mid-run explains the failure that follows: show why.
    if (ready && !stopping) process.stderr.write(`bench: ${name} (pid ${pid}) exited unexpectedly (${signal ?? code}); its last output:\n${output.slice(-4000)}\n`);
  });
  const child: ManagedChild = {
    name,
    process: proc,
    pid,
    output: () => output,
    async stop() {
      stopping = true;
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => {
          // Said aloud: a hub killed mid-stop may leave the servers it was stopping behind.
          process.stderr.write(`bench: ${name} did not exit within ${STOP_GRACE_MS / 1000} s of SIGTERM; killing it\n`);
          proc.kill('SIGKILL');
        }, STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      signalGroup(pid, 'SIGKILL');
      children.delete(child);
    },
  };
  children.add(child);
  const match = await new Promise<RegExpExecArray | undefined>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${(options.timeoutMs ?? 30_000) / 1000} s:\n${output}`)), options.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
      const found = options.readyPattern?.exec(output);
      if (found !== undefined && found !== null) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready:\n${output}`));
    });
    if (options.readyPattern === undefined) {
      clearTimeout(timer);
      resolve(undefined);
    }
  });
  ready = true;
  return { child, match };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone, which is what we want
  }
}

/** Registers a short-lived child (e.g. a wrk run) until it exits, so that an interrupted bench kills it. */
export function trackTransient(child: ChildProcess): void {
  transients.add(child);
  child.once('exit', () => transients.delete(child));
}

function killTransients(): void {
  for (const child of transients) child.kill('SIGKILL');
  transients.clear();
}

/** A fresh directory under the OS temp dir, removed by cleanUp(). */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Thrown by a `waitFor` check to give up at once (other errors count as "not yet"). */
export class StopWaiting extends Error {}

/** Polls `check` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch((error: unknown) => {
      if (error instanceof StopWaiting) throw error;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Stops every child still registered (in reverse start order) and removes the temp dirs. */
export async function cleanUp(): Promise<void> {
  killTransients();
  for (const child of [...children].reverse()) await child.stop().catch(() => undefined);
  runFinalChecks();
  removeTempDirs();
}

function runFinalChecks(): void {
  for (const check of finalChecks.splice(0)) {
    try {
      check();
    } catch {
      // best effort: the others must still run
    }
  }
}

function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Last resort when the bench is interrupted: SIGKILL every group we started, remove temp dirs. */
export function installExitHandlers(): void {
  process.once('exit', () => {
    killTransients();
    for (const child of children) signalGroup(child.pid, 'SIGKILL');
    runFinalChecks();
    removeTempDirs();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
}
