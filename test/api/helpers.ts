import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { GatehouseConfigInput } from '@gatehouse/hub';
import { LocalProcessSpawner } from '@gatehouse/spawner';
import { BrowserLikeClient, xsrfFromPage, type ClientResponse } from '../support/browser-like-client.ts';
import { GATEHOUSE_BIN, REPO_ROOT, type CliResult } from '../support/cli.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { cleanupTempDirs } from '../support/temp.ts';

/**
 * Shared by the REST API / tokens / launch suite: API calls as a script makes them, error-shape
 * checks, users and tokens made through the product's own services, bounded polling, and what
 * /proc and the data directory hold (secrets must be in neither).
 */

/** Passes the local authenticator's policy (length, not common, not the username). */
export const STRONG_PASSWORD = 'lantern-orbit-velvet-9';
export const OTHER_STRONG_PASSWORD = 'quartz-meadow-ferry-41';

/** Spawner ports for this suite's in-process hubs: below the ephemeral range and the other suites' blocks. */
export const API_SUITE_PORTS: [number, number] = [29000, 29049];
/** Spawner ports for the hubs this suite starts with `gatehouse start`. */
export const CLI_HUB_PORTS: [number, number] = [29050, 29099];

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface ApiOptions {
  /** Sent as `Authorization: <scheme> <token>`. */
  readonly token?: string;
  readonly scheme?: string;
  readonly json?: unknown;
  /** A raw body (sent as is, with `contentType`). */
  readonly body?: string;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

/** One REST call on `/hub/api<route>` with an API token, as a script would make it. */
export async function api(baseUrl: string, method: string, route: string, options: ApiOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `${options.scheme ?? 'token'} ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) body = JSON.stringify(options.json);
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${baseUrl}/hub/api${route}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
}

/** Asserts a JSON error body `{status, code, message}` that gives nothing of the implementation away. */
export function expectApiError(response: ApiResponse | ClientResponse, status: number, code?: string): void {
  const text = 'text' in response ? response.text : response.body;
  expect(response.status, text).toBe(status);
  const body = JSON.parse(text) as { status: unknown; code: unknown; message: unknown };
  expect(body.status).toBe(status);
  expect(body.code).toMatch(/^GATEHOUSE_ERR_[A-Z_]+$/);
  if (code !== undefined) expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(text).not.toMatch(/\bat \S+ \(|\.ts:\d+|node_modules|\/work\/|SyntaxError|TypeError|sqlite/i);
}

/** Bounded polling on a condition, shared with the proxy suite. */
export { waitFor } from '../proxy/helpers.ts';

/** An in-process hub on the dummy authenticator with an admin named `admin`, servers stopped on close. */
export function startApiHub(overrides: Partial<GatehouseConfigInput> = {}): Promise<TestHub> {
  return startTestHub({
    adminUsers: ['admin'],
    stopServersOnShutdown: true,
    serverPollInterval: 1,
    spawner: new LocalProcessSpawner({ portRange: API_SUITE_PORTS, stopGracePeriod: 2 }),
    ...overrides,
  });
}

/** Stops every server of the hub, then closes it. */
export async function closeApiHub(hub: TestHub | undefined): Promise<void> {
  if (hub === undefined) return;
  await Promise.all(hub.services.users.list().map((user) => hub.services.servers.stop(user)));
  await hub.close();
}

export interface ApiHubFixture {
  hub: TestHub;
  /** An `inherit` API token per user. */
  tokens: Record<string, string>;
  /** That user's token (the user must be one the fixture made). */
  token(name: string): string;
}

/**
 * Registers, for the calling test file, a hub with `admin` (an admin) and `users`, each holding an
 * API token; it is closed and its temp dirs removed after the file. Fields are set in beforeAll.
 */
export function useApiHub(users: readonly string[], overrides: Partial<GatehouseConfigInput> = {}): ApiHubFixture {
  const fixture = {
    tokens: {},
    token(name: string) {
      const token = fixture.tokens[name];
      if (token === undefined) throw new Error(`the fixture made no token for ${name}`);
      return token;
    },
  } as unknown as ApiHubFixture;
  beforeAll(async () => {
    fixture.hub = await startApiHub(overrides);
    for (const name of ['admin', ...users]) {
      ensureUser(fixture.hub, name, name === 'admin');
      fixture.tokens[name] = tokenFor(fixture.hub, name);
    }
  });
  afterAll(async () => {
    await closeApiHub(fixture.hub);
    cleanupTempDirs();
  });
  return fixture;
}

/** The user, created when missing (what `gatehouse useradd` does for an authenticator without passwords). */
export function ensureUser(hub: TestHub, name: string, admin = false) {
  return hub.services.users.get(name) ?? hub.services.userAdmin.create(name, admin, 'api-suite');
}

/** An API token of `name`, minted in the store as `gatehouse token` does. */
export function tokenFor(hub: TestHub, name: string, scopes: string[] = ['inherit'], expiresInSeconds?: number): string {
  const user = ensureUser(hub, name);
  return hub.services.tokens.mint({ userId: user.id, kind: 'api', scopes, expiresInSeconds }).token;
}

/** The X-XSRFToken a logged-in page would hand its scripts. */
export async function xsrfHeader(client: BrowserLikeClient): Promise<Record<string, string>> {
  const home = await client.get('/hub/home');
  expect(home.status, home.body).toBe(200);
  return { 'X-XSRFToken': xsrfFromPage(home.body) };
}

/** Who the client's session cookie says it is, or undefined when it has no live session. */
export async function sessionUser(client: BrowserLikeClient): Promise<string | undefined> {
  const response = await client.get('/hub/api/user');
  if (response.status === 403) return undefined;
  expect(response.status, response.body).toBe(200);
  return response.json<{ name: string }>().name;
}

/** Opens `url` (a token or setup link) in a fresh browser-like client; returns the client and the first response. */
export async function openLink(url: string): Promise<{ client: BrowserLikeClient; response: ClientResponse }> {
  const parsed = new URL(url);
  const client = new BrowserLikeClient(parsed.origin);
  return { client, response: await client.get(`${parsed.pathname}${parsed.search}`) };
}

/** Fills the one-time setup form reached by `client` with `password` (twice). */
export async function submitSetup(client: BrowserLikeClient, page: ClientResponse, password: string, confirm = password): Promise<ClientResponse> {
  const code = /name="code" value="([^"]+)"/.exec(page.body)?.[1];
  expect(code, page.body).toBeDefined();
  return client.request('POST', '/hub/setup', { form: { _xsrf: xsrfFromPage(page.body), code: code as string, password, confirm } });
}

/** Logs in through the form, returning the response (not asserting success). */
export async function tryFormLogin(baseUrl: string, username: string, password: string): Promise<{ client: BrowserLikeClient; response: ClientResponse }> {
  const client = new BrowserLikeClient(baseUrl);
  const page = await client.get('/hub/login');
  const response = await client.request('POST', '/hub/login', { form: { _xsrf: xsrfFromPage(page.body), username, password } });
  return { client, response };
}

/** Every regular file below `dir`, with its bytes. */
export function filesBelow(dir: string): Array<{ file: string; bytes: Buffer }> {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile())
    .map((file) => ({ file, bytes: readFileSync(file) }));
}

/** The files below `dir` whose bytes contain `secret` (as UTF-8 or as UTF-16, SQLite's other text encoding). */
export function filesContaining(dir: string, secret: string): string[] {
  const needles = [Buffer.from(secret, 'utf8'), Buffer.from(secret, 'utf16le')];
  return filesBelow(dir)
    .filter(({ bytes }) => needles.some((needle) => bytes.includes(needle)))
    .map(({ file }) => file);
}

/** Every process's command line (pid → argv joined by spaces). */
export function allCommandLines(): Map<number, string> {
  const lines = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      lines.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // the process ended while we looked
    }
  }
  return lines;
}

/** One variable of a process's environment. */
export function environmentOf(pid: number, name: string): string | undefined {
  const entry = readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .find((line) => line.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}

/** The permission bits of a file. */
export function modeOf(file: string): number {
  return statSync(file).mode & 0o777;
}

/** A hub.config.ts for the CLI in `dir`, with `authenticator` as TypeScript source. */
export function writeHubConfig(dir: string, authenticator: string, extra = ''): string {
  const file = path.join(dir, 'hub.config.ts');
  writeFileSync(
    file,
    `import { defineConfig } from '@gatehouse/hub';
import { DummyAuthenticator, LocalAuthenticator } from '@gatehouse/authenticators';
import { LocalProcessSpawner } from '@gatehouse/spawner';
void DummyAuthenticator; void LocalAuthenticator;
export default defineConfig({
  adminUsers: ['admin'],
  authenticator: ${authenticator},
  spawner: new LocalProcessSpawner({ portRange: ${JSON.stringify(CLI_HUB_PORTS)}, stopGracePeriod: 2 }),
  ${extra}
});
`,
  );
  return file;
}

/**
 * An executable shell script standing in for a browser. It records its pid, argument count and
 * arguments in `record`, then stays alive (as a browser would) until `stopFakeBrowser`, so that its
 * command line can be inspected.
 */
export function writeFakeBrowser(record: string): string {
  const file = `${record}.browser.sh`;
  const temporary = JSON.stringify(`${record}.tmp`);
  writeFileSync(file, `#!/bin/sh\nprintf '%s\\n' "$$" "$#" "$@" > ${temporary}\nmv ${temporary} ${JSON.stringify(record)}\nsleep 300\n`);
  chmodSync(file, 0o755);
  return file;
}

/** What the fake browser recorded: its pid and the arguments it was given. */
export function fakeBrowserRun(record: string): { pid: number; args: string[] } {
  const [pid, count, ...args] = readFileSync(record, 'utf8').trim().split('\n');
  expect(args).toHaveLength(Number(count));
  return { pid: Number(pid), args };
}

/** Ends the fake browser and its sleep (it runs in its own process group: the hub starts it detached). */
export function stopFakeBrowser(record: string): void {
  try {
    process.kill(-fakeBrowserRun(record).pid, 'SIGKILL');
  } catch {
    // never started, or already gone
  }
}

/** Follows redirects by hand (the client keeps cookies), returning every Location seen and the last response. */
export async function followRedirects(client: BrowserLikeClient, start: string, maxHops = 8): Promise<{ locations: string[]; last: ClientResponse }> {
  const locations: string[] = [];
  let response = await client.get(start);
  while (response.status >= 300 && response.status < 400) {
    const location = response.headers.get('location');
    expect(location, `redirect without Location after ${locations.join(' → ')}`).toBeTruthy();
    locations.push(location as string);
    expect(locations.length, locations.join(' → ')).toBeLessThanOrEqual(maxHops);
    const target = new URL(location as string, 'http://relative.invalid');
    response = await client.get(`${target.pathname}${target.search}`);
  }
  return { locations, last: response };
}

/**
 * `gatehouse …` expected to exit by itself (e.g. a start that must fail): killed after `timeoutMs`,
 * which is then reported as a null exit code, so a hub that starts by mistake cannot outlive the test.
 */
export async function runCliExpectingExit(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliResult> {
  const child = spawn(process.execPath, [GATEHOUSE_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, ...output };
}
