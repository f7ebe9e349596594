// @ts-check
// Runs inside a Slurm job, in front of the user's server (SlurmSpawner): gives the server a port,
// makes sure that port is really held by the server itself, then tells the hub where it listens.
// Plain JavaScript run directly by `node` on the compute node (no TypeScript loader, no packages).
//
//   node job-wrapper.mjs <server command…>
//
// Environment (set by the batch script): GATEHOUSE_LOCATION_URL (the hub's location endpoint),
// GATEHOUSE_SERVER_IP (the address the server binds), JUPYTERHUB_API_TOKEN (the server's own
// token, which authenticates the report), JUPYTERHUB_SERVICE_PREFIX; Slurm sets SLURMD_NODENAME.
//
// The port: the wrapper asks the kernel for a free one (bind to port 0), hands it to the server and
// then waits until a listening socket on that port belongs to the server's own processes (from
// /proc). Another process that grabbed the port in between makes the server fail to bind; the
// wrapper then starts it again on another port. A port held by anyone else is never reported.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

const MAX_ATTEMPTS = 5;
const REPORT_RETRY_MS = 1000;
const SIGNALS = /** @type {const} */ (['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGCONT']);

/** @param {string} name */
function required(name) {
  const value = process.env[name];
  if (value === undefined || value === '') {
    console.error(`gatehouse-job: ${name} is not set; this wrapper is started by Gatehouse's SlurmSpawner`);
    process.exit(2);
  }
  return value;
}

/** @param {string} message */
function say(message) {
  console.error(`gatehouse-job: ${message}`);
}

const locationUrl = required('GATEHOUSE_LOCATION_URL');
const bindIp = required('GATEHOUSE_SERVER_IP');
const token = required('JUPYTERHUB_API_TOKEN');
const prefix = required('JUPYTERHUB_SERVICE_PREFIX');
const node = required('SLURMD_NODENAME');
const [program, ...args] = process.argv.slice(2);
if (program === undefined) {
  say('no server command given');
  process.exit(2);
}

/** @type {import('node:child_process').ChildProcess | undefined} */
let server;
let stopping = false;
for (const signal of SIGNALS) {
  process.on(signal, () => {
    if (signal !== 'SIGCONT') stopping = true;
    server?.kill(signal);
  });
}

/** @param {string} ip @returns {Promise<number>} a port the kernel says is free now */
function freePort(ip) {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host: ip, port: 0, exclusive: true }, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** @param {number} port @returns {Set<string>} inodes of sockets listening on `port` (TCP, v4 and v6) */
function listeningInodes(port) {
  const inodes = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (local === undefined || fields[3] !== '0A') continue; // 0A: LISTEN
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && fields[9] !== undefined) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** @param {number} root @returns {number[]} `root` and all its descendants */
function processTree(root) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(/** @type {number} */ (tree[i])) ?? []));
  return tree;
}

/** @param {number} pid @param {number} port whether a socket listening on `port` is open in `pid`'s process tree */
function serverHoldsPort(pid, port) {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return false;
  for (const member of processTree(pid)) {
    let fds = [];
    try {
      fds = readdirSync(`/proc/${member}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${member}/fd/${fd}`));
        if (match?.[1] !== undefined && inodes.has(match[1])) return true;
      } catch {
        // closed meanwhile
      }
    }
  }
  return false;
}

/** @param {number} port */
function serverEnvironment(port) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('GATEHOUSE_')) delete env[name];
  const host = bindIp.includes(':') ? `[${bindIp}]` : bindIp;
  env['JUPYTERHUB_SERVICE_URL'] = `http://${host}:${port}${prefix}`;
  return env;
}

/**
 * Starts the server on `port`; resolves 'listening' once its own process holds the port, or how it exited.
 * @param {number} port
 * @returns {Promise<'listening' | { code: number | null, signal: string | null }>}
 */
async function startOn(port) {
  const child = spawn(/** @type {string} */ (program), args, { env: serverEnvironment(port), stdio: ['ignore', 'inherit', 'inherit'] });
  server = child;
  /** @type {{ code: number | null, signal: string | null } | undefined} */
  let exit;
  child.once('error', (error) => {
    say(`cannot start ${program}: ${error.message}`);
    exit = { code: 127, signal: null };
  });
  child.once('exit', (code, signal) => {
    exit = { code, signal };
  });
  for (let wait = 20; ; wait = Math.min(wait * 1.5, 250)) {
    if (exit !== undefined) return exit;
    if (child.pid !== undefined && serverHoldsPort(child.pid, port)) return 'listening';
    await delay(wait);
  }
}

/** @param {{ host: string, port: number }} location @returns {Promise<{ status: number, body: string } | { error: string }>} */
async function report(location) {
  try {
    const response = await fetch(locationUrl, {
      method: 'POST',
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(location),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { error: /** @type {Error} */ (error).message };
  }
}

/** Reports until the hub accepts (200), or says never (4xx other than 409); a hub that is away is waited for. */
async function reportUntilAccepted(/** @type {{ host: string, port: number }} */ location) {
  let lastProblem = '';
  while (!stopping && server?.exitCode === null) {
    const answer = await report(location);
    if ('status' in answer && answer.status >= 200 && answer.status < 300) return true;
    const problem = 'status' in answer ? `HTTP ${answer.status} ${answer.body.slice(0, 300)}` : answer.error;
    if ('status' in answer && answer.status >= 400 && answer.status < 500 && answer.status !== 409) {
      say(`the hub refused the location: ${problem}`);
      return false;
    }
    if (problem !== lastProblem) say(`the hub did not take the location yet (${problem}); retrying`);
    lastProblem = problem;
    await delay(REPORT_RETRY_MS);
  }
  return false;
}

async function main() {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS && !stopping; attempt++) {
    const port = await freePort(bindIp);
    const outcome = await startOn(port);
    if (outcome === 'listening') {
      say(`server listening on ${node}:${port}`);
      if (!(await reportUntilAccepted({ host: node, port }))) server?.kill('SIGTERM');
      const exit = await new Promise((resolve) => {
        if (server?.exitCode !== null || server.signalCode !== null) resolve({ code: server?.exitCode ?? 1 });
        else server.once('exit', (code) => resolve({ code }));
      });
      process.exit(/** @type {{ code: number | null }} */ (exit).code ?? 1);
    }
    // Exited: if someone else now holds the port, it was taken under the server; try another one.
    if (listeningInodes(port).size > 0 && !stopping) {
      say(`port ${port} was taken by another process; trying another`);
      continue;
    }
    say(`the server exited with ${outcome.signal ?? `code ${outcome.code}`} before it listened`);
    process.exit(outcome.code ?? 1);
  }
  say(stopping ? 'stopped before the server listened' : `the port was taken ${MAX_ATTEMPTS} times; giving up`);
  process.exit(1);
}

await main();
