import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '@gatehouse/hub';
import { REPO_ROOT, runCli, startCliHub } from '../support/cli.ts';
import { loginWithForm } from '../support/login.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

/** What a person sees in their first minutes with `gatehouse`: the banner, Ctrl-C, times, usage mistakes. */

afterAll(cleanupTempDirs);

const DUMMY_CONFIG = path.join(REPO_ROOT, 'config/examples/dummy.config.ts');

function remoteUserConfig(): string {
  const dir = tempDir();
  const file = path.join(dir, 'hub.config.ts');
  writeFileSync(
    file,
    `import { defineConfig } from '@gatehouse/hub';
import { RemoteUserAuthenticator } from '@gatehouse/authenticators';
import { DemoAppSpawner } from '@gatehouse/spawner';
export default defineConfig({
  frontProxy: { socket: { path: ${JSON.stringify(path.join(dir, 'proxy.sock'))}, mode: 0o660 } },
  authenticator: new RemoteUserAuthenticator(),
  spawner: new DemoAppSpawner(),
});
`,
  );
  return file;
}

describe('gatehouse start, as a person meets it', () => {
  it('says in words how people sign in and what their servers are, and what Ctrl-C will do', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const hub = await startCliHub(['--config', DUMMY_CONFIG, '--data-dir', dataDir, '--port', '0'], { env: { GATEHOUSE_RUNTIME_DIR: tempDir() } });
    let output = '';
    try {
      await expect.poll(() => hub.output()).toMatch(/Press Ctrl-C/);
      output = hub.output();
    } finally {
      expect(await hub.stop('SIGINT')).toBe(0);
    }
    expect(output).toContain('  Sign-in:      the dummy authenticator: any name');
    expect(output).toMatch(/^ {2}User servers: \S/m);
    expect(output).toContain(`  Data:         ${dataDir}`);
    expect(output).toContain(`Sign in at ${hub.url}hub/login`);
    expect(output).toContain('Press Ctrl-C to stop the hub; user servers keep running and the next start re-attaches to them.');
    // Piped, the log stays JSON, on stderr: never mixed into the banner's lines on stdout.
    expect(output).not.toMatch(/^\{.*\}$\n {2}Sign-in/m);
    expect(hub.output()).toMatch(/^Gatehouse stopped\.$/m);
  });

  it('prints no sign-in URL for a header authenticator, where the address alone signs nobody in', async () => {
    const hub = await startCliHub(['--config', remoteUserConfig(), '--data-dir', path.join(tempDir(), 'data'), '--port', '0'], { env: { GATEHOUSE_RUNTIME_DIR: tempDir() } });
    try {
      await expect.poll(() => hub.output()).toMatch(/Press Ctrl-C/);
      expect(hub.output()).toContain("  Sign-in:      the front proxy's Remote-User header (anyone it names)");
      expect(hub.output()).toContain('  User servers: the bundled demo app');
      expect(hub.output()).not.toContain('Sign in at');
      expect(hub.output()).toContain('People sign in through the front proxy');
    } finally {
      await hub.stop();
    }
  });

  it('writes the log as readable lines at a terminal', async () => {
    const { humanLogLine } = await import('../../packages/hub/src/log-human.ts');
    const line = humanLogLine(JSON.stringify({ level: 40, time: '2026-12-01T10:05:01.000Z', app: 'gatehouse', username: 'ann', port: 20001, msg: 'server exited; route removed' }));
    expect(line).toMatch(/^\d\d:\d\d:\d\d WARN {2}server exited; route removed {2}username=ann {2}port=20001$/);
    expect(humanLogLine('not json')).toBe('not json');
  });

  it('removes the --open redirect file when it stops, and says so when no browser could start', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const hub = await startCliHub(['--config', DUMMY_CONFIG, '--data-dir', dataDir, '--port', '0', '--open'], {
      env: { BROWSER: '/bin/false', GATEHOUSE_RUNTIME_DIR: tempDir() },
    });
    try {
      await expect.poll(() => hub.output(), { timeout: 10_000 }).toMatch(/No browser could be started here; open (\S+open-\d+\.html) in one/);
      expect(hub.output()).not.toContain('Opened');
      expect(readdirSync(dataDir).filter((name) => name.startsWith('open-'))).toHaveLength(1);
    } finally {
      await hub.stop();
    }
    expect(readdirSync(dataDir).filter((name) => name.startsWith('open-'))).toEqual([]);
    expect(existsSync(path.join(dataDir, `open-${hub.process.pid}.html`))).toBe(false);
  });
});

describe('gatehouse commands, as a person meets them', () => {
  it('lists users with readable local times', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const hub = await startCliHub(['--config', DUMMY_CONFIG, '--data-dir', dataDir, '--port', '0'], { env: { GATEHOUSE_RUNTIME_DIR: tempDir() } });
    try {
      await loginWithForm(hub.url, 'alice');
    } finally {
      await hub.stop();
    }
    // Activity is written in batches; set it as the hub would have, three minutes ago.
    const db = new Database(path.join(dataDir, DATABASE_FILE));
    db.prepare('UPDATE users SET last_activity = ? WHERE name = ?').run(Date.now() - 3 * 60_000, 'alice');
    db.close();
    const users = await runCli(['users', '--config', DUMMY_CONFIG, '--data-dir', dataDir]);
    expect(users.code).toBe(0);
    expect(users.stdout).toMatch(/^alice\tno\t-\t\d{4}-\d\d-\d\d \d\d:\d\d \(3 min ago\)$/m);
    expect(users.stdout).toMatch(/^admin\tyes\t-\tnever$/m);
    expect(users.stdout).not.toMatch(/T\d\d:\d\d:\d\d/);
  });

  it('says what is wrong with a usage mistake in its own words', async () => {
    const cases: Array<[string[], string]> = [
      [['token', 'alice', '--expires-in', '-5'], 'gatehouse: --expires-in: expected an integer from 1 to 315360000, got "-5"'],
      [['start', '--prot', '80'], 'gatehouse: unknown option --prot; did you mean --port? (run gatehouse start --help)'],
      [['users', '--bogus'], 'gatehouse: unknown option --bogus (run gatehouse users --help)'],
      [['start', '--port'], 'gatehouse: --port needs a value (run gatehouse start --help)'],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((result, i) => {
      const [args, message] = cases[i] as [string[], string];
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toBe(`${message}\n`);
    });
  }, 120_000);
});

describe('accounts declared in the config', () => {
  const PASSWORD = 'copper kettle 1987';

  function localConfig(accounts: string): string {
    const file = path.join(tempDir(), 'hub.config.ts');
    writeFileSync(
      file,
      `import { defineConfig } from '@gatehouse/hub';
import { LocalAuthenticator } from '@gatehouse/authenticators';
import { DemoAppSpawner } from '@gatehouse/spawner';
export default defineConfig({ adminUsers: ['carol'], authenticator: new LocalAuthenticator({ accounts: ${accounts} }), spawner: new DemoAppSpawner() });
`,
    );
    return file;
  }

  it('signs in with a hash from gatehouse hash-password, and the config wins at every start', async () => {
    const hashed = await runCli(['hash-password', '--password-stdin'], { input: `${PASSWORD}\n` });
    expect(hashed.code, hashed.stderr).toBe(0);
    const hash = hashed.stdout.trim();
    expect(hash).toMatch(/^\$argon2id\$/);
    const config = localConfig(`{ carol: ${JSON.stringify(hash)} }`);
    const dataDir = path.join(tempDir(), 'data');
    const env = { GATEHOUSE_RUNTIME_DIR: tempDir() };
    const hub = await startCliHub(['--config', config, '--data-dir', dataDir, '--port', '0'], { env });
    try {
      // The declared admin can sign in at once: no first-admin setup link.
      expect(hub.output()).not.toContain('one-time link');
      await loginWithForm(hub.url, 'carol', PASSWORD);
    } finally {
      await hub.stop();
    }
    const changed = await runCli(['passwd', 'carol', '--password-stdin', '--config', config, '--data-dir', dataDir], { input: 'another long password\n' });
    expect(changed.code, changed.stderr).toBe(0);
    const again = await startCliHub(['--config', config, '--data-dir', dataDir, '--port', '0'], { env });
    try {
      await loginWithForm(again.url, 'carol', PASSWORD);
    } finally {
      await again.stop();
    }
  });

  it('refuses a value that is not an argon2id hash, naming the account', async () => {
    const result = await runCli(['start', '--config', localConfig(`{ carol: 'hunter2' }`), '--data-dir', tempDir()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('authenticator.accounts.carol: expected an argon2id hash as printed by `gatehouse hash-password`');
  });
});
