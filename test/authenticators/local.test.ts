import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  COMMON_PASSWORDS,
  LocalAuthenticator,
  hashPassword,
  runLoginPipeline,
  verifyPassword,
  type LocalAuthenticatorOptions,
} from '@gatehouse/authenticators';
import { DEFAULT_POLICY, ManualClock, formRequest, useStoreFixtures, type StoreFixture } from './helpers.ts';

// The authenticators package's own argon2 (the test package does not depend on it), to make a hash
// with older parameters. Real argon2, no mock; typed here with the little this test uses.
interface Argon2 {
  readonly argon2id: 2;
  hash(password: string, options: { type: 2; memoryCost: number; timeCost: number; parallelism: number }): Promise<string>;
}
const argon2 = createRequire(new URL('../../packages/authenticators/package.json', import.meta.url))('argon2') as Argon2;

const GOOD = 'correct-horse-battery-staple';
const OTHER = 'lantern-orbit-velvet-9';

/** `$argon2id$v=19$m=19456,t=2,p=1$…` → { m: 19456, t: 2, p: 1 }, in whatever order the fields come. */
function argon2Parameters(hash: string): { type: string; version: string; m: number; t: number; p: number } {
  const [, type, version, params] = hash.split('$') as [string, string, string, string];
  const fields = Object.fromEntries(params.split(',').map((pair) => pair.split('=') as [string, string]));
  return { type, version, m: Number(fields['m']), t: Number(fields['t']), p: Number(fields['p']) };
}

/** Failures recorded in the hub's table, read straight from SQLite. */
function failureCount(stores: StoreFixture, key: string): number {
  return (stores.db.prepare('SELECT count(*) AS n FROM login_failures WHERE key = ?').get(key) as { n: number }).n;
}

describe('password hashing', () => {
  it('uses argon2id with at least the OWASP parameters, and a fresh salt each time', async () => {
    const first = await hashPassword(GOOD);
    const parameters = argon2Parameters(first);
    expect(parameters.type).toBe('argon2id');
    expect(parameters.version).toBe('v=19');
    expect(parameters.m).toBeGreaterThanOrEqual(19456);
    expect(parameters.t).toBeGreaterThanOrEqual(2);
    expect(parameters.p).toBe(1);
    expect(await hashPassword(GOOD)).not.toBe(first);
  });

  it('verifies the right password only', async () => {
    const hash = await hashPassword(GOOD);
    expect(await verifyPassword(hash, GOOD)).toBe(true);
    expect(await verifyPassword(hash, `${GOOD} `)).toBe(false);
    expect(await verifyPassword(hash, GOOD.toUpperCase())).toBe(false);
    expect(await verifyPassword('not-a-hash', GOOD)).toBe(false);
    expect(await verifyPassword('$argon2id$v=19$garbage', GOOD)).toBe(false);
  });

  it('treats canonically equivalent spellings of a password as the same password', async () => {
    const composed = 'caf\u00e9-terrace-night';
    const decomposed = 'cafe\u0301-terrace-night';
    expect(await verifyPassword(await hashPassword(composed), decomposed)).toBe(true);
  });
});

describe('LocalAuthenticator', () => {
  const openStores = useStoreFixtures();

  async function ready(options: LocalAuthenticatorOptions = {}, stores: StoreFixture = openStores()) {
    const authenticator = new LocalAuthenticator(options);
    await authenticator.init(stores.host);
    return { authenticator, stores, accounts: authenticator.accountManagement };
  }

  const login = (authenticator: LocalAuthenticator, username: string, password: string, address?: string) =>
    runLoginPipeline(authenticator, formRequest(username, password, address), DEFAULT_POLICY);

  describe('password policy', () => {
    it.each([
      ['short7!', /at least 8 characters/],
      ['x'.repeat(1025), /at most 1024 characters/],
      ['password', /most common passwords/],
      ['Password1', /most common passwords/],
      ['QWERTY123', /most common passwords/],
      ['iloveyou', /most common passwords/],
      ['Alice-Smith', /same as the username/],
    ])('refuses %j', async (password, message) => {
      const { accounts, stores } = await ready();
      const result = await accounts.addAccount('alice-smith', password);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.field).toBe('password');
      expect(!result.ok && result.message).toMatch(message);
      expect(stores.host.accounts.get('alice-smith')).toBeUndefined();
    });

    it('accepts a long passphrase and honours minPasswordLength', async () => {
      const { accounts } = await ready({ minPasswordLength: 12 });
      expect((await accounts.addAccount('alice', 'tiny-pass-1')).ok).toBe(false);
      expect(await accounts.addAccount('alice', 'x'.repeat(1000))).toEqual({ ok: true });
      expect(await accounts.addAccount('bob', 'a much longer pass phrase')).toEqual({ ok: true });
    });

    it('embeds a list of about a thousand common passwords', () => {
      expect(COMMON_PASSWORDS.size).toBeGreaterThanOrEqual(1000);
      for (const password of ['123456', 'password', 'qwerty', '12345678', 'letmein', 'trustno1']) {
        expect(COMMON_PASSWORDS.has(password)).toBe(true);
      }
      expect([...COMMON_PASSWORDS].every((password) => password === password.toLowerCase() && !/\s/.test(password))).toBe(true);
    });
  });

  describe('login', () => {
    it('logs in with the right password, looking the name up normalised', async () => {
      const { authenticator, accounts, stores } = await ready();
      await accounts.addAccount('alice', GOOD);
      expect(argon2Parameters(stores.host.accounts.get('alice')?.passwordHash ?? '').type).toBe('argon2id');
      expect(await login(authenticator, '  ALICE ', GOOD)).toEqual({ ok: true, username: 'alice', admin: false });
    });

    it('refuses missing credentials, wrong passwords and unknown names alike', async () => {
      const { authenticator, accounts } = await ready();
      await accounts.addAccount('alice', GOOD);
      await accounts.addAccount('nopass', null);
      for (const [username, password] of [['', GOOD], ['alice', ''], ['   ', GOOD]] as const) {
        const outcome = await login(authenticator, username, password);
        expect(!outcome.ok && outcome.reason).toBe('missing-credentials');
      }
      const get = await authenticator.authenticate({ ...formRequest('alice', GOOD), method: 'GET' });
      expect(!get.ok && get.reason).toBe('missing-credentials');
      const wrong = await login(authenticator, 'alice', OTHER);
      const unknown = await login(authenticator, 'mallory', OTHER);
      const noPassword = await login(authenticator, 'nopass', '');
      const noPasswordGuess = await login(authenticator, 'nopass', OTHER);
      expect(!noPassword.ok && noPassword.reason).toBe('missing-credentials');
      for (const outcome of [wrong, unknown, noPasswordGuess]) {
        expect(outcome).toEqual({ ok: false, reason: 'invalid-credentials', message: 'Invalid username or password.' });
      }
    });

    it('spends as long on an unknown name as on a wrong password', async () => {
      const { authenticator, accounts } = await ready({ throttle: { maxFailures: 1000, maxFailuresPerAddress: 1000 } });
      await accounts.addAccount('alice', GOOD);
      const median = async (username: string) => {
        const times: number[] = [];
        for (let i = 0; i < 7; i++) {
          const start = performance.now();
          await authenticator.authenticate(formRequest(username, OTHER));
          times.push(performance.now() - start);
        }
        return times.sort((a, b) => a - b)[3] as number;
      };
      const wrongPassword = await median('alice');
      const unknownName = await median('nobody-here');
      // Without the dummy verification an unknown name answers in well under a millisecond.
      expect(unknownName).toBeGreaterThan(wrongPassword * 0.3);
    });

    it('replaces a hash made with older parameters after a successful login', async () => {
      const { authenticator, stores } = await ready();
      const old = await argon2.hash(GOOD, { type: argon2.argon2id, memoryCost: 8192, timeCost: 1, parallelism: 1 });
      stores.host.accounts.create({ username: 'alice', passwordHash: old, status: 'active' });
      expect((await login(authenticator, 'alice', GOOD)).ok).toBe(true);
      const renewed = stores.host.accounts.get('alice')?.passwordHash ?? '';
      expect(argon2Parameters(renewed).m).toBe(19456);
      expect((await login(authenticator, 'alice', GOOD)).ok).toBe(true);
    });
  });

  describe('throttling', () => {
    const failTimes = async (authenticator: LocalAuthenticator, count: number, username: string, address = '10.0.0.1') => {
      for (let i = 0; i < count; i++) {
        const outcome = await authenticator.authenticate(formRequest(username, `wrong-guess-${i}`, address));
        expect(outcome.ok).toBe(false);
      }
    };

    it('locks an account after maxFailures, even from many addresses, and says when to retry', async () => {
      const clock = new ManualClock();
      const { authenticator, accounts } = await ready({ now: clock.now });
      await accounts.addAccount('alice', GOOD);
      for (let i = 0; i < 4; i++) await failTimes(authenticator, 1, 'alice', `10.0.1.${i}`);
      const fifth = await login(authenticator, 'alice', OTHER, '10.0.1.9');
      expect(fifth).toMatchObject({ reason: 'throttled', retryAfterSeconds: 900 });
      expect(!fifth.ok && fifth.message).toBe('Too many failed attempts. Try again in 15 minutes.');

      clock.advance(60);
      const locked = await login(authenticator, 'alice', GOOD, '10.0.2.1'); // right password, fresh address
      expect(locked).toMatchObject({ reason: 'throttled', retryAfterSeconds: 840 });
      expect(!locked.ok && locked.message).toBe('Too many failed attempts. Try again in 14 minutes.');
      clock.advance(839.5);
      const lastSecond = await login(authenticator, 'alice', GOOD, '10.0.2.1');
      expect(lastSecond).toMatchObject({ retryAfterSeconds: 1, message: 'Too many failed attempts. Try again in 1 second.' });
    });

    it('does not verify or count attempts while locked', async () => {
      const clock = new ManualClock();
      const { authenticator, accounts, stores } = await ready({ now: clock.now });
      await accounts.addAccount('alice', GOOD);
      await failTimes(authenticator, 5, 'alice');
      expect(failureCount(stores, 'account:alice')).toBe(5);
      await failTimes(authenticator, 10, 'alice');
      expect(failureCount(stores, 'account:alice')).toBe(5);
    });

    it('locks a client address that fails against many accounts', async () => {
      const clock = new ManualClock();
      const { authenticator, accounts } = await ready({ now: clock.now });
      await accounts.addAccount('alice', GOOD);
      // The address limit is 4 × maxFailures by default: 20 failures across 20 accounts.
      for (let i = 0; i < 20; i++) await failTimes(authenticator, 1, `guess${i}`, '198.51.100.7');
      const fromAttacker = await login(authenticator, 'alice', GOOD, '198.51.100.7');
      expect(fromAttacker).toMatchObject({ ok: false, reason: 'throttled', retryAfterSeconds: 900 });
      expect((await login(authenticator, 'alice', GOOD, '198.51.100.8')).ok).toBe(true);
    });

    it('lets maxFailuresPerAddress raise the address limit for shared addresses', async () => {
      const { authenticator, accounts } = await ready({ throttle: { maxFailuresPerAddress: 20 } });
      await accounts.addAccount('alice', GOOD);
      for (let i = 0; i < 10; i++) await failTimes(authenticator, 1, `guess${i}`, '127.0.0.1');
      expect((await login(authenticator, 'alice', GOOD, '127.0.0.1')).ok).toBe(true);
    });

    it('survives a restart of the hub', async () => {
      const clock = new ManualClock();
      const first = await ready({ now: clock.now });
      await first.accounts.addAccount('alice', GOOD);
      await failTimes(first.authenticator, 5, 'alice');
      clock.advance(120);

      const reopened = first.stores.reopen();
      expect(first.stores.db.open).toBe(false);
      const second = await ready({ now: clock.now }, reopened);
      const outcome = await login(second.authenticator, 'alice', GOOD, '10.9.9.9');
      expect(outcome).toMatchObject({ ok: false, reason: 'throttled', retryAfterSeconds: 780 });
    });

    it('lifts the lock when the lockout ends, and a success clears the count', async () => {
      const clock = new ManualClock();
      const { authenticator, accounts } = await ready({ now: clock.now });
      await accounts.addAccount('alice', GOOD);
      await failTimes(authenticator, 5, 'alice');
      clock.advance(899);
      expect(await login(authenticator, 'alice', GOOD, '10.5.5.5')).toMatchObject({ reason: 'throttled', retryAfterSeconds: 1 });
      clock.advance(1);
      expect((await login(authenticator, 'alice', GOOD, '10.5.5.5')).ok).toBe(true);

      await failTimes(authenticator, 4, 'alice', '10.5.5.6');
      expect((await login(authenticator, 'alice', GOOD, '10.5.5.7')).ok).toBe(true);
      await failTimes(authenticator, 4, 'alice', '10.5.5.8');
      expect((await login(authenticator, 'alice', GOOD, '10.5.5.9')).ok).toBe(true);
    });

    it('counts only failures within the window', async () => {
      const clock = new ManualClock();
      const { authenticator, accounts } = await ready({ now: clock.now, throttle: { windowSeconds: 300 } });
      await accounts.addAccount('alice', GOOD);
      for (let i = 0; i < 8; i++) {
        await failTimes(authenticator, 1, 'alice', `10.7.0.${i}`);
        clock.advance(76); // five failures span 304 s: never five in one window
      }
      expect((await login(authenticator, 'alice', GOOD, '10.7.1.1')).ok).toBe(true);
    });

    it('refuses a burst of parallel guesses beyond the limit', async () => {
      const clock = new ManualClock();
      const { authenticator, accounts, stores } = await ready({ now: clock.now });
      await accounts.addAccount('alice', GOOD);
      const guesses = Array.from({ length: 12 }, (_, i) => authenticator.authenticate(formRequest('alice', `guess-${i}`, `10.8.0.${i}`)));
      const outcomes = await Promise.all(guesses);
      const verified = outcomes.filter((outcome) => !outcome.ok && outcome.reason === 'invalid-credentials');
      expect(verified).toHaveLength(4);
      expect(outcomes.filter((outcome) => !outcome.ok && outcome.reason === 'throttled')).toHaveLength(8);
      // Only five guesses were ever checked against the hash: the rest found the account locked.
      expect(failureCount(stores, 'account:alice')).toBe(5);
    });
  });

  describe('accounts', () => {
    it('keeps sign-up closed by default', async () => {
      const { accounts, stores } = await ready();
      expect(accounts.usesPasswords).toBe(true);
      expect(accounts.signup).toBe('closed');
      const result = await accounts.signUp('alice', GOOD);
      expect(result.ok).toBe(false);
      expect(stores.host.accounts.list()).toEqual([]);
    });

    it('holds sign-ups for approval under signup: approval', async () => {
      const { authenticator, accounts } = await ready({ signup: 'approval' });
      expect(await accounts.signUp('alice', GOOD)).toEqual({ ok: true });
      const pending = await login(authenticator, 'alice', GOOD);
      expect(pending).toMatchObject({ ok: false, reason: 'pending-approval' });
      expect(await login(authenticator, 'alice', OTHER)).toMatchObject({ reason: 'invalid-credentials' });
      expect(await accounts.approve('alice')).toEqual({ ok: true });
      expect((await login(authenticator, 'alice', GOOD)).ok).toBe(true);
      expect((await accounts.approve('nobody')).ok).toBe(false);
    });

    it('activates sign-ups at once under signup: open, and refuses a taken name', async () => {
      const { authenticator, accounts } = await ready({ signup: 'open' });
      expect(await accounts.signUp('alice', GOOD)).toEqual({ ok: true });
      expect((await login(authenticator, 'alice', GOOD)).ok).toBe(true);
      const taken = await accounts.signUp('alice', OTHER);
      expect(!taken.ok && taken.field).toBe('username');
      const weak = await accounts.signUp('bob', '12345678');
      expect(!weak.ok && weak.field).toBe('password');
    });

    it('changes a password only after verifying the current one', async () => {
      const { authenticator, accounts } = await ready();
      await accounts.addAccount('alice', GOOD);
      const wrong = await accounts.changePassword('alice', OTHER, 'a-brand-new-passphrase');
      expect(wrong).toEqual({ ok: false, field: 'password', message: 'The current password is incorrect.' });
      const weak = await accounts.changePassword('alice', GOOD, 'qwertyuiop');
      expect(!weak.ok && weak.message).toMatch(/most common/);
      expect(await accounts.changePassword('alice', GOOD, 'a-brand-new-passphrase')).toEqual({ ok: true });
      expect((await login(authenticator, 'alice', GOOD)).ok).toBe(false);
      expect((await login(authenticator, 'alice', 'a-brand-new-passphrase')).ok).toBe(true);
      expect((await accounts.changePassword('nobody', GOOD, 'a-brand-new-passphrase')).ok).toBe(false);
    });

    it('throttles guesses of the current password', async () => {
      const clock = new ManualClock();
      const { accounts } = await ready({ now: clock.now });
      await accounts.addAccount('alice', GOOD);
      for (let i = 0; i < 5; i++) expect((await accounts.changePassword('alice', `guess-${i}`, OTHER)).ok).toBe(false);
      const locked = await accounts.changePassword('alice', GOOD, OTHER);
      expect(locked).toEqual({ ok: false, field: 'password', message: 'Too many failed attempts. Try again in 15 minutes.' });
      clock.advance(900);
      expect(await accounts.changePassword('alice', GOOD, OTHER)).toEqual({ ok: true });
    });

    it('lets an admin set a password, which also lifts a lock', async () => {
      const clock = new ManualClock();
      const { authenticator, accounts } = await ready({ now: clock.now });
      expect(await accounts.addAccount('alice', null)).toEqual({ ok: true });
      expect((await login(authenticator, 'alice', GOOD)).ok).toBe(false);
      for (let i = 0; i < 5; i++) await login(authenticator, 'alice', `guess-${i}`, `10.3.0.${i}`);
      expect(await accounts.setPassword('alice', GOOD)).toEqual({ ok: true });
      expect((await login(authenticator, 'alice', GOOD, '10.3.1.1')).ok).toBe(true);
      expect((await accounts.setPassword('nobody', GOOD)).ok).toBe(false);
      expect((await accounts.setPassword('alice', 'short')).ok).toBe(false);
    });

    it('removes accounts', async () => {
      const { authenticator, accounts } = await ready();
      await accounts.addAccount('alice', GOOD);
      expect(await accounts.removeAccount('alice')).toBe(true);
      expect(await accounts.removeAccount('alice')).toBe(false);
      expect((await login(authenticator, 'alice', GOOD)).ok).toBe(false);
    });
  });
});
