// The password hasher: a child process, forked by password-hasher.ts, that runs argon2 at the nice
// value it is given and a bounded concurrency, so a storm of logins neither starves the hub's event
// loop nor grows the hub's memory. Plain JavaScript, so it starts without a TypeScript loader.
//
// argv: NICE CONCURRENCY. Requests and replies are JSON over the IPC channel:
//   { id, op: 'hash', password, options } → { id, value: encoded hash }
//   { id, op: 'verify', hash, password }   → { id, value: true | false }   (false also for a malformed hash)
//   { id, op: 'stats' }                    → { id, value: { running, queued, peak } }   (answered at once)
//   any failure                            → { id, error: message }
// At most CONCURRENCY hashes run at once; the rest wait in order. It exits when the parent goes away.
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { hash, verify } from 'argon2';

// Never raises priority: a hub already running niced keeps its hasher at least as low.
const nice = Math.max(Number(process.argv[2]), getPriority());
const limit = Number(process.argv[3]);

/**
 * Linux keeps a nice value per thread, and node has already started its libuv pool and V8 threads
 * before this module runs (they stay at the parent's priority if only the main thread is reniced),
 * so every thread is reniced; threads started later inherit it from their (reniced) creator.
 */
function lowerPriority() {
  setPriority(nice);
  let tids;
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return; // not Linux: setPriority applied to the whole process
  }
  const done = new Set();
  while (tids.some((tid) => !done.has(tid))) {
    for (const tid of tids.filter((tid) => !done.has(tid))) {
      done.add(tid);
      try {
        setPriority(Number(tid), nice);
      } catch {
        // the thread has ended
      }
    }
    tids = readdirSync('/proc/self/task');
  }
}

try {
  lowerPriority();
} catch (error) {
  process.stderr.write(`gatehouse password hasher: could not lower its priority: ${error.message}\n`);
}

const queue = [];
let running = 0;
let peak = 0;

async function perform(request) {
  const password = Buffer.from(request.password, 'utf8');
  if (request.op === 'hash') return hash(password, request.options);
  if (request.op !== 'verify') throw new Error(`unknown request ${JSON.stringify(request.op)}`);
  try {
    return (await verify(request.hash, password)) === true;
  } catch {
    return false; // a malformed hash matches no password
  }
}

function reply(message) {
  if (process.connected) process.send(message);
}

function next() {
  while (running < limit && queue.length > 0) {
    const request = queue.shift();
    running += 1;
    peak = Math.max(peak, running);
    perform(request)
      .then(
        (value) => reply({ id: request.id, value }),
        (error) => reply({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
      )
      .finally(() => {
        running -= 1;
        next();
      });
  }
}

process.on('message', (request) => {
  if (request.op === 'stats') {
    reply({ id: request.id, value: { running, queued: queue.length, peak } });
    return;
  }
  queue.push(request);
  next();
});
process.on('disconnect', () => process.exit(0));
