import { describe, expect, it } from 'vitest';
import { validateConfig } from '@gatehouse/hub';
import { DummyAuthenticator } from '@gatehouse/authenticators';
import { LocalProcessSpawner } from '@gatehouse/spawner';
import { resolveUserOptions } from '../../packages/hub/src/servers/user-options.ts';
import { PROFILES } from '../support/profiles.ts';
import { api, expectApiError, useApiHub } from './helpers.ts';

// Spawn options (JupyterHub's user_options) through the start API of a real hub: the chosen
// profile's env reaches the server (the demo app shows GATEHOUSE_DEMO_* variables), and anything
// outside the profiles config is refused by name before a spawner sees it.

const env = useApiHub(['alice', 'bob'], { profiles: PROFILES });

async function staffBob(): Promise<void> {
  const admin = env.token('admin');
  if (env.hub.services.groups.get('staff') === undefined) await api(env.hub.baseUrl, 'POST', '/groups/staff', { token: admin, json: { users: ['bob'] } });
}

/** Starts `name`'s server with `options`, waits for it; returns the demo app's view of its environment and the model's user_options. */
async function startAndReadEnvironment(name: string, options: unknown): Promise<{ environment: Record<string, string>; userOptions: unknown }> {
  const token = env.token(name);
  const start = await api(env.hub.baseUrl, 'POST', `/users/${name}/server`, { token, json: options });
  expect(start.status, start.text).toBe(202);
  expect(await env.hub.services.servers.settled(name)).toBe('running');
  try {
    const model = await api(env.hub.baseUrl, 'GET', `/users/${name}`, { token });
    const userOptions = model.json<{ servers: Record<string, { user_options: unknown }> }>().servers['']?.user_options;
    const shown = await fetch(`${env.hub.baseUrl}/user/${name}/api/environment`, { headers: { authorization: `token ${token}` } });
    expect(shown.status).toBe(200);
    return { environment: (await shown.json()) as Record<string, string>, userOptions };
  } finally {
    const user = env.hub.services.users.get(name);
    if (user !== undefined) await env.hub.services.servers.stop(user);
  }
}

describe('the start API with user options', () => {
  it('starts the default profile without options, and the chosen one with them', async () => {
    expect(await startAndReadEnvironment('alice', undefined)).toEqual({ environment: { GATEHOUSE_DEMO_PROFILE: 'small' }, userOptions: { profile: 'small' } });
    await staffBob();
    expect(await startAndReadEnvironment('bob', { profile: 'big', cpus: '4' })).toEqual({
      environment: { GATEHOUSE_DEMO_PROFILE: 'big', GATEHOUSE_DEMO_CPUS: '4' },
      userOptions: { profile: 'big', cpus: '4' },
    });
  });

  it('remembers the last options per user', async () => {
    await staffBob();
    const bob = env.hub.services.users.get('bob');
    expect(env.hub.services.spawnChoices.get(bob?.id as number)).toEqual({ profile: 'big', cpus: '4' });
  });

  it.each([
    [{ profile: 'small', colour: 'red' }, 'colour'],
    [{ profile: 'big', cpus: '3' }, 'cpus'],
    [{ profile: 'big', cpus: ['4'] }, 'cpus'],
    [{ profile: 'huge' }, 'profile'],
    [{ command: ['/bin/sh'] }, 'command'],
  ])('refuses %j with 400 naming %s, and starts nothing', async (options, key) => {
    await staffBob();
    const response = await api(env.hub.baseUrl, 'POST', '/users/bob/server', { token: env.token('bob'), json: options });
    expectApiError(response, 400, 'GATEHOUSE_ERR_INVALID_USER_OPTIONS');
    expect(response.json<{ message: string }>().message.startsWith(`${key}:`)).toBe(true);
    expect(env.hub.services.servers.state('bob')).toBe('stopped');
  });

  it('refuses a profile not open to the user\'s groups (403)', async () => {
    const response = await api(env.hub.baseUrl, 'POST', '/users/alice/server', { token: env.token('alice'), json: { profile: 'big' } });
    expectApiError(response, 403, 'GATEHOUSE_ERR_PROFILE_NOT_ALLOWED');
    expect(response.json<{ message: string }>().message).toContain('staff');
    expect(env.hub.services.servers.state('alice')).toBe('stopped');
  });

  it('refuses a non-object body', async () => {
    const response = await api(env.hub.baseUrl, 'POST', '/users/alice/server', { token: env.token('alice'), json: ['small'] });
    expectApiError(response, 400, 'GATEHOUSE_ERR_INVALID_USER_OPTIONS');
  });
});

describe('resolveUserOptions (the pure check the start paths share)', () => {
  const config = validateConfig({ authenticator: new DummyAuthenticator(), spawner: new LocalProcessSpawner(), profiles: PROFILES });
  const staff = { name: 'bob', groups: ['staff'] };

  it('fills in defaults and merges the chosen option into the profile', () => {
    expect(resolveUserOptions(config, staff, { profile: 'big' })).toEqual({
      userOptions: { profile: 'big', cpus: '1' },
      overrides: { env: { GATEHOUSE_DEMO_PROFILE: 'big', GATEHOUSE_DEMO_CPUS: '1' }, resources: { partition: 'main', cpus: 1 } },
    });
    expect(resolveUserOptions(config, staff, { profile: 'big', cpus: 4 }).userOptions).toEqual({ profile: 'big', cpus: '4' });
  });

  it('takes the first profile the owner may use when none is named', () => {
    expect(resolveUserOptions(config, { name: 'alice', groups: [] }, {}).userOptions).toEqual({ profile: 'small' });
  });

  it('allows no options at all on a hub without profiles', () => {
    const plain = validateConfig({ authenticator: new DummyAuthenticator(), spawner: new LocalProcessSpawner() });
    expect(resolveUserOptions(plain, staff, {})).toEqual({ userOptions: {}, overrides: undefined });
    expect(() => resolveUserOptions(plain, staff, { profile: 'small' })).toThrow(/^profile: this hub offers no spawn options/);
  });
});

describe('the profiles config', () => {
  const check = (profiles: unknown) => () => validateConfig({ authenticator: new DummyAuthenticator(), spawner: new LocalProcessSpawner(), profiles });

  it('names the key of a wrong default, a repeated slug, a bad env name and an unknown key', () => {
    const choice = { displayName: 'CPUs', default: '8', options: { '1': { displayName: 'one' } } };
    expect(check([{ slug: 'a', displayName: 'A', choices: { cpus: choice } }])).toThrow(/profiles\S*cpus\S*default: expected one of the options \(1\)/);
    expect(check([{ slug: 'a', displayName: 'A' }, { slug: 'a', displayName: 'B' }])).toThrow(/profiles\S*slug: another profile has the slug a/);
    expect(check([{ slug: 'a', displayName: 'A', env: { HOME: '/x' } }])).toThrow(/profiles\S*env\S*: set by the spawner/);
    expect(check([{ slug: 'a', displayName: 'A', image: 'x' }])).toThrow(/profiles\S*image: unknown key/);
    expect(check([{ slug: 'a', displayName: 'A', choices: { profile: choice } }])).toThrow(/profiles\S*choices.profile: profile names the profile itself/);
  });
});
