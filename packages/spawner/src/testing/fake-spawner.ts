import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import {
  SpawnError,
  type ProgressSink,
  type ServerHandle,
  type ServerRef,
  type ServerIsolation,
  type SpawnRequest,
  type Spawner,
  type SpawnerHost,
} from '../types.ts';

export interface FakeSpawnerOptions {
  /** Every start fails with this reason (a SpawnError) after its server was launched, leaving nothing behind. */
  readonly failWith?: string;
  /** How long a start takes between launch and ready, in ms (default 0); an abort ends the wait. */
  readonly startDelayMs?: number;
  /** Seconds; the hub aborts a start after it (default 30). */
  readonly startTimeout?: number;
  /** `token-header` (default): the server answers only with `Authorization: token <apiToken>`. */
  readonly credential?: ServerHandle['credential'];
}

/**
 * The servers of every FakeSpawner in this process, by the id in their handle: the fake's process
 * table, so a new FakeSpawner (a restarted hub) finds a server from its saved handle alone.
 */
const liveServers = new Map<string, Server>();

/** Each server's output, by `username/serverName`: what the fake "logs" is one line per start and per request. */
const serverLogs = new Map<string, string>();
const logKey = (server: ServerRef) => `${server.username}/${server.serverName}`;
const appendLog = (server: ServerRef, line: string) => serverLogs.set(logKey(server), `${serverLogs.get(logKey(server)) ?? ''}${line}\n`);

/**
 * A spawner for hub tests that need no processes: each start is an HTTP server inside the test
 * process on a port from the OS (claimed in the hub's registry like any other). It answers under
 * the request's prefix — `GET <prefix>api` gives `{"version":"fake"}`, anything else
 * `{"user","path"}` — and 404s elsewhere. It meets the Spawner contract (describeSpawnerContract).
 */
export class FakeSpawner implements Spawner {
  readonly kind = 'fake';
  readonly description = 'in-process test servers';
  readonly startTimeout: number;
  readonly isolation: ServerIsolation = { level: 'shared-account', summary: 'In-process test servers: nothing keeps them apart.' };
  readonly #options: FakeSpawnerOptions;
  #host: SpawnerHost | undefined;

  constructor(options: FakeSpawnerOptions = {}) {
    this.#options = options;
    this.startTimeout = options.startTimeout ?? 30;
  }

  init(host: SpawnerHost): void {
    this.#host = host;
  }

  async start(request: SpawnRequest, onProgress: ProgressSink, signal: AbortSignal): Promise<ServerHandle> {
    const host = this.#requireHost();
    throwIfAborted(signal);
    const server = createServer(answerUnder(request, this.#options.credential ?? 'token-header'));
    const port = await listenOnFreePort(server);
    if (!host.ports.claim('127.0.0.1', port, request.username)) {
      await closeServer(server);
      throw new SpawnError(`Port ${port} is already recorded for another server`);
    }
    const handle: ServerHandle = { host: '127.0.0.1', port, credential: this.#options.credential ?? 'token-header', state: { fakeServer: randomUUID() } };
    liveServers.set(serverId(handle), server);
    onProgress({ progress: 10, message: `Listening on port ${port}` });
    appendLog(request, `listening on 127.0.0.1:${port}`);
    try {
      request.launched(handle);
      if ((this.#options.startDelayMs ?? 0) > 0) await delay(this.#options.startDelayMs, undefined, { signal }).catch(() => undefined);
      throwIfAborted(signal);
      if (this.#options.failWith !== undefined) throw new SpawnError(this.#options.failWith);
    } catch (error) {
      await this.stop(handle);
      throw error instanceof SpawnError ? error : new SpawnError(`The start failed: ${String(error)}`, { cause: error });
    }
    onProgress({ progress: 100, message: 'Server ready' });
    return handle;
  }

  async poll(handle: ServerHandle): Promise<'running' | 'stopped'> {
    return liveServers.has(serverId(handle)) ? 'running' : 'stopped';
  }

  async stop(handle: ServerHandle): Promise<void> {
    await crashFakeServer(handle);
    this.#requireHost().ports.release(handle.host, handle.port);
  }

  async readLog(server: ServerRef, maxBytes: number): Promise<string> {
    const log = serverLogs.get(logKey(server)) ?? '';
    return Buffer.byteLength(log) <= maxBytes ? log : Buffer.from(log).subarray(-maxBytes).toString('utf8');
  }

  #requireHost(): SpawnerHost {
    if (this.#host === undefined) throw new SpawnError('FakeSpawner used before init(host)');
    return this.#host;
  }
}

/** Ends a fake server behind its spawner's back, as a crash would; resolves once its port is closed. */
export async function crashFakeServer(handle: ServerHandle): Promise<void> {
  const id = serverId(handle);
  const server = liveServers.get(id);
  if (server === undefined) return;
  liveServers.delete(id);
  await closeServer(server);
}

function serverId(handle: ServerHandle): string {
  const id = handle.state['fakeServer'];
  return typeof id === 'string' ? id : '';
}

function throwIfAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  throw signal.reason instanceof SpawnError ? signal.reason : new SpawnError('The server start was cancelled', { cause: signal.reason });
}

function answerUnder(request: SpawnRequest, credential: ServerHandle['credential']) {
  const expected = `token ${request.apiToken}`;
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!url.startsWith(request.prefix)) return send(404, { message: 'not under this server\'s prefix' });
    if (credential === 'token-header' && req.headers.authorization !== expected) return send(403, { message: 'server token required' });
    appendLog(request, `${req.method ?? 'GET'} ${url}`);
    if (url.split('?')[0] === `${request.prefix}api`) return send(200, { version: 'fake' });
    send(200, { user: request.username, path: url });
  };
}

function listenOnFreePort(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Closes the listener and every connection, so the port is free when this resolves. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
