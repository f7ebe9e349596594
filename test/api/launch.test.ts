import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '@gatehouse/hub';
import { runCli, startCliHub, type CliHub } from '../support/cli.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';
import { allCommandLines, api, environmentOf, waitFor, fakeBrowserRun, modeOf, openLink, runCliExpectingExit, sessionUser, stopFakeBrowser, writeFakeBrowser, writeHubConfig } from './helpers.ts';

/**
 * `gatehouse start --open`, GATEHOUSE_TOKEN and `gatehouse list`, on a real hub process: the
 * secrets reach the owner through 0600 files only, never through a command line.
 */

const FORCED_TOKEN = randomBytes(24).toString('hex');

let dir: string;
let config: string;
let dataDir: string;
let runtimeDir: string;
let opened: string;
let hub: CliHub | undefined;

/** The URL inside the redirect file the browser was given. */
function launchUrl(record = opened): string {
  const file = fakeBrowserRun(record).args[0] as string;
  const url = /content="0;url=([^"]+)"/.exec(readFileSync(file, 'utf8'))?.[1]?.replaceAll('&amp;', '&');
  expect(url).toBeDefined();
  return url as string;
}

/** A process's parent pid, from /proc (undefined once it is gone). */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

const tokenOf = (url: string) => new URL(url).searchParams.get('token') ?? '';

function runtimeFile(): string {
  const names = readdirSync(runtimeDir);
  expect(names).toEqual([`hub-${hub?.process.pid}.json`]);
  return path.join(runtimeDir, names[0] as string);
}

beforeAll(async () => {
  dir = tempDir('gatehouse-launch-');
  config = writeHubConfig(dir, 'new DummyAuthenticator()');
  dataDir = path.join(dir, 'data');
  runtimeDir = path.join(dir, 'runtime');
  opened = path.join(dir, 'opened.txt');
  const added = await runCli(['useradd', 'admin', '--admin', '--config', config, '--data-dir', dataDir]);
  expect(added.code, added.stderr).toBe(0);
  hub = await startCliHub(['--config', config, '--data-dir', dataDir, '--port', '0', '--open'], {
    env: { BROWSER: writeFakeBrowser(opened), GATEHOUSE_RUNTIME_DIR: runtimeDir, GATEHOUSE_TOKEN: FORCED_TOKEN },
  });
  await waitFor('the browser to be started', () => existsSync(opened));
});

afterAll(async () => {
  if (hub !== undefined) await hub.stop();
  for (const record of [opened, path.join(dir, 'fresh-opened.txt')]) stopFakeBrowser(record);
  cleanupTempDirs();
});

describe('gatehouse start --open', () => {
  it('gives the browser only the path of a 0600 redirect file inside the data dir', async () => {
    const { args } = fakeBrowserRun(opened);
    expect(args).toHaveLength(1);
    const file = args[0] as string;
    expect(path.dirname(file)).toBe(realpathSync(dataDir));
    expect(modeOf(file)).toBe(0o600);
    expect(launchUrl()).toMatch(new RegExp(`^${hub?.url}hub/login\\?token=gh_[A-Za-z0-9_-]{43}$`));
    // "Opened" once the opener has had its chance to fail (a browser that stays open counts as opened).
    await waitFor('the hub to say it opened the browser', () => hub?.output().includes(`Opened ${file}`));
  });

  it('never puts a token on any command line, nor in its own output', async () => {
    const listed = await runCli(['list'], { env: { GATEHOUSE_RUNTIME_DIR: runtimeDir } });
    const listToken = tokenOf(/(http:\S+\/hub\/login\?token=\S+)/.exec(listed.stdout)?.[1] ?? 'http://x/');
    const secrets = [tokenOf(launchUrl()), FORCED_TOKEN, listToken];
    for (const secret of secrets) expect(secret.length).toBeGreaterThanOrEqual(32);
    const lines = allCommandLines();
    // The scan sees the hub and the (still running) browser with the file it was given.
    expect(lines.get(hub?.process.pid as number)).toContain('--open');
    const browser = fakeBrowserRun(opened);
    expect(lines.get(browser.pid)).toContain(browser.args[0]);
    for (const [pid, line] of lines) for (const secret of secrets) expect(line.includes(secret), `pid ${pid}: ${line}`).toBe(false);
    for (const secret of secrets) expect(hub?.output()).not.toContain(secret);
  });

  it('logs the owner in exactly once', async () => {
    const url = launchUrl();
    const first = await openLink(url);
    expect(first.response.status).toBe(302);
    expect(first.response.headers.get('location')).not.toContain('token');
    expect(await sessionUser(first.client)).toBe('admin');
    const second = await openLink(url);
    expect(second.client.cookie('gatehouse-session')).toBeUndefined();
    expect(await sessionUser(second.client)).toBeUndefined();
    // The reused link lands on the login page without the dead token in the address bar, saying why.
    expect(second.response.status).toBe(302);
    expect(second.response.headers.get('location')).toBe('/hub/login?link=expired');
    const login = await second.client.get('/hub/login?link=expired');
    expect(login.body).toContain('That sign-in link was used already or has expired. Sign in below.');
  });
});

describe('GATEHOUSE_TOKEN', () => {
  it("is an API token of the owner, announced with a warning that does not show it", async () => {
    const self = await api((hub?.url ?? '').replace(/\/$/, ''), 'GET', '/user', { token: FORCED_TOKEN });
    expect(self.status, self.text).toBe(200);
    expect(self.json()).toMatchObject({ name: 'admin', admin: true });
    expect(hub?.output()).toMatch(/GATEHOUSE_TOKEN is set/);
  });

  it("never reaches a user's server, whose environment is the hub's JUPYTERHUB_* only", async () => {
    const base = (hub?.url ?? '').replace(/\/$/, '');
    expect((await api(base, 'POST', '/users/admin/server', { token: FORCED_TOKEN })).status).toBe(202);
    try {
      await waitFor("admin's server to be ready", async () => (await api(base, 'GET', '/users/admin', { token: FORCED_TOKEN })).json()['server'] !== null);
      // Servers are forked by the hub's process launcher (packages/spawner/src/process-launcher.ts).
      const commandLines = allCommandLines();
      const launcher = [...commandLines].find(([pid, line]) => parentOf(pid) === hub?.process.pid && line.includes('process-launcher-child.mjs'))?.[0];
      expect(launcher).toBeDefined();
      const server = [...commandLines.keys()].find((pid) => parentOf(pid) === launcher && environmentOf(pid, 'JUPYTERHUB_USER') === 'admin');
      expect(server).toBeDefined();
      // Neither the server nor the launcher between it and the hub holds the hub's secrets.
      for (const pid of [server, launcher]) {
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
        expect(environ).not.toContain(FORCED_TOKEN);
        expect(environ).not.toContain('GATEHOUSE_TOKEN');
        expect(environ).not.toContain('GATEHOUSE_RUNTIME_DIR');
      }
    } finally {
      expect((await api(base, 'DELETE', '/users/admin/server', { token: FORCED_TOKEN })).status).toBe(204);
    }
  });

  it('shorter than 32 characters stops the hub with a one-line reason', async () => {
    const short = 'too-short-secret-31-characters!';
    expect(short).toHaveLength(31);
    const result = await runCliExpectingExit(['start', '--config', config, '--data-dir', path.join(dir, 'short'), '--port', '0'], {
      GATEHOUSE_TOKEN: short,
      GATEHOUSE_RUNTIME_DIR: path.join(dir, 'short-runtime'),
    });
    expect(result.code).toBe(1);
    // Structured log lines (JSON) may come first; the reason is one plain line.
    const reason = result.stderr.trim().split('\n').filter((line) => !line.startsWith('{'));
    expect(reason, result.stderr).toHaveLength(1);
    expect(reason[0]).toMatch(/^gatehouse: .*GATEHOUSE_TOKEN.*32/);
    expect(result.stdout).not.toMatch(/Gatehouse is running/);
    expect(`${result.stdout}${result.stderr}`).not.toContain(short);
  });
});

describe('gatehouse list', () => {
  it('shows the URL, data dir, pid and a working login URL for the owner, from a 0600 file', async () => {
    const listed = await runCli(['list'], { env: { GATEHOUSE_RUNTIME_DIR: runtimeDir } });
    expect(listed.code).toBe(0);
    const row = listed.stdout.split('\n').find((line) => line.startsWith(hub?.url ?? '-'))?.split('\t');
    expect(row?.slice(0, 3)).toEqual([hub?.url, path.resolve(dataDir), String(hub?.process.pid)]);
    expect(row?.[3]).toMatch(new RegExp(`^${hub?.url}hub/login\\?token=`));
    expect(modeOf(runtimeFile())).toBe(0o600);
    expect(modeOf(runtimeDir)).toBe(0o700);
    for (let use = 0; use < 2; use += 1) {
      const { client } = await openLink(row?.[3] as string);
      expect(await sessionUser(client)).toBe('admin');
    }
  });

  it('forgets the hub and revokes its login token when the hub stops', async () => {
    const loginToken = tokenOf(JSON.parse(readFileSync(runtimeFile(), 'utf8')).loginUrl as string);
    expect(await hub?.stop()).toBe(0);
    hub = undefined;
    expect(readdirSync(runtimeDir)).toEqual([]);
    const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
    try {
      const row = db.prepare('SELECT id FROM tokens WHERE hash = ?').get(createHash('sha256').update(loginToken).digest('base64url'));
      expect(row).toBeUndefined();
    } finally {
      db.close();
    }
  });
});

describe('gatehouse start --open on a fresh data dir', () => {
  it('logs in the configured admin (dummy authenticator, no user yet)', async () => {
    const fresh = path.join(dir, 'fresh');
    const record = path.join(dir, 'fresh-opened.txt');
    const started = await startCliHub(['--config', config, '--data-dir', fresh, '--port', '0', '--open'], {
      env: { BROWSER: writeFakeBrowser(record), GATEHOUSE_RUNTIME_DIR: path.join(dir, 'fresh-runtime') },
    });
    try {
      await waitFor('the browser to be started', () => existsSync(record));
      const target = launchUrl(record);
      const { client } = await openLink(target);
      expect(target).toMatch(/[?&]token=/);
      expect(await sessionUser(client)).toBe('admin');
    } finally {
      await started.stop();
    }
  });
});
