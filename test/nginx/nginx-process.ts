import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'vitest';
import { waitFor } from '../support/processes.ts';
import { tempDir } from '../support/temp.ts';
import { nginxGid, RUNS_AS_ROOT } from './nginx-account.ts';
import { htpasswd, mainConf, siteConf } from './nginx-conf.ts';
import { send } from './wire.ts';

/**
 * Starting and stopping a real nginx (its own directory, its own process group). Every nginx started
 * here is stopped by stopEveryNginx(), which checks that none of its processes survive.
 */

const NGINX_BINARY = '/usr/sbin/nginx';

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

export interface NginxOptions {
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
    if (RUNS_AS_ROOT) chownSync(htpasswdPath, 0, nginxGid());
    const site = siteConf({ listenPort: port, htpasswdPath, hubSocket: options.hub.socketPath });
    return (options.edit ?? ((conf) => conf))(site);
  });
}

/**
 * nginx with the site conf that `render(dir, port)` returns (`dir`: nginx's own directory, which its
 * workers may read; `port`: the one to listen on); ready when it answers HTTP. Retries if its port was taken.
 */
export async function startNginxSite(render: (dir: string, listenPort: number) => string): Promise<RunningNginx> {
  const dir = tempDir('gatehouse-nginx-');
  if (RUNS_AS_ROOT) {
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
