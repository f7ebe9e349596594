import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loginWithForm } from '../support/login.ts';
import { REPO_ROOT, runCli, startCliHub } from '../support/cli.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

afterAll(cleanupTempDirs);

const COMMANDS = ['start', 'users', 'list', 'useradd', 'passwd', 'userdel', 'token', 'hash-password'];
const DUMMY_CONFIG = path.join(REPO_ROOT, 'config/examples/dummy.config.ts');

describe('gatehouse CLI', () => {
  it('documents every command in --help', async () => {
    const main = await runCli(['--help']);
    expect(main.code).toBe(0);
    for (const command of COMMANDS) expect(main.stdout).toMatch(new RegExp(`^  ${command}\\s`, 'm'));
    const helps = await Promise.all(COMMANDS.map((command) => runCli([command, '--help'])));
    helps.forEach((help, i) => {
      const command = COMMANDS[i] as string;
      expect(help.code, command).toBe(0);
      expect(help.stdout).toContain(`gatehouse ${command}`);
      expect(help.stdout).toContain('--config FILE');
      expect(help.stdout).toContain('--data-dir DIR');
    });
  }, 180_000);

  it('exits non-zero with a one-line reason on bad input', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['start', '--port', 'eighty'], /--port: expected an integer/],
      [['start', '--bogus'], /unknown option --bogus/],
      [['users', 'extra'], /unexpected argument: extra/],
      [['start', '--config', '/nonexistent/hub.config.ts'], /config file not found/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    for (const [i, [args, reason]] of cases.entries()) {
      const result = results[i] as Awaited<ReturnType<typeof runCli>>;
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr).toMatch(reason);
    }
  }, 180_000);

  it('starts a hub, lists it from a 0600 runtime file, lists its users, and cleans up on SIGTERM', async () => {
    const runtimeDir = path.join(tempDir(), 'runtime');
    const dataDir = path.join(tempDir(), 'data');
    const env = { GATEHOUSE_RUNTIME_DIR: runtimeDir };
    const hub = await startCliHub(['--config', DUMMY_CONFIG, '--data-dir', dataDir, '--port', '0'], { env });
    try {
      expect(hub.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const files = readdirSync(runtimeDir);
      expect(files).toEqual([`hub-${hub.process.pid}.json`]);
      expect(statSync(path.join(runtimeDir, files[0] as string)).mode & 0o777).toBe(0o600);

      const listed = await runCli(['list'], { env });
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain(hub.url);
      expect(listed.stdout).toContain(dataDir);
      expect(listed.stdout).toContain(String(hub.process.pid));

      await loginWithForm(hub.url, 'Alice');
      const users = await runCli(['users', '--config', DUMMY_CONFIG, '--data-dir', dataDir], { env });
      expect(users.code).toBe(0);
      expect(users.stdout).toMatch(/^alice\tno\t/m);
    } finally {
      expect(await hub.stop()).toBe(0);
    }
    expect(existsSync(path.join(runtimeDir, `hub-${hub.process.pid}.json`))).toBe(false);
    expect((await runCli(['list'], { env })).stdout).toContain('No running hubs.');
  });

  it('drops runtime files of hubs that died without cleaning up', async () => {
    const runtimeDir = path.join(tempDir(), 'runtime');
    const env = { GATEHOUSE_RUNTIME_DIR: runtimeDir };
    const hub = await startCliHub(['--data-dir', path.join(tempDir(), 'data'), '--port', '0'], { env });
    await hub.stop('SIGKILL');
    expect(readdirSync(runtimeDir)).toHaveLength(1);
    expect((await runCli(['list'], { env })).stdout).toContain('No running hubs.');
    expect(readdirSync(runtimeDir)).toHaveLength(0);
  });

  it('shows file, line, column, the message and the line of a syntax error in the config', async () => {
    const file = path.join(tempDir(), 'hub.config.ts');
    writeFileSync(file, `import { defineConfig } from '@gatehouse/hub';\nexport default defineConfig({\n  port: 8000,,\n});\n`);
    const result = await runCli(['start', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`gatehouse: could not load ${file}:\n  ${file}:3:14: Expected identifier but found ","\n    3 |   port: 8000,,\n      |              ^\n`);
  });

  it('stops with the key path when the config is invalid, one problem per line', async () => {
    const result = await runCli(['start', '--ip', 'nowhere', '--data-dir', tempDir()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`gatehouse: invalid configuration in ${path.join(REPO_ROOT, 'config/hub.config.ts')}:\n  ip: expected an IP address such as 127.0.0.1\n`);
  });
});
