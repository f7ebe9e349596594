import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import type { GatehouseConfigInput } from '@gatehouse/hub';
import { demoAppPath, LocalProcessSpawner, type LocalProcessSpawnerOptions } from '@gatehouse/spawner';
import { xsrfFromPage, type BrowserLikeClient } from '../support/browser-like-client.ts';
import { writeDummyHubConfig } from '../support/cli-config.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { cleanupTempDirs } from '../support/temp.ts';
import { isRunning, processStat, waitFor } from '../support/processes.ts';
import { rawHttp, type HeaderLine, type RawResponse } from './raw-client.ts';

export * from './raw-client.ts';
export { isRunning, processStat, waitFor } from '../support/processes.ts';

/**
 * Shared by the proxy suite: hubs whose servers always stop, users, tokens, bounded polling, and
 * what /proc says about server processes (the wire-level clients are in raw-client.ts).
 */

/** Appended to every server command line, so leftover processes of this suite can be recognised. */
export const SERVER_MARKER = 'gatehouse-proxy-suite';

/**
 * A block of spawner ports for one test file: below the kernel's ephemeral range (outgoing
 * connections never take them) and above the blocks the spawner tests use.
 */
export function portBlock(index: number, size = 50): [number, number] {
  const [ephemeralMin] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const min = 31400 + index * size;
  const max = min + size - 1;
  if (ephemeralMin === undefined || max >= ephemeralMin) throw new Error(`port block ${min}-${max} overlaps the ephemeral range`);
  return [min, max];
}

export function suiteSpawner(portRange: [number, number], options: LocalProcessSpawnerOptions = {}): LocalProcessSpawner {
  // No sandbox: these tests reach into the server's files and processes (the sandbox has its own tests).
  return new LocalProcessSpawner({ portRange, stopGracePeriod: 2, sandbox: false, ...options, args: [...(options.args ?? []), SERVER_MARKER] });
}

/**
 * The demo app, started only once `gateFile` exists: a start stays pending until the test says
 * so, which makes "while another start is pending" a fact instead of a race.
 */
export function gatedDemoCommand(gateFile: string): string[] {
  const script = `const fs = require('node:fs');
const timer = setInterval(() => { if (fs.existsSync(${JSON.stringify(gateFile)})) { clearInterval(timer); import(${JSON.stringify(pathToFileURL(demoAppPath).href)}); } }, 20);`;
  return [process.execPath, '-e', script];
}

/** A real hub whose users' servers are stopped when it closes. */
export function startProxyHub(portRange: [number, number], overrides: Partial<GatehouseConfigInput> = {}, options: { realClock?: boolean } = {}): Promise<TestHub> {
  return startTestHub({ stopServersOnShutdown: true, serverPollInterval: 1, spawner: suiteSpawner(portRange), ...overrides }, options);
}

/** Stops every server the hub knows (running or pending), then closes it. */
export async function closeHub(hub: TestHub | undefined): Promise<void> {
  if (hub === undefined) return;
  await stopAllServers(hub);
  await hub.close();
}

export async function stopAllServers(hub: TestHub): Promise<void> {
  await Promise.all(hub.services.users.list().map((user) => hub.services.servers.stop(user)));
}

/** The user, created on first use (an admin when the hub's adminUsers names them). */
export function ensureUser(hub: TestHub, name: string) {
  return hub.services.users.get(name) ?? hub.services.userAdmin.create(name, hub.services.config.adminUsers.includes(name), 'proxy-suite');
}

/** Starts `name`'s server through the ServerManager and waits until it is running. */
export async function startServer(hub: TestHub, name: string) {
  const user = ensureUser(hub, name);
  hub.services.servers.start(user);
  expect(await hub.services.servers.settled(name)).toBe('running');
  const route = hub.services.servers.route(name);
  if (route === undefined) throw new Error(`${name} is running without a route`);
  return route;
}

export function serverPid(hub: TestHub, name: string): number {
  const user = ensureUser(hub, name);
  const pid = hub.services.serverRepository.get(user.id)?.handle?.state['pid'];
  if (typeof pid !== 'number') throw new Error(`no pid recorded for ${name}'s server`);
  return pid;
}

/** An API token minted straight into the store (what `gatehouse token` does). */
export function mintToken(hub: TestHub, name: string, options: { scopes?: string[]; expiresInSeconds?: number } = {}) {
  const user = ensureUser(hub, name);
  return hub.services.tokens.mint({ userId: user.id, kind: 'api', scopes: options.scopes ?? ['inherit'], expiresInSeconds: options.expiresInSeconds });
}

/** A REST call authenticated by an API token, as a script would make it. */
export function api(baseUrl: string, method: string, route: string, token: string, body?: unknown): Promise<RawResponse> {
  const lines: HeaderLine[] = [['Authorization', `token ${token}`], ...(body === undefined ? [] : [['Content-Type', 'application/json'] as const])];
  return rawHttp(baseUrl, method, `/hub/api${route}`, lines, body === undefined ? '' : JSON.stringify(body));
}

/** The XSRF token a logged-in browser would find on its home page. */
export async function xsrfOf(client: BrowserLikeClient): Promise<string> {
  const home = await client.get('/hub/home');
  expect(home.status).toBe(200);
  return xsrfFromPage(home.body);
}

/** A server's progress events (SSE) until the terminal one. */
export interface ProgressEvent {
  readonly progress: number;
  readonly message: string;
  readonly ready?: boolean;
  readonly failed?: boolean;
  readonly url?: string;
}

export async function readProgress(baseUrl: string, name: string, headers: Record<string, string>): Promise<ProgressEvent[]> {
  const response = await fetch(`${baseUrl}/hub/api/users/${name}/server/progress`, { headers, signal: AbortSignal.timeout(30_000) });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)) as ProgressEvent);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function directChildren(parentPid: number): Array<{ pid: number; state: string; cmdline: string }> {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .flatMap((pid) => {
      const stat = processStat(pid);
      return stat?.ppid === parentPid ? [{ pid, state: stat.state, cmdline: cmdline(pid) }] : [];
    });
}

/**
 * Children of the hub process `hubPid` (this test process by default) and of its process launcher,
 * which forks the servers (packages/spawner/src/process-launcher.ts): every server of that hub.
 */
export function childProcesses(hubPid = process.pid): Array<{ pid: number; state: string; cmdline: string }> {
  const children = directChildren(hubPid);
  const launchers = children.filter((child) => child.cmdline.includes('process-launcher-child.mjs'));
  return [...children, ...launchers.flatMap((launcher) => directChildren(launcher.pid))];
}

/** This file's servers still alive, or left as zombies: both are failures at the end of a file. */
export function leftoverServers(parentPid = process.pid): Array<{ pid: number; state: string; cmdline: string }> {
  return childProcesses(parentPid).filter((child) => child.cmdline.includes(SERVER_MARKER) || child.cmdline.includes('demo-app.mjs') || child.state === 'Z');
}

/**
 * For afterAll: closes the hubs, then (whatever failed) checks that no server outlived them and
 * removes the temp dirs; the first close failure is rethrown.
 */
export async function finishFile(...hubs: Array<TestHub | undefined>): Promise<void> {
  const closed = await Promise.allSettled(hubs.map(closeHub));
  try {
    await expectNoLeftoverServers();
  } finally {
    cleanupTempDirs();
  }
  const failed = closed.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/** No server process of this file may outlive it (a stop in progress gets 5 s). */
async function expectNoLeftoverServers(): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (leftoverServers().length > 0 && Date.now() < deadline) await delay(25);
  expect(leftoverServers()).toEqual([]);
}

/** The id in a logged-in browser's /user/ session cookie. */
export function sessionCookieOf(client: BrowserLikeClient): string {
  const cookie = client.cookie('gatehouse-user-session');
  if (cookie === undefined) throw new Error('the client has no gatehouse-user-session cookie');
  return cookie.value;
}

/** The user a server process runs for, from its environment (JUPYTERHUB_USER). */
export function serverUser(pid: number): string | undefined {
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  return environ.find((entry) => entry.startsWith('JUPYTERHUB_USER='))?.slice('JUPYTERHUB_USER='.length);
}

/** A hub.config.ts for `gatehouse start`: the dummy authenticator and the demo app on `portRange`. */
export function writeCliConfig(dir: string, portRange: [number, number]): string {
  return writeDummyHubConfig(dir, { className: 'LocalProcessSpawner', options: { portRange, args: [SERVER_MARKER], stopGracePeriod: 2, sandbox: false } });
}

/**
 * Starts `name`'s server as its browser would (REST API, cookie + XSRF), waits until the API says
 * it runs, and returns its pid, found among the children of the hub process `hubPid`.
 */
export async function startServerViaApi(client: BrowserLikeClient, name: string, hubPid: number): Promise<number> {
  const response = await client.request('POST', `/hub/api/users/${name}/server`, { headers: { 'X-XSRFToken': await xsrfOf(client) } });
  expect(response.status, response.body).toBe(202);
  await waitFor(`${name}'s server to be ready`, async () => (await client.get(`/hub/api/users/${name}`)).json<{ server: string | null }>().server !== null);
  const child = childProcesses(hubPid).find((candidate) => candidate.cmdline.includes(SERVER_MARKER) && serverUser(candidate.pid) === name);
  if (child === undefined) throw new Error(`no server process of ${name} under the hub`);
  return child.pid;
}

/** Last resort for servers a CLI hub left behind: kills `pids` that are still this suite's servers. */
export function killLeftovers(pids: Iterable<number>): void {
  for (const pid of pids) {
    if (isRunning(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(SERVER_MARKER)) process.kill(pid, 'SIGKILL');
  }
}
