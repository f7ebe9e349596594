import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket from 'ws';
import { afterEach } from 'vitest';
import {
  LocalProcessSpawner,
  type LocalProcessSpawnerOptions,
  type PortRegistry,
  type ServerHandle,
  type ServerLauncher,
} from '@gatehouse/spawner';
import { MemoryPortRegistry, recordedRequest, silentLogger, type RecordedRequest } from '@gatehouse/spawner/testing';

/**
 * A command for a tiny stand-in server: `node -e` listening on the port of JUPYTERHUB_SERVICE_URL.
 * `handler` is the source of a `(request, response) => …` function; `before` runs first.
 */
export function inlineServerCommand(handler: string, { before = '', onListening = '' } = {}): string[] {
  const script = `${before}
const url = new URL(process.env.JUPYTERHUB_SERVICE_URL);
require('node:http').createServer(${handler}).listen(Number(url.port), '127.0.0.1', () => { ${onListening} });`;
  return [process.execPath, '-e', script];
}

export { silentLogger };

/**
 * A block of ports for one test file: below the kernel's ephemeral range (so outgoing connections
 * never land in it), above the spawner's default range (used by the hub's own tests), and disjoint
 * from the other spawner test files, which vitest runs in parallel.
 */
export function testPortRange(block: number, size = 200): [number, number] {
  const [ephemeralMin] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const min = 30000 + block * size;
  const max = min + size - 1;
  if (ephemeralMin === undefined || max >= ephemeralMin) throw new Error(`test port block ${min}-${max} overlaps the ephemeral range`);
  return [min, max];
}

export function uniqueName(prefix = 'user'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A temporary directory for logs, removed by `cleanup()`. */
export async function makeTempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'gatehouse-spawner-'));
}

/** What the hub would pass for a user's start, and what the spawner reported back through it. */
export type TestRequest = RecordedRequest;

/** What the hub would pass for `username`: JupyterHub's environment, a fresh token, a log file. */
export function makeRequest(dir: string, username = uniqueName()): TestRequest {
  return recordedRequest(username);
}

/** The pid from the 'Process started (pid N)' progress event, if the start got that far. */
export function startedPid(request: TestRequest): number | undefined {
  const event = request.progress.find((e) => /pid \d+/.test(e.message));
  return event === undefined ? undefined : Number(/pid (\d+)/.exec(event.message)?.[1]);
}

/** A spawner wired to an in-memory registry; remembers what it started so tests clean up. */
export class SpawnerFixture {
  readonly ports = new MemoryPortRegistry();
  readonly spawner: LocalProcessSpawner;
  readonly handles: ServerHandle[] = [];
  readonly requests: TestRequest[] = [];
  /** The "hub's data dir" given to the spawner: default homes live below it. */
  readonly dataDir: string;

  constructor(readonly dir: string, options: LocalProcessSpawnerOptions, launcher?: ServerLauncher) {
    this.spawner = new LocalProcessSpawner(options, launcher);
    this.dataDir = path.join(dir, 'data');
  }

  /** `init()` as the hub calls it (it decides on the sandbox, so it is asynchronous). */
  async init(): Promise<this> {
    await this.spawner.init({ logger: silentLogger, ports: this.ports, dataDir: this.dataDir });
    return this;
  }

  async start(request: TestRequest, signal = new AbortController().signal): Promise<ServerHandle> {
    this.requests.push(request);
    const handle = await this.spawner.start(request, request.onProgress, signal);
    this.handles.push(handle);
    return handle;
  }

  /** Stops every server it started and kills any process a failed start might have left. */
  async cleanup(): Promise<void> {
    await Promise.all(this.handles.map((handle) => this.spawner.stop(handle)));
    for (const pid of this.requests.map(startedPid)) {
      if (pid !== undefined && processState(pid) !== 'gone') {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Registers an afterEach that cleans up every fixture the test made, and returns the maker:
 * each fixture gets its own spawner, port registry and temporary directory.
 */
export function useSpawnerFixtures(): (options: LocalProcessSpawnerOptions, launcher?: ServerLauncher) => Promise<SpawnerFixture> {
  const made: SpawnerFixture[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((fixture) => fixture.cleanup()));
  });
  return async (options, launcher) => {
    const fixture = new SpawnerFixture(await makeTempDir(), options, launcher);
    made.push(fixture);
    return fixture.init();
  };
}

/** 'gone', or the state letter from /proc/<pid>/stat ('Z' for a zombie). */
export function processState(pid: number): string {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0] ?? 'gone';
  } catch {
    return 'gone';
  }
}

/** The server program itself in the group `pgid`: not bwrap (the launcher and its pid-namespace init). */
export function serverProcessOf(pgid: number): number {
  const server = processGroupMembers(pgid).find((pid) => {
    const program = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return path.basename(program) !== 'bwrap';
  });
  if (server === undefined) throw new Error(`no server process in group ${pgid}`);
  return server;
}

/** Pids whose process group is `pgid`, zombies included. */
export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number)) {
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[2]) === pgid) members.push(entry);
    } catch {
      // exited while we looked
    }
  }
  return members;
}

/**
 * Members of the group that have not exited. The leader is checked to be reaped separately; a
 * sandbox's pid-namespace init (bwrap) outlives bwrap by a moment and is then the system init's
 * zombie to reap, not ours.
 */
export function liveGroupMembersOf(pgid: number): number[] {
  return processGroupMembers(pgid).filter((member) => processState(member) !== 'Z');
}

/** Bounded polling for a real condition (never a bare sleep standing in for it). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${check.toString()}`);
    await delay(20);
  }
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

export function httpGet(port: number, urlPath: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

export function tokenHeader(token: string): Record<string, string> {
  return { authorization: `token ${token}` };
}

/** Opens a WebSocket; resolves with it and its first message, or rejects with the HTTP status. */
export function openWebSocket(port: number, urlPath: string, headers: Record<string, string>): Promise<{ ws: WebSocket; first: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${urlPath}`, { headers });
    ws.once('message', (data) => resolve({ ws, first: data.toString() }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

export function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(data.toString())));
}

/** Whether something listens on 127.0.0.1:`port` (a bind attempt from this process fails). */
export async function portLooksTaken(port: number): Promise<boolean> {
  try {
    const server = await listenOn(port);
    await new Promise((resolve) => server.close(resolve));
    return false;
  } catch {
    return true;
  }
}

/** Binds 127.0.0.1:`port` in this process: "another process" from the spawner's point of view. */
export function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}
