import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { readProcessStatSync } from './process-table.ts';
import { SpawnError } from './types.ts';

/** How a child ended, as Node reports it once it has reaped it. */
export type ChildExit =
  | { readonly code: number | null; readonly signal: NodeJS.Signals | null }
  | { readonly error: Error };

export function describeExit(exit: ChildExit): string {
  if ('error' in exit) return `could not be started: ${exit.error.message}`;
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

export interface LaunchSpec {
  readonly argv: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly uid?: number;
  readonly gid?: number;
  /** Receives both stdout and stderr. */
  readonly log: FileHandle;
}

/** A started server process, a child of this hub process. */
export interface ServerChild {
  readonly pid: number;
  readonly startTime: number;
  /** Lets the held process run the server's command (call once its identity is recorded). */
  release(): void;
  /** Resolves once Node has reaped the child (no zombie left). */
  readonly exited: Promise<ChildExit>;
  /** Set as soon as `exited` resolves. */
  exit: ChildExit | undefined;
}

/**
 * The gate every server passes: `/bin/sh` waits for `go` on stdin, then execs the command (same pid,
 * same start time) with stdin from /dev/null. If the hub dies first, the pipe closes and the shell
 * exits without running anything, so no server can exist that the hub has not recorded. The shell's
 * own PWD is not passed on (the environment stays what the spawner built).
 */
function gateScript(env: Record<string, string>): string {
  return `${'PWD' in env ? '' : 'unset PWD; '}IFS= read -r go && [ "$go" = go ] && exec "$0" "$@" </dev/null`;
}

/** `program` as execvp would find it (PATH of the child's environment, relative to `cwd`), or undefined. */
function findExecutable(program: string, env: Record<string, string>, cwd: string): string | undefined {
  const candidates = program.includes('/') ? [path.resolve(cwd, program)] : (env['PATH'] ?? '').split(':').map((dir) => path.resolve(cwd, dir || '.', program));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Starts `argv` detached: in its own session and process group (so one signal reaches everything it
 * starts, and a hub restart does not take it down), held at the gate until `release()`, output
 * appended to the log, and unreferenced so the hub can exit while it runs.
 */
export async function launchServerProcess(spec: LaunchSpec): Promise<ServerChild> {
  const [program, ...args] = spec.argv;
  if (program === undefined) throw new SpawnError('No command to run');
  const executable = findExecutable(program, spec.env, spec.cwd);
  if (executable === undefined) {
    throw new SpawnError(`The server (${program}, in ${spec.cwd}) ${describeExit({ error: new Error(`${program}: no such executable (ENOENT)`) })}`);
  }
  let child;
  try {
    child = spawn('/bin/sh', ['-c', gateScript(spec.env), executable, ...args], {
      detached: true,
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['pipe', spec.log.fd, spec.log.fd],
      ...(spec.uid === undefined ? {} : { uid: spec.uid, gid: spec.gid }),
    });
  } catch (error) {
    throw new SpawnError(`Cannot start ${program}: ${(error as Error).message}`, { cause: error });
  }
  const exited = new Promise<ChildExit>((resolve) => {
    child.on('error', (error) => resolve({ error })); // `on`: a second 'error' must not go unhandled
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const gate = child.stdin;
  gate?.on('error', () => undefined); // EPIPE when the process died at the gate: its exit says why
  const pid = child.pid;
  // Read before the event loop turns: the entry cannot have been reaped yet, even after a crash.
  const stat = pid === undefined ? undefined : readProcessStatSync(pid);
  if (pid === undefined || stat === undefined) {
    gate?.destroy();
    const exit = await exited;
    throw new SpawnError(`The server (${program}, in ${spec.cwd}) ${describeExit(exit)}`);
  }
  child.unref();
  const server: ServerChild = { pid, startTime: stat.startTime, exited, exit: undefined, release: () => gate?.end('go\n') };
  void exited.then((exit) => {
    server.exit = exit;
    gate?.destroy();
  });
  return server;
}
