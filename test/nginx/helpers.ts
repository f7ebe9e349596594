import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import WebSocket from 'ws';
import type { GatehouseConfigInput } from '@gatehouse/hub';
import { LocalProcessSpawner } from '@gatehouse/spawner';
import { BrowserLikeClient, xsrfFromPage } from '../support/browser-like-client.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { isRunning, waitFor } from '../support/processes.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

/**
 * A real nginx in front of a real hub, configured from docs/nginx-remote-user.conf so that the
 * example admins copy is the one under test. nginx's workers run as their own unprivileged user
 * (NGINX_USER when the suite runs as root) and reach the hub through the front-proxy unix socket,
 * which the hub creates 0660 with that user's group; an attacker who skips nginx connects over TCP
 * (from ATTACKER_ADDRESS, or as another OS user). Every nginx started here is stopped by stopEveryNginx().
 */

const DOC_PATH = path.resolve(import.meta.dirname, '../../docs/nginx-remote-user.conf');
const NGINX_BINARY = '/usr/sbin/nginx';
/** The address the README used to tell nginx to connect from: now it proves nothing. */
export const ATTACKER_ADDRESS = '127.0.0.2';
/** nginx's workers' account and group when the suite runs as root (Debian's nginx uses it too). */
export const NGINX_USER = 'www-data';
const isRoot = process.getuid?.() === 0;
export const SESSION_COOKIE = 'gatehouse-session';
/** How the demo app shows the hub-issued server token it received (it never echoes the secret). */
export const SERVER_TOKEN_SHOWN = "token [this server's token]";

/** The doc's placeholders the test replaces; each must appear exactly once. */
const DOC_LISTEN = 'listen 80;';
const DOC_HTPASSWD = 'auth_basic_user_file /etc/nginx/gatehouse.htpasswd;';
const DOC_UPSTREAM = 'server unix:/run/gatehouse/proxy.sock;';
const DATA_HEADERS_MARK = '# --- Optional: data headers ---';
const GROUPS_HEADER_MARK = '# --- Optional: groups header ---';

/** `text` with `from` replaced by `to`; fails when `from` is not there exactly once (the doc changed). */
export function replaceOnce(text: string, from: string, to: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`expected ${JSON.stringify(from)} once in the nginx conf, found it ${count} times`);
  return text.replace(from, () => to);
}

/** The doc with the test's port, password file and hub socket in place of the example values. */
function siteConf(doc: string, site: { listenPort: number; htpasswdPath: string; hubSocket: string }): string {
  let conf = replaceOnce(doc, DOC_LISTEN, `listen 127.0.0.1:${site.listenPort};`);
  conf = replaceOnce(conf, DOC_HTPASSWD, `auth_basic_user_file ${site.htpasswdPath};`);
  return replaceOnce(conf, DOC_UPSTREAM, `server unix:${site.hubSocket};`);
}

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
  return { socket: { path: socketPath, mode: 0o660, ...(isRoot ? { group: NGINX_USER } : {}) } };
}

/** Uncomments the doc's two "Optional: data headers" blocks (each runs to the next blank line). */
export function enableDataHeaders(conf: string): string {
  return enableOptionalBlocks(conf, DATA_HEADERS_MARK);
}

/** Uncomments the doc's two "Optional: groups header" blocks. */
export function enableGroupsHeader(conf: string): string {
  return enableOptionalBlocks(conf, GROUPS_HEADER_MARK);
}

/** Uncomments the two blocks under `mark` (each runs to the next blank line). */
function enableOptionalBlocks(conf: string, mark: string): string {
  const lines = conf.split('\n');
  let blocks = 0;
  let inBlock = false;
  const out = lines.map((line) => {
    if (line.trim() === mark) {
      blocks += 1;
      inBlock = true;
      return line;
    }
    if (line.trim() === '') inBlock = false;
    return inBlock ? line.replace(/^(\s*)#/, '$1') : line;
  });
  if (blocks !== 2) throw new Error(`expected 2 "${mark}" blocks in the nginx conf, found ${blocks}`);
  return out.join('\n');
}

/** The test-only main context around the site: everything nginx writes stays in `dir`. */
function mainConf(dir: string, sitePath: string): string {
  // As root, workers run as nginx's own unprivileged user (as on a real server), never as root.
  const user = isRoot ? `user ${NGINX_USER} ${NGINX_USER};\n` : '';
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `    ${kind}_temp_path ${dir}/${kind}_temp;`).join('\n');
  return `${user}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
    access_log ${dir}/access.log;
${temp}
    include ${sitePath};
}
`;
}

/** htpasswd lines in Apache's apr1 format; passwords go to openssl on stdin, never on a command line. */
function htpasswd(users: Readonly<Record<string, string>>): string {
  return Object.entries(users)
    .map(([name, password]) => `${name}:${execFileSync('openssl', ['passwd', '-apr1', '-stdin'], { input: password }).toString().trim()}\n`)
    .join('');
}

export function basicAuth(name: string, password: string): string {
  return `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
}

/** A port the OS just handed out on 127.0.0.1 (closed again, for nginx to bind). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface RunningNginx {
  readonly baseUrl: string;
  readonly dir: string;
  /** The master's pid, which is also the process group of master and workers. */
  readonly pid: number;
  errorLog(): string;
  stop(): Promise<void>;
}

const everyNginx = new Set<RunningNginx>();

/** Whether any process of the group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

interface NginxOptions {
  /** The hub and the front-proxy socket it listens on. */
  readonly hub: { readonly socketPath: string };
  /** Basic-auth accounts: name → password. */
  readonly users: Readonly<Record<string, string>>;
  /** Changes to the site conf after the doc's values are replaced (e.g. enableDataHeaders). */
  readonly edit?: (conf: string) => string;
}

/** nginx from the doc, in front of `hub`; ready when it answers HTTP. Retries if its port was taken. */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  return startNginxSite((dir, port) => {
    const htpasswdPath = path.join(dir, 'htpasswd');
    writeFileSync(htpasswdPath, htpasswd(options.users), { mode: 0o640 });
    if (isRoot) chownSync(htpasswdPath, 0, nginxGid());
    const site = siteConf(readFileSync(DOC_PATH, 'utf8'), { listenPort: port, htpasswdPath, hubSocket: options.hub.socketPath });
    return (options.edit ?? ((conf) => conf))(site);
  });
}

/** The group id of NGINX_USER. */
function nginxGid(): number {
  return Number(execFileSync('getent', ['group', NGINX_USER], { encoding: 'utf8' }).split(':')[2]);
}

/**
 * nginx with the site conf that `render(dir, port)` returns (`dir`: nginx's own directory, which its
 * workers may read; `port`: the one to listen on); ready when it answers HTTP. Retries if its port was taken.
 */
export async function startNginxSite(render: (dir: string, listenPort: number) => string): Promise<RunningNginx> {
  const dir = tempDir('gatehouse-nginx-');
  if (isRoot) {
    // The workers (NGINX_USER) read the password file and write temp files here; others get nothing.
    chownSync(dir, 0, nginxGid());
    chmodSync(dir, 0o750);
  }
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    writeFileSync(path.join(dir, 'gatehouse.conf'), render(dir, port));
    writeFileSync(path.join(dir, 'nginx.conf'), mainConf(dir, path.join(dir, 'gatehouse.conf')));
    const started = await launch(dir, port);
    if (started !== 'port-taken') return started;
    if (attempt === 3) throw new Error(`nginx could not bind a free port in ${attempt} attempts`);
  }
}

async function launch(dir: string, port: number): Promise<RunningNginx | 'port-taken'> {
  // Its own process group, so that master and workers can be checked (and, failing all, killed) together.
  const child = spawn(NGINX_BINARY, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid as number;
  const errorLogPath = path.join(dir, 'error.log');
  const errorLog = () => (existsSync(errorLogPath) ? readFileSync(errorLogPath, 'utf8') : '');
  const nginx: RunningNginx = {
    baseUrl: `http://127.0.0.1:${port}`,
    dir,
    pid,
    errorLog,
    stop: () => {
      everyNginx.delete(nginx);
      return stopNginx(child, exited);
    },
  };
  everyNginx.add(nginx);
  const ready = await waitFor('nginx to answer', async () => {
    if (child.exitCode !== null || child.signalCode !== null) return 'exited' as const;
    const answer = await send(`${nginx.baseUrl}/`, { method: 'HEAD' }).catch(() => undefined);
    return answer !== undefined && String(answer.headers['server']).startsWith('nginx') ? ('ready' as const) : undefined;
  });
  if (ready === 'ready') return nginx;
  everyNginx.delete(nginx);
  const why = `${stderr}\n${errorLog()}`;
  if (why.includes('Address already in use')) return 'port-taken';
  throw new Error(`nginx exited at start:\n${why}`);
}

async function stopNginx(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const pgid = child.pid as number;
  // SIGTERM is nginx's fast shutdown: the master stops its workers, waits for them, then exits.
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await exited;
  try {
    await waitFor(`nginx process group ${pgid} to be gone`, () => (groupAlive(pgid) ? undefined : true), 5_000);
  } catch (error) {
    process.kill(-pgid, 'SIGKILL');
    throw error;
  }
}

/** For afterAll: stops every nginx this file started and checks that none of their processes survive. */
export async function stopEveryNginx(): Promise<void> {
  const all = [...everyNginx];
  await Promise.all(all.map((nginx) => nginx.stop()));
  expect(all.filter((nginx) => groupAlive(nginx.pid)).map((nginx) => nginx.pid)).toEqual([]);
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

/** A browser signed in to nginx with basic auth (it sends the credentials with every request). */
export function browserVia(nginx: RunningNginx, name: string, password: string): BrowserLikeClient {
  const client = new BrowserLikeClient(nginx.baseUrl);
  client.defaultHeaders = { authorization: basicAuth(name, password) };
  return client;
}

/** Logs `name` in through nginx (automatic login at /hub/login); returns the browser with its session. */
export async function signIn(nginx: RunningNginx, name: string, password: string): Promise<BrowserLikeClient> {
  const browser = browserVia(nginx, name, password);
  const login = await browser.get('/hub/login');
  expect(login.status, login.body).toBe(302);
  expect(login.headers.get('location')).toBe('/hub/home');
  expect(startsSession(login.setCookies)).toBe(true);
  return browser;
}

/** The XSRF token a signed-in browser finds on its home page. */
export async function xsrfOf(browser: BrowserLikeClient): Promise<string> {
  const home = await browser.get('/hub/home');
  expect(home.status).toBe(200);
  return xsrfFromPage(home.body);
}

/** The pid of `name`'s running server, as the spawner recorded it. */
function serverPid(hub: TestHub, name: string): number {
  const user = hub.services.users.get(name);
  const pid = user === undefined ? undefined : hub.services.serverRepository.get(user.id)?.handle?.state['pid'];
  if (typeof pid !== 'number') throw new Error(`no server pid recorded for ${name}`);
  return pid;
}

/**
 * Starts `name`'s server through nginx (REST API + XSRF, then the progress stream to its end),
 * runs `use`, and stops it again, waiting until the server process is gone.
 */
export async function withServer(hub: TestHub, browser: BrowserLikeClient, name: string, use: (pid: number) => Promise<void>): Promise<void> {
  const xsrf = await xsrfOf(browser);
  const start = await browser.request('POST', `/hub/api/users/${name}/server`, { headers: { 'x-xsrftoken': xsrf } });
  expect(start.status, start.body).toBe(202);
  const progress = await browser.get(`/hub/api/users/${name}/server/progress`);
  expect(progress.status).toBe(200);
  expect(progress.body).toContain('"ready":true');
  const pid = serverPid(hub, name);
  try {
    await use(pid);
  } finally {
    const stop = await browser.request('DELETE', `/hub/api/users/${name}/server`, { headers: { 'x-xsrftoken': xsrf } });
    expect(stop.status).toBe(204);
    await waitFor(`${name}'s server (pid ${pid}) to exit`, () => !isRunning(pid));
  }
  expect((await browser.get(`/hub/api/users/${name}`)).json<{ servers: object }>().servers).toEqual({});
}

export type HeaderLine = readonly [string, string];

export interface SentResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly setCookies: string[];
  readonly body: string;
}

/**
 * One HTTP/1.1 request with header lines exactly as given (case, underscores, repeats), from
 * `localAddress` when set. Connection: close, so no socket outlives the test.
 */
export function send(
  url: string,
  options: { method?: string; headers?: readonly HeaderLine[]; localAddress?: string; socketPath?: string; body?: string } = {},
): Promise<SentResponse> {
  const target = new URL(url);
  const lines: HeaderLine[] = [['Host', target.host], ['Connection', 'close'], ...(options.headers ?? [])];
  if (options.body !== undefined) lines.push(['Content-Length', String(Buffer.byteLength(options.body))]);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers: lines.flat(),
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
        ...(options.socketPath === undefined ? {} : { socketPath: options.socketPath }),
        timeout: 15_000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, setCookies: response.headers['set-cookie'] ?? [], body }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url}`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Whether Set-Cookie lines start a hub session (a non-empty gatehouse-session). */
export function startsSession(setCookies: readonly string[]): boolean {
  return setCookies.some((line) => line.startsWith(`${SESSION_COOKIE}=`) && !line.startsWith(`${SESSION_COOKIE}=;`));
}

/** Cookie header echoing back what the hub set (as an attacker's script would). */
export function cookiesFrom(setCookies: readonly string[]): string {
  return setCookies.map((line) => line.split(';')[0] as string).join('; ');
}

/** The demo app's WebSocket greeting: who it thinks the user is and the headers it received. */
interface DemoHello {
  readonly user: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** Opens a WebSocket through `url`, returns the demo app's first message, closes the socket. */
export function demoHello(url: string, headers: Record<string, string>): Promise<DemoHello> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, handshakeTimeout: 10_000 });
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      reject(new Error(`WebSocket refused with ${response.statusCode}`));
    });
    socket.once('message', (data) => {
      socket.close();
      resolve(JSON.parse(data.toString()) as DemoHello);
    });
    socket.once('error', reject);
  });
}

/** Header names compare case-insensitively and with `_` equal to `-`, as CGI-style servers see them. */
export function sameHeader(a: string, b: string): boolean {
  const canonical = (name: string) => name.toLowerCase().replaceAll('_', '-');
  return canonical(a) === canonical(b);
}
