import { chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { GatehouseConfigInput } from '@gatehouse/hub';
import { LocalProcessSpawner } from '@gatehouse/spawner';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';
import { NGINX_USER, RUNS_AS_ROOT } from './nginx-account.ts';
import { startNginx, stopEveryNginx, type NginxOptions, type RunningNginx } from './nginx-process.ts';

/**
 * The hub side: a hub that believes identity headers only from its front-proxy unix socket, which it
 * creates 0660 with nginx's group, and the per-file fixture with the doc's nginx in front of it.
 */

/**
 * Where a test hub puts its front-proxy socket: `run/proxy.sock` in a fresh directory that nginx's
 * workers may traverse (0711); the hub itself creates `run/` 0750 with nginx's group.
 */
export function hubSocketPath(): string {
  const base = tempDir('gatehouse-sock-');
  chmodSync(base, 0o711);
  return path.join(base, 'run', 'proxy.sock');
}

/** The hub's frontProxy config for a socket that nginx (running as NGINX_USER) may open. */
export function socketFrontProxy(socketPath: string): NonNullable<GatehouseConfigInput['frontProxy']> {
  return { socket: { path: socketPath, mode: 0o660, ...(RUNS_AS_ROOT ? { group: NGINX_USER } : {}) } };
}

export interface HubBehindNginx {
  readonly hub: TestHub;
  /** The hub's front-proxy socket, which nginx connects to. */
  readonly socketPath: string;
  readonly nginx: RunningNginx;
}

/**
 * For a test file: a hub on 127.0.0.1 that believes identity headers only from its front-proxy
 * socket, with the doc's nginx in front, started in beforeAll; afterAll stops every nginx of the
 * file (checking none survives), then the hub. Spawner ports: block `portIndex` of 50 from 29600,
 * below the other suites' blocks and the kernel's ephemeral range.
 */
export function useHubBehindNginx(portIndex: number, hubOverrides: Partial<GatehouseConfigInput>, nginx: Omit<NginxOptions, 'hub'>): HubBehindNginx {
  const setup: { hub?: TestHub; nginx?: RunningNginx; socketPath?: string } = {};
  const portRange: [number, number] = [29600 + portIndex * 50, 29649 + portIndex * 50];
  beforeAll(async () => {
    const socketPath = hubSocketPath();
    setup.socketPath = socketPath;
    setup.hub = await startTestHub({
      ip: '127.0.0.1',
      frontProxy: socketFrontProxy(socketPath),
      stopServersOnShutdown: true,
      serverPollInterval: 1,
      spawner: new LocalProcessSpawner({ portRange, stopGracePeriod: 2 }),
      ...hubOverrides,
    });
    setup.nginx = await startNginx({ hub: { socketPath }, ...nginx });
  });
  afterAll(async () => {
    try {
      await stopEveryNginx();
      await setup.hub?.close();
    } finally {
      cleanupTempDirs();
    }
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the hub behind nginx is not started yet (use it inside tests)');
    return value;
  };
  return {
    get hub() {
      return started(setup.hub);
    },
    get socketPath() {
      return started(setup.socketPath);
    },
    get nginx() {
      return started(setup.nginx);
    },
  };
}
