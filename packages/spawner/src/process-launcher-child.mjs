// The process launcher: a small child process, forked by process-launcher.ts, that does the fork/exec
// of user servers, so that the hub (hundreds of MB) is not forked once per server start.
// Plain JavaScript, so it starts without a TypeScript loader.
//
// Commands and reports are JSON over the IPC channel:
//   { op: 'launch', id, argv, env, cwd, uid?, gid?, logFile }  → { op: 'launched', id, pid, startTime }
//                                                                 or { op: 'not-started', id, exit }
//   { op: 'release', id }   sends `go` through the gate: the held shell execs the server's command
//   later, once per launched child                             → { op: 'exit', id, exit }
// where exit is { code, signal } or { error: message }. The gate pipes are this process's: when the hub
// goes away the channel closes, this process exits, and every shell still held exits without running.
import { launchGated } from './gated-launch.mjs';

/** Release functions of children still held at the gate, by launch id. */
const held = new Map();

function report(message) {
  if (process.connected) process.send(message);
}

async function launch(command) {
  const { id } = command;
  let result;
  try {
    result = await launchGated(command);
  } catch (error) {
    result = { notStarted: { error: error instanceof Error ? error.message : String(error) } };
  }
  if ('notStarted' in result) {
    report({ op: 'not-started', id, exit: result.notStarted });
    return;
  }
  held.set(id, result.release);
  report({ op: 'launched', id, pid: result.pid, startTime: result.startTime });
  void result.exited.then((exit) => {
    held.delete(id);
    report({ op: 'exit', id, exit });
  });
}

process.on('message', (command) => {
  if (command.op === 'launch') {
    void launch(command);
  } else if (command.op === 'release') {
    held.get(command.id)?.();
    held.delete(command.id);
  }
});
process.on('disconnect', () => process.exit(0));
// Ctrl-C in a terminal reaches the whole foreground group: the hub decides, and this process ends with it.
process.on('SIGINT', () => undefined);
