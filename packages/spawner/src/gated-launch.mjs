// The fork/exec of one server, held at the gate. Plain JavaScript, so that the process launcher
// (process-launcher-child.mjs) runs it without a TypeScript loader; process-launcher.ts also calls it
// in the hub process itself when asked to (measurements). Types: gated-launch.d.mts.
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The gate every server passes: `/bin/sh` waits for `go` on stdin, then execs the command (same pid,
 * same start time) with stdin from /dev/null. If whoever holds the pipe dies first, the pipe closes and
 * the shell exits without running anything, so no server can exist that the hub has not recorded.
 * The shell's own PWD is not passed on (the environment stays what the spawner built).
 */
function gateScript(env) {
  return `${'PWD' in env ? '' : 'unset PWD; '}IFS= read -r go && [ "$go" = go ] && exec "$0" "$@" </dev/null`;
}

/** `program` as execvp would find it (PATH of the child's environment, relative to `cwd`), or undefined. */
function findExecutable(program, env, cwd) {
  const candidates = program.includes('/') ? [path.resolve(cwd, program)] : (env.PATH ?? '').split(':').map((dir) => path.resolve(cwd, dir || '.', program));
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
 * Field 22 of /proc/<pid>/stat (clock ticks after boot), read synchronously right after spawn():
 * before the event loop turns, Node cannot have reaped the child, so its entry is still there.
 */
function startTimeOf(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) sits in parentheses and may itself contain spaces and ')'.
  const startTime = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]);
  return Number.isInteger(startTime) ? startTime : undefined;
}

/** Opened by path here, so that the child inherits an append-only descriptor (log-file.ts openLogFile). */
function openLog(file) {
  return openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
}

/**
 * Starts `spec.argv` detached (own session and process group), held at the gate, output appended to
 * `spec.logFile`, unreferenced. Resolves with the held child, or with `notStarted` saying how it ended
 * before it could be identified.
 */
export async function launchGated(spec) {
  const [program, ...args] = spec.argv;
  const executable = program === undefined ? undefined : findExecutable(program, spec.env, spec.cwd);
  if (executable === undefined) return { notStarted: { error: `${program}: no such executable (ENOENT)` } };
  let log;
  try {
    log = openLog(spec.logFile);
  } catch (error) {
    return { notStarted: { error: `cannot open its log ${spec.logFile}: ${error.message}` } };
  }
  let child;
  try {
    child = spawn('/bin/sh', ['-c', gateScript(spec.env), executable, ...args], {
      detached: true,
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['pipe', log, log],
      ...(spec.uid === undefined ? {} : { uid: spec.uid, gid: spec.gid }),
    });
  } catch (error) {
    return { notStarted: { error: error.message } };
  } finally {
    closeSync(log); // the child holds its own copy
  }
  const exited = new Promise((resolve) => {
    child.on('error', (error) => resolve({ error: error.message })); // `on`: a second 'error' must not go unhandled
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const gate = child.stdin;
  gate?.on('error', () => undefined); // EPIPE when the process died at the gate: its exit says why
  const pid = child.pid;
  const startTime = pid === undefined ? undefined : startTimeOf(pid);
  if (pid === undefined || startTime === undefined) {
    gate?.destroy();
    return { notStarted: await exited };
  }
  child.unref();
  void exited.then(() => gate?.destroy());
  return { pid, startTime, exited, release: () => gate?.end('go\n') };
}
