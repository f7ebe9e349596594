import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DummyAuthenticator } from '@gatehouse/authenticators';
import { loadConfig, validateConfig, GatehouseError } from '@gatehouse/hub';
import { LocalProcessSpawner } from '@gatehouse/spawner';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');

afterAll(cleanupTempDirs);

const plugins = () => ({ authenticator: new DummyAuthenticator(), spawner: new LocalProcessSpawner() });

function problemsOf(input: unknown): string[] {
  try {
    validateConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(GatehouseError);
    expect((error as GatehouseError).code).toBe('GATEHOUSE_ERR_CONFIG_INVALID');
    return (error as GatehouseError).details['problems'] as string[];
  }
  throw new Error('expected the config to be rejected');
}

describe('config validation', () => {
  it('accepts a minimal config and fills documented defaults, frozen', () => {
    const config = validateConfig(plugins());
    expect(config.ip).toBe('127.0.0.1');
    expect(config.port).toBe(8000);
    expect(config.session).toEqual({ idleTimeout: 86400, maxAge: 1209600 });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.frontProxy)).toBe(true);
    expect(config.frontProxy).toEqual({});
  });

  it('names the full key path of an invalid value', () => {
    expect(problemsOf({ ...plugins(), port: 'eight thousand' })[0]).toMatch(/^port: /);
    expect(problemsOf({ ...plugins(), port: 70000 })).toEqual(['port: expected 0–65535']);
    expect(problemsOf({ ...plugins(), session: { idleTimeout: -1 } })[0]).toMatch(/^session\.idleTimeout: expected a positive number/);
    expect(problemsOf({ ...plugins(), frontProxy: { secret: { file: '/etc/s', addresses: ['10.0.0.5/32', '10.0.0.0/99'] } } })).toEqual([
      'frontProxy.secret.addresses.1: expected a CIDR such as 10.0.0.5/32',
    ]);
    expect(problemsOf({ ...plugins(), ip: 'not-an-ip' })).toEqual(['ip: expected an IP address such as 127.0.0.1']);
  });

  it('treats unknown keys as errors, at any depth', () => {
    expect(problemsOf({ ...plugins(), prot: 8000 })).toEqual(['prot: unknown key; did you mean `port`?']);
    expect(problemsOf({ ...plugins(), session: { idleTimeout: 5, maxAgeSeconds: 10 } })).toEqual(['session.maxAgeSeconds: unknown key; did you mean `maxAge`?']);
  });

  it('requires the plugins and says what they must be', () => {
    const problems = problemsOf({});
    expect(problems).toContain('authenticator: is required');
    expect(problems).toContain('spawner: is required');
    expect(problemsOf({ ...plugins(), authenticator: { kind: 'fake' } })[0]).toMatch(/^authenticator: expected an authenticator instance/);
  });

  it('words every problem the same way, never in zod\'s voice', () => {
    const problems = problemsOf({ ...plugins(), port: 'eight thousand', usernameMaxLength: 0, cookieSecure: 'yes', logLevel: 'loud', adminUsers: 'root', session: { idleTimeout: 'x' } });
    expect(problems).toEqual([
      'port: expected a number, got "eight thousand"',
      'adminUsers: expected a list [ … ], got "root"',
      'usernameMaxLength: expected at least 1, got 0',
      'session.idleTimeout: expected a number, got "x"',
      'cookieSecure: expected "auto" or true or false, got "yes"',
      'logLevel: expected "trace", "debug", "info", "warn", "error" or "fatal", got "loud"',
    ]);
    for (const problem of problems) expect(problem).not.toMatch(/Invalid|Too small|received/);
  });

  it('suggests the key that was meant, and lists only the keys a person may set', () => {
    expect(problemsOf({ ...plugins(), adminUser: ['root'] })).toEqual(['adminUser: unknown key; did you mean `adminUsers`?']);
    expect(problemsOf({ ...plugins(), session: { maxage: 10 } })).toEqual(['session.maxage: unknown key; did you mean `maxAge`?']);
    const [far] = problemsOf({ ...plugins(), zebra: 1 });
    expect(far).toMatch(/^zebra: unknown key \(known keys: ip, port, .*logLevel\)$/);
    expect(far).not.toContain('trustedProxies');
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ ...plugins(), port: -1, logLevel: 'loud', extra: true })).toHaveLength(3);
  });

  it('rejects an idle timeout longer than the absolute maximum', () => {
    expect(problemsOf({ ...plugins(), session: { idleTimeout: 100, maxAge: 10 } })).toEqual(['session.idleTimeout: must not exceed session.maxAge']);
  });
});

describe('config files', () => {
  it('loads a hub.config.ts from anywhere on disk, and flags override it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'hub.config.ts');
    writeFileSync(
      file,
      `import { defineConfig } from '@gatehouse/hub';
       import { DummyAuthenticator } from '@gatehouse/authenticators';
       import { LocalProcessSpawner } from '@gatehouse/spawner';
       export default defineConfig({ port: 9999, adminUsers: ['root'], authenticator: new DummyAuthenticator(), spawner: new LocalProcessSpawner() });`,
    );
    const config = await loadConfig(file, { port: 1234 });
    expect(config.port).toBe(1234);
    expect(config.adminUsers).toEqual(['root']);
  });

  it('names the plugin option key when a plugin rejects its options', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'hub.config.ts');
    writeFileSync(
      file,
      `import { defineConfig } from '@gatehouse/hub';
       import { DummyAuthenticator } from '@gatehouse/authenticators';
       import { LocalProcessSpawner } from '@gatehouse/spawner';
       export default defineConfig({ authenticator: new DummyAuthenticator(), spawner: new LocalProcessSpawner({ portRange: [5, 1] as [number, number] }) });`,
    );
    await expect(loadConfig(file)).rejects.toThrow(/spawner\.portRange: /);
  });
});

describe('config file mistakes', () => {
  const write = (body: string) => {
    const file = path.join(tempDir(), 'hub.config.ts');
    writeFileSync(file, `import { defineConfig } from '@gatehouse/hub';\nimport { LocalAuthenticator } from '@gatehouse/authenticators';\n${body}\n`);
    return file;
  };

  it('suggests the plugin option that was meant, and never offers internal ones', async () => {
    await expect(loadConfig(write(`export default defineConfig({ authenticator: new LocalAuthenticator({ sigup: 'open' } as never), spawner: undefined as never });`))).rejects.toThrow(
      /^invalid configuration in .*:\n  authenticator\.sigup: unknown key; did you mean `signup`\?$/,
    );
    const far = loadConfig(write(`export default defineConfig({ authenticator: new LocalAuthenticator({ zebra: 1 } as never), spawner: undefined as never });`));
    await expect(far).rejects.toThrow(/authenticator\.zebra: unknown key \(known keys: minPasswordLength, signup, throttle, accounts\)$/);
  });
});

describe('config types', () => {
  it('a wrong key fails to type-check, naming the key; a right one compiles', async () => {
    const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
    const common = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--allowImportingTsExtensions', '--skipLibCheck', '--types', 'node'];
    const bad = run(process.execPath, [tsc, ...common, path.join(repoRoot, 'test/fixtures/type-errors/unknown-key.config.ts')], { cwd: path.join(repoRoot, 'test') });
    await expect(bad).rejects.toMatchObject({ stdout: expect.stringMatching(/'prot' does not exist in type/) });
    await run(process.execPath, [tsc, ...common, path.join(repoRoot, 'test/fixtures/type-ok/valid.config.ts')], { cwd: path.join(repoRoot, 'test') });
  }, 120_000);
});
