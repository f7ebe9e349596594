import { spawn } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
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
  /** Resolves once Node has reaped the child (no zombie left). */
  readonly exited: Promise<ChildExit>;
  /** Set as soon as `exited` resolves. */
  exit: ChildExit | undefined;
}

/**
 * Starts `argv` detached: in its own session and process group (so one signal reaches everything it
 * starts, and a hub restart does not take it down), stdin closed, output appended to the log, and
 * unreferenced so the hub can exit while it runs.
 */
export async function launchServerProcess(spec: LaunchSpec): Promise<ServerChild> {
  const [program, ...args] = spec.argv;
  if (program === undefined) throw new SpawnError('No command to run');
  let child;
  try {
    child = spawn(program, args, {
      detached: true,
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', spec.log.fd, spec.log.fd],
      ...(spec.uid === undefined ? {} : { uid: spec.uid, gid: spec.gid }),
    });
  } catch (error) {
    throw new SpawnError(`Cannot start ${program}: ${(error as Error).message}`, { cause: error });
  }
  const exited = new Promise<ChildExit>((resolve) => {
    child.on('error', (error) => resolve({ error })); // `on`: a second 'error' must not go unhandled
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const pid = child.pid;
  // Read before the event loop turns: the entry cannot have been reaped yet, even after a crash.
  const stat = pid === undefined ? undefined : readProcessStatSync(pid);
  if (pid === undefined || stat === undefined) {
    const exit = await exited;
    throw new SpawnError(`The server (${program}, in ${spec.cwd}) ${describeExit(exit)}`);
  }
  child.unref();
  const server: ServerChild = { pid, startTime: stat.startTime, exited, exit: undefined };
  void exited.then((exit) => (server.exit = exit));
  return server;
}
