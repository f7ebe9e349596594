import type { GatedLaunchSpec } from './gated-launch.mjs';
import { sharedProcessLauncher } from './process-launcher.ts';
import { SpawnError } from './types.ts';

/** How a child ended, as Node reports it once it has reaped it. */
export type ChildExit =
  | { readonly code: number | null; readonly signal: NodeJS.Signals | null }
  | { readonly error: Error };

export function describeExit(exit: ChildExit): string {
  if ('error' in exit) return `could not be started: ${exit.error.message}`;
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/**
 * What to start: argv, environment, cwd, the account (uid/gid) and the log file, which receives both
 * stdout and stderr, appended (log-file.ts openLogFile prepares it). The log is opened by path where
 * the fork happens: a descriptor cannot cross the process launcher's JSON channel.
 */
export type LaunchSpec = GatedLaunchSpec;

/** A started server process, a child of the process launcher (or of this hub process). */
export interface ServerChild {
  readonly pid: number;
  readonly startTime: number;
  /** Lets the held process run the server's command (call once its identity is recorded). */
  release(): void;
  /** Resolves once the child is reaped (no zombie left), or its launcher is gone (init reaps it then). */
  readonly exited: Promise<ChildExit>;
  /** Set as soon as `exited` resolves. */
  exit: ChildExit | undefined;
}

/**
 * Where the fork/exec of servers happens: `sharedProcessLauncher`, a small child process, so that a
 * start does not fork the whole hub; `inHubProcessLauncher` for measurements (process-launcher.ts).
 */
export interface ServerLauncher {
  /** The child held at the gate, or how it ended before it could be identified; a SpawnError when the launcher fails. */
  launch(spec: LaunchSpec): Promise<ServerChild | { readonly notStarted: ChildExit }>;
}

/**
 * Starts `argv` detached: in its own session and process group (so one signal reaches everything it
 * starts, and a hub restart does not take it down), held at the gate until `release()` (gated-launch.mjs:
 * `/bin/sh` waits for `go`, then execs the command, same pid and start time), output appended to the log.
 */
export async function launchServerProcess(spec: LaunchSpec, launcher: ServerLauncher = sharedProcessLauncher): Promise<ServerChild> {
  const program = spec.argv[0];
  if (program === undefined) throw new SpawnError('No command to run');
  const result = await launcher.launch(spec);
  if ('notStarted' in result) throw new SpawnError(`The server (${program}, in ${spec.cwd}) ${describeExit(result.notStarted)}`);
  return result;
}
