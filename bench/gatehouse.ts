/**
 * A Gatehouse hub as users run it: `gatehouse start` as a child process with a generated config
 * (demo-app spawner, log level warn; dummy or local-account authenticator, plus any extra keys),
 * driven only over HTTP.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { BrowserLikeClient, xsrfFromPage } from '../test/support/browser-like-client.ts';
import { withDeadline } from './deadline.ts';
import { killDemoApps } from './demo-apps.ts';
import { inspectorUrl } from './inspector.ts';
import { REPO_ROOT, makeTempDir, registerFinalCheck, startChild, trackTransient, waitFor, type ManagedChild } from './processes.ts';

const GATEHOUSE_BIN = path.join(REPO_ROOT, 'packages/hub/bin/gatehouse.mjs');
export const ADMIN_USER = 'admin';
/** Bound on one login, one REST call, one CLI command: generous, it only turns a hang into an error. */
const STEP_TIMEOUT_MS = 60_000;
/** What the bench types as the password on a dummy-authenticator hub (which accepts any). */
export const DUMMY_PASSWORD = 'bench-password';

/**
 * - `dummy`: any name logs in with any password (DummyAuthenticator without a shared password).
 * - `local`: accounts kept by the hub, argon2id-hashed (LocalAuthenticator, default options); the
 *   admin account is added with `gatehouse useradd --password-stdin` before the hub starts.
 */
export type AuthenticatorKind = 'dummy' | 'local';

/** A top-level config value the generator writes as a literal (JSON is valid TypeScript here). */
export type ConfigValue = boolean | number | string | readonly string[] | { readonly [key: string]: ConfigValue };

export interface GatehouseHub {
  /** Without the trailing slash. */
  readonly baseUrl: string;
  readonly port: number;
  /** The `gatehouse start` process: the hub's Node process itself (tsx is registered in-process). */
  readonly child: ManagedChild;
  readonly authenticator: AuthenticatorKind;
  /** The password that logs the admin in (DUMMY_PASSWORD on a dummy hub). */
  readonly adminPassword: string;
  /** The inspector's WebSocket URL when started with `inspect`. */
  readonly inspectorUrl: string | undefined;
  /** Stops the hub (it stops its servers: stopServersOnShutdown) and kills any demo app left behind. */
  stop(): Promise<{ leftoverServers: number }>;
}

export interface StartGatehouseOptions {
  /** The spawner's port range; give every hub of one run its own, so that no two hubs compete for ports. */
  readonly portRange: readonly [number, number];
  /** Run the hub with `--inspect=127.0.0.1:0`, for profiling a measured window (bench/inspector.ts). */
  readonly inspect?: boolean;
  /** Default `dummy`. */
  readonly authenticator?: AuthenticatorKind;
  /**
   * More top-level config keys, e.g. `{ metrics: false }` or `{ concurrentSpawnLimit: 200 }`; they
   * replace the generated defaults of the same name. Checked by the hub's strict schema at start.
   */
  readonly extraConfig?: Readonly<Record<string, ConfigValue>>;
  /** The child's name in messages; default `gatehouse`. */
  readonly name?: string;
  /** Default `LocalProcessSpawner` (the bundled demo app); `JupyterhubSingleuserSpawner` runs real Jupyter. */
  readonly spawnerClass?: 'LocalProcessSpawner' | 'JupyterhubSingleuserSpawner';
  /** More spawner options beside the port range, e.g. `{ startTimeout: 300 }`. */
  readonly spawnerOptions?: Readonly<Record<string, ConfigValue>>;
}

/** A random password that passes the local password policy (long, not common, not the name). */
export function randomPassword(): string {
  return `bench-${randomBytes(12).toString('base64url')}`;
}

const AUTHENTICATOR_SOURCE: Readonly<Record<AuthenticatorKind, { import: string; expression: string }>> = {
  dummy: { import: 'DummyAuthenticator', expression: 'new DummyAuthenticator()' },
  local: { import: 'LocalAuthenticator', expression: 'new LocalAuthenticator()' },
};

function configSource(dataDir: string, options: StartGatehouseOptions): string {
  const authenticator = AUTHENTICATOR_SOURCE[options.authenticator ?? 'dummy'];
  const [low, high] = options.portRange;
  const plain: Record<string, ConfigValue> = {
    ip: '127.0.0.1',
    port: 0,
    dataDir,
    adminUsers: [ADMIN_USER],
    stopServersOnShutdown: true,
    logLevel: 'warn',
    ...options.extraConfig,
  };
  const lines = Object.entries(plain).map(([key, value]) => {
    if (!/^[A-Za-z_]\w*$/.test(key)) throw new Error(`config key ${JSON.stringify(key)} is not an identifier`);
    return `  ${key}: ${JSON.stringify(value)},`;
  });
  const spawnerClass = options.spawnerClass ?? 'LocalProcessSpawner';
  const spawnerOptions = JSON.stringify({ portRange: [low, high], ...options.spawnerOptions });
  return `import { defineConfig } from '@gatehouse/hub';
import { ${authenticator.import} } from '@gatehouse/authenticators';
import { ${spawnerClass} } from '@gatehouse/spawner';

// Generated by bench/gatehouse.ts.
export default defineConfig({
${lines.join('\n')}
  authenticator: ${authenticator.expression},
  spawner: new ${spawnerClass}(${spawnerOptions}),
});
`;
}

/**
 * Runs a `gatehouse` CLI command against `configFile`, with `input` on its stdin; throws unless it
 * exits 0 within STEP_TIMEOUT_MS. It runs in its own process group, which is killed afterwards, so
 * that no helper it started outlives it.
 */
async function runCli(configFile: string, args: readonly string[], input: string): Promise<void> {
  const child = spawn(process.execPath, [GATEHOUSE_BIN, ...args, '--config', configFile], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  trackTransient(child);
  const killGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // ESRCH: nothing left in the group
    }
  };
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stdin.end(input);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    const [code, signal] = await withDeadline(`gatehouse ${args[0]}`, STEP_TIMEOUT_MS, exited);
    if (code !== 0) throw new Error(`gatehouse ${args.join(' ')} failed (${signal ?? code}):\n${output.slice(-2000)}`);
  } finally {
    killGroup();
  }
}

export async function startGatehouse(options: StartGatehouseOptions): Promise<GatehouseHub> {
  const authenticator = options.authenticator ?? 'dummy';
  const dir = makeTempDir('gatehouse-bench-');
  const configFile = path.join(dir, 'hub.config.ts');
  writeFileSync(configFile, configSource(path.join(dir, 'data'), options));
  const adminPassword = authenticator === 'local' ? randomPassword() : DUMMY_PASSWORD;
  // The documented way to the first admin without the one-time setup link (README: `gatehouse useradd`).
  if (authenticator === 'local') await runCli(configFile, ['useradd', ADMIN_USER, '--admin', '--password-stdin'], `${adminPassword}\n`);
  const inspectFlags = options.inspect === true ? ['--inspect=127.0.0.1:0'] : [];
  const { child, match } = await startChild(options.name ?? 'gatehouse', process.execPath, [...inspectFlags, GATEHOUSE_BIN, 'start', '--config', configFile, '--port', '0'], {
    readyPattern: /Gatehouse is running at (http:\/\/\S+)/,
  });
  const url = new URL(match?.[1] ?? '');
  const port = Number(url.port);
  registerFinalCheck(() => killDemoApps(port));
  return {
    baseUrl: url.origin,
    port,
    child,
    authenticator,
    adminPassword,
    inspectorUrl: options.inspect === true ? inspectorUrl(child.output()) : undefined,
    async stop() {
      await child.stop();
      return { leftoverServers: killDemoApps(port) };
    },
  };
}

export interface LoginOptions {
  /** Default DUMMY_PASSWORD. */
  readonly password?: string;
  /** Sent with both requests, e.g. `X-Forwarded-For` as a trusted front proxy would set it. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Logs in through the login form, as a browser does (GET the form for its `_xsrf`, POST it); the
 * client then holds the session cookies. Throws unless the POST answers 302 away from the login page.
 */
export function loginWithForm(baseUrl: string, username: string, options: LoginOptions = {}): Promise<{ client: BrowserLikeClient; xsrf: string }> {
  return withDeadline(`login as ${username}`, STEP_TIMEOUT_MS, login(baseUrl, username, options));
}

async function login(baseUrl: string, username: string, options: LoginOptions): Promise<{ client: BrowserLikeClient; xsrf: string }> {
  const client = new BrowserLikeClient(baseUrl);
  client.defaultHeaders = { ...options.headers };
  const page = await client.get('/hub/login');
  const xsrf = xsrfFromPage(page.body);
  const response = await client.request('POST', '/hub/login', { form: { _xsrf: xsrf, username, password: options.password ?? DUMMY_PASSWORD } });
  const location = response.headers.get('location') ?? '';
  if (response.status !== 302 || location === '' || location.includes('/hub/login')) {
    throw new Error(`login as ${username} failed: ${response.status} ${location} ${response.body.slice(0, 200)}`);
  }
  // XSRF tokens are bound to the session: the signed-in page's token, not the login form's.
  const home = await client.get('/hub/home');
  return { client, xsrf: xsrfFromPage(home.body) };
}

/** The value of the `gatehouse-user-session` cookie (Path=/user/) that browsers send to user servers. */
export function proxySessionCookie(client: BrowserLikeClient): string {
  const cookie = client.cookie('gatehouse-user-session', '/user/');
  if (cookie === undefined) throw new Error('login did not set the gatehouse-user-session cookie for /user/');
  return `${cookie.name}=${cookie.value}`;
}

/** An API token of the admin user, minted through the REST API with the admin's session + XSRF. */
export async function mintAdminToken(hub: Pick<GatehouseHub, 'baseUrl' | 'adminPassword'>): Promise<string> {
  return mintOwnToken(hub.baseUrl, ADMIN_USER, hub.adminPassword);
}

/** An API token of `username`'s own (scope `inherit`), minted with their session + XSRF, as the token page does. */
export async function mintOwnToken(baseUrl: string, username: string, password: string): Promise<string> {
  const { client, xsrf } = await loginWithForm(baseUrl, username, { password });
  const response = await client.request('POST', `/hub/api/users/${username}/tokens`, { headers: { 'x-xsrftoken': xsrf }, json: { note: 'bench' } });
  if (response.status !== 201) throw new Error(`could not mint a token for ${username}: ${response.status} ${response.body.slice(0, 200)}`);
  return response.json<{ token: string }>().token;
}

/** Adds a user with a local account and `password` (POST /hub/api/users/:name, admin token); the hub hashes it with argon2id. */
export async function addAccount(baseUrl: string, token: string, name: string, password: string): Promise<void> {
  await api(baseUrl, token, 'POST', `/users/${encodeURIComponent(name)}`, [201], { password });
}

/** A REST call with an API token; throws unless the status is one of `expected`. */
export async function api(baseUrl: string, token: string, method: string, apiPath: string, expected: readonly number[], body?: unknown): Promise<Response> {
  const response = await fetch(`${baseUrl}/hub/api${apiPath}`, {
    method,
    headers: { authorization: `token ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  if (!expected.includes(response.status)) throw new Error(`${method} /hub/api${apiPath}: ${response.status} ${(await response.text()).slice(0, 200)}`);
  return response;
}

/**
 * Waits for a pending server through the progress event stream (it ends with the terminal event);
 * resolves on ready, throws on failure.
 */
export async function waitUntilReady(baseUrl: string, token: string, name: string, timeoutMs: number): Promise<void> {
  const response = await fetch(`${baseUrl}/hub/api/users/${encodeURIComponent(name)}/server/progress`, {
    headers: { authorization: `token ${token}`, accept: 'text/event-stream' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const events = (await response.text())
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)) as { ready?: boolean; failed?: boolean; message?: string });
  const last = events.at(-1);
  if (last?.ready !== true) throw new Error(`${name}'s server did not start: ${last?.message ?? `status ${response.status}`}`);
}

export async function startServer(baseUrl: string, token: string, name: string, timeoutMs = 30_000): Promise<void> {
  await api(baseUrl, token, 'POST', `/users/${encodeURIComponent(name)}/server`, [201, 202]);
  await waitUntilReady(baseUrl, token, name, timeoutMs);
}

/** DELETE the server, then poll until the user model shows no server. */
export async function stopServer(baseUrl: string, token: string, name: string, timeoutMs = 30_000): Promise<void> {
  const userPath = `/users/${encodeURIComponent(name)}`;
  await api(baseUrl, token, 'DELETE', `${userPath}/server`, [202, 204]);
  await waitFor(
    `${name}'s server to stop`,
    async () => {
      const user = (await (await api(baseUrl, token, 'GET', userPath, [200])).json()) as { servers: Record<string, unknown> };
      return Object.keys(user.servers).length === 0 ? true : undefined;
    },
    timeoutMs,
    100,
  );
}
