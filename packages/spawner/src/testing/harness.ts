import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { PluginLogger } from '@gatehouse/plugin-types';
import type { PortRegistry, ServerHandle, SpawnProgress, SpawnRequest } from '../types.ts';

/**
 * The hub's table of ports in memory: its UNIQUE (host, port) constraint is a Map here. The spawners
 * under test listen on one host (loopback), so `claimed` is keyed by the port alone.
 */
export class MemoryPortRegistry implements PortRegistry {
  readonly claimed = new Map<number, string>();
  /** Every successful claim, in order: lets tests see which ports were tried. */
  readonly history: number[] = [];

  claim(_host: string, port: number, owner: string): boolean {
    if (this.claimed.has(port)) return false;
    this.claimed.set(port, owner);
    this.history.push(port);
    return true;
  }

  release(_host: string, port: number): void {
    this.claimed.delete(port);
  }
}

/** A logger that drops everything (the contract checks behaviour, not log lines). */
export const silentLogger: PluginLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** A SpawnRequest as the hub makes it, plus what the spawner reported back through it. */
export interface RecordedRequest extends SpawnRequest {
  /** Every handle passed to launched(), JSON round-tripped as the hub's database would. */
  readonly launchedHandles: ServerHandle[];
  readonly progress: SpawnProgress[];
  readonly onProgress: (event: SpawnProgress) => void;
}

/**
 * What the hub would pass to start `username`'s default server: JupyterHub's environment for the
 * port and a fresh API token. `onLaunched` runs after each launched() is recorded.
 */
export function recordedRequest(username: string, onLaunched: (handle: ServerHandle) => void = () => {}): RecordedRequest {
  const apiToken = randomBytes(24).toString('hex');
  const prefix = `/user/${username}/`;
  const launchedHandles: ServerHandle[] = [];
  const progress: SpawnProgress[] = [];
  return {
    username,
    serverName: '',
    prefix,
    apiToken,
    environment: (port) => ({
      JUPYTERHUB_USER: username,
      JUPYTERHUB_API_TOKEN: apiToken,
      JUPYTERHUB_SERVICE_PREFIX: prefix,
      JUPYTERHUB_SERVICE_URL: `http://127.0.0.1:${port}${prefix}`,
      JUPYTERHUB_BASE_URL: '/',
    }),
    launchedHandles,
    launched: (handle) => {
      const saved = JSON.parse(JSON.stringify(handle)) as ServerHandle;
      launchedHandles.push(saved);
      onLaunched(saved);
    },
    progress,
    onProgress: (event) => progress.push(event),
  };
}

/**
 * The status of one GET of `prefix` on the handle's address, with the server token when the
 * handle asks for it; undefined when nothing answers (refused, reset, or silent for 2 s).
 */
export function httpStatus(handle: ServerHandle, prefix: string, apiToken: string): Promise<number | undefined> {
  const headers: Record<string, string> = handle.credential === 'token-header' ? { authorization: `token ${apiToken}` } : {};
  return new Promise((resolve) => {
    const req = httpRequest({ host: handle.host, port: handle.port, path: prefix, headers, agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
