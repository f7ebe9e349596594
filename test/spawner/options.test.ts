import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  LocalProcessSpawner,
  PluginOptionsError,
  demoAppPath,
  isSpawner,
  type LocalProcessSpawnerOptions,
} from '@gatehouse/spawner';

/** Builds with options that TypeScript would reject, as a JavaScript config file could pass them. */
function construct(options: unknown): LocalProcessSpawner {
  return new LocalProcessSpawner(options as LocalProcessSpawnerOptions);
}

function optionsError(options: unknown): PluginOptionsError {
  try {
    construct(options);
  } catch (error) {
    expect(error).toBeInstanceOf(PluginOptionsError);
    return error as PluginOptionsError;
  }
  throw new Error(`options were accepted: ${JSON.stringify(options)}`);
}

describe('LocalProcessSpawner options', () => {
  it('has documented defaults and is recognised as a Spawner', () => {
    const spawner = new LocalProcessSpawner();
    expect(spawner.kind).toBe('local-process');
    expect(spawner.startTimeout).toBe(60);
    expect(isSpawner(spawner)).toBe(true);
    expect(isSpawner({ kind: 'x', startTimeout: 1 })).toBe(false);
    expect(isSpawner(null)).toBe(false);
  });

  it('accepts every option with valid values', () => {
    const spawner = new LocalProcessSpawner({
      command: ['/usr/bin/jupyterhub-singleuser'],
      args: ['--allow-root'],
      env: { JUPYTERHUB_SINGLEUSER_APP: 'notebook.notebookapp.NotebookApp', LANG: 'C.UTF-8' },
      cwd: '/tmp',
      portRange: [1024, 65535],
      httpTimeout: 0.5,
      startTimeout: 120,
      stopGracePeriod: 10,
      credential: 'none',
      systemUsers: true,
    });
    expect(spawner.startTimeout).toBe(120);
  });

  it('exports the absolute path of the bundled demo app', () => {
    expect(path.isAbsolute(demoAppPath)).toBe(true);
    expect(demoAppPath.endsWith('demo-app.mjs')).toBe(true);
    expect(existsSync(demoAppPath)).toBe(true);
  });

  const cases: Array<[string, unknown, string, string | RegExp]> = [
    ['an unknown key', { portRnage: [1, 2] }, 'spawner.portRnage', /unknown key \(known keys: command, args, env/],
    ['options that are not an object', 'fast', 'spawner', 'expected an options object'],
    ['a reversed port range', { portRange: [3000, 2000] }, 'spawner.portRange', 'expected [min, max] with 1024 <= min <= max <= 65535'],
    ['a privileged port', { portRange: [80, 2000] }, 'spawner.portRange', 'expected [min, max] with 1024 <= min <= max <= 65535'],
    ['a port above 65535', { portRange: [2000, 70000] }, 'spawner.portRange', '1024 <= min <= max <= 65535'],
    ['a non-integer port', { portRange: [2000.5, 3000] }, 'spawner.portRange', '1024 <= min <= max <= 65535'],
    ['a port range of three', { portRange: [2000, 3000, 4000] }, 'spawner.portRange', 'expected [min, max]'],
    ['an empty command', { command: [] }, 'spawner.command', 'expected a non-empty array of strings'],
    ['a command as a string', { command: 'jupyter' }, 'spawner.command', 'expected a non-empty array of strings'],
    ['an empty program', { command: [''] }, 'spawner.command[0]', 'expected the program to run'],
    ['a non-string argument', { args: ['--port', 8000] }, 'spawner.args[1]', 'expected a string without NUL'],
    ['a relative cwd', { cwd: 'data' }, 'spawner.cwd', 'expected an absolute path'],
    ['a zero httpTimeout', { httpTimeout: 0 }, 'spawner.httpTimeout', 'expected a positive number of seconds'],
    ['a string startTimeout', { startTimeout: '60' }, 'spawner.startTimeout', 'expected a positive number of seconds'],
    ['an infinite stopGracePeriod', { stopGracePeriod: Infinity }, 'spawner.stopGracePeriod', 'expected a positive number of seconds'],
    ['an unknown credential', { credential: 'cookie' }, 'spawner.credential', "expected 'token-header' or 'none'"],
    ['a string systemUsers', { systemUsers: 'yes' }, 'spawner.systemUsers', 'expected a boolean'],
    ['env as an array', { env: ['A=1'] }, 'spawner.env', 'expected an object of string values'],
    ['a numeric env value', { env: { WORKERS: 4 } }, 'spawner.env.WORKERS', 'expected a string without NUL'],
    ['a bad env name', { env: { 'A=B': 'x' } }, 'spawner.env.A=B', 'expected a variable name'],
    ['HOME in env', { env: { HOME: '/srv' } }, 'spawner.env.HOME', 'set by the spawner from the account'],
  ];

  it.each(cases)('rejects %s, naming the key', (_label, options, key, problem) => {
    const error = optionsError(options);
    expect(error.key).toBe(key);
    expect(error.message.startsWith(`${key}: `)).toBe(true);
    if (typeof problem === 'string') expect(error.message).toContain(problem);
    else expect(error.message).toMatch(problem);
  });
});
