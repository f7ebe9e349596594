import { describe, expect, it } from 'vitest';
import {
  DataRemoteUserAuthenticator,
  DummyAuthenticator,
  LocalAuthenticator,
  RemoteUserAuthenticator,
  RemoteUserLocalAuthenticator,
} from '@gatehouse/authenticators';
import { ManualClock, expectOptionsError } from './helpers.ts';

/** Each header strategy, built from untyped options as a config file written in JavaScript might pass them. */
const HEADER_STRATEGIES: ReadonlyArray<[string, (options: unknown) => unknown]> = [
  ['RemoteUserAuthenticator', (options) => new RemoteUserAuthenticator(options as never)],
  ['RemoteUserLocalAuthenticator', (options) => new RemoteUserLocalAuthenticator(options as never)],
  ['DataRemoteUserAuthenticator', (options) => new DataRemoteUserAuthenticator(options as never)],
];

describe.each(HEADER_STRATEGIES)('%s options', (_name, make) => {
  it.each([
    [{ header: '' }, 'authenticator.header'],
    [{ header: 'Remote User' }, 'authenticator.header'],
    [{ header: 'Remote-User:' }, 'authenticator.header'],
    [{ header: 42 }, 'authenticator.header'],
    [{ logoutRedirectUrl: 'javascript:alert(1)' }, 'authenticator.logoutRedirectUrl'],
    [{ logoutRedirectUrl: '//evil.example/logout' }, 'authenticator.logoutRedirectUrl'],
    [{ logoutRedirectUrl: '/\\evil.example' }, 'authenticator.logoutRedirectUrl'],
    [{ logoutRedirectUrl: 'ftp://files.example/' }, 'authenticator.logoutRedirectUrl'],
    [{ logoutRedirectUrl: 'logout' }, 'authenticator.logoutRedirectUrl'],
    [{ logoutRedirectUrl: 'https://sso.example/\r\nSet-Cookie: x=1' }, 'authenticator.logoutRedirectUrl'],
    [{ logoutRedirectUrl: '' }, 'authenticator.logoutRedirectUrl'],
    [{ headers: 'Remote-User' }, 'authenticator.headers'],
  ])('refuses %j naming %s', (options, key) => {
    expectOptionsError(() => make(options), key);
  });

  it('refuses options that are not an object', () => {
    expectOptionsError(() => make('Remote-User'), 'authenticator');
  });

  const goodUrls = ['https://sso.example/logout?next=%2F', 'http://127.0.0.1:9000/bye', '/oauth2/sign_out', '/'];
  it.each(goodUrls)('accepts logoutRedirectUrl %j', (url) => {
    expect((make({ logoutRedirectUrl: url }) as { logoutRedirectUrl?: string }).logoutRedirectUrl).toBe(url);
  });
});

describe('RemoteUserLocalAuthenticator options', () => {
  it('validates createUnknownUsers', () => {
    expectOptionsError(() => new RemoteUserLocalAuthenticator({ createUnknownUsers: 'yes' as never }), 'authenticator.createUnknownUsers');
    expect(new RemoteUserLocalAuthenticator().createUnknownUsers).toBe(false);
  });
});

describe('LocalAuthenticator options', () => {
  it.each([
    [{ minPasswordLength: 4 }, 'authenticator.minPasswordLength'],
    [{ minPasswordLength: 8.5 }, 'authenticator.minPasswordLength'],
    [{ minPasswordLength: 2000 }, 'authenticator.minPasswordLength'],
    [{ signup: 'maybe' }, 'authenticator.signup'],
    [{ signup: true }, 'authenticator.signup'],
    [{ throttle: 5 }, 'authenticator.throttle'],
    [{ throttle: { maxFailures: 0 } }, 'authenticator.throttle.maxFailures'],
    [{ throttle: { maxFailuresPerAddress: -1 } }, 'authenticator.throttle.maxFailuresPerAddress'],
    [{ throttle: { windowSeconds: '300' } }, 'authenticator.throttle.windowSeconds'],
    [{ throttle: { lockoutSeconds: 0 } }, 'authenticator.throttle.lockoutSeconds'],
    [{ throttle: { lockout: 900 } }, 'authenticator.throttle.lockout'],
    [{ now: Date.now() }, 'authenticator.now'],
    [{ minLength: 10 }, 'authenticator.minLength'],
  ])('refuses %j naming %s', (options, key) => {
    expectOptionsError(() => new LocalAuthenticator(options as never), key);
  });

  it('fills in the documented defaults', () => {
    const authenticator = new LocalAuthenticator();
    expect(authenticator.loginStyle).toBe('form');
    expect(authenticator.trustedHeaders).toEqual([]);
    expect(authenticator.minPasswordLength).toBe(8);
    expect(authenticator.signup).toBe('closed');
    expect(authenticator.throttle).toEqual({ maxFailures: 5, maxFailuresPerAddress: 20, windowSeconds: 300, lockoutSeconds: 900 });
  });

  it('accepts every option at once', () => {
    const authenticator = new LocalAuthenticator({
      minPasswordLength: 12,
      signup: 'approval',
      throttle: { maxFailures: 3, windowSeconds: 60, lockoutSeconds: 120 },
      now: new ManualClock().now,
    });
    expect(authenticator.throttle).toEqual({ maxFailures: 3, maxFailuresPerAddress: 12, windowSeconds: 60, lockoutSeconds: 120 });
    expect(authenticator.accountManagement.signup).toBe('approval');
  });
});

describe('DummyAuthenticator options', () => {
  it('refuses unknown keys too', () => {
    expectOptionsError(() => new DummyAuthenticator({ passwd: 'x' } as never), 'authenticator.passwd');
    expectOptionsError(() => new DummyAuthenticator({ password: '' }), 'authenticator.password');
  });
});
