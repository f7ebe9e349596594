import { describe, expect, it } from 'vitest';
import {
  DataRemoteUserAuthenticator,
  UserDataError,
  dataUsernameFor,
  decodeBase32,
  encodeBase32,
  realNameFromDataUsername,
  runLoginPipeline,
} from '@gatehouse/authenticators';
import { DEFAULT_POLICY, expectOptionsError, onTheWire, proxiedRequest, useStoreFixtures } from './helpers.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe('base32 (RFC 4648)', () => {
  it('matches the RFC 4648 test vectors', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'MY======'],
      ['fo', 'MZXQ===='],
      ['foo', 'MZXW6==='],
      ['foob', 'MZXW6YQ='],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI======'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(encodeBase32(bytes(plain))).toBe(encoded);
      expect(encodeBase32(bytes(plain), { padding: false })).toBe(encoded.replace(/=/g, ''));
      for (const spelling of [encoded, encoded.toLowerCase(), encoded.replace(/=/g, ''), encoded.toLowerCase().replace(/=/g, '')]) {
        expect(text(decodeBase32(spelling))).toBe(plain);
      }
    }
  });

  it('decodes mixed case', () => {
    expect(text(decodeBase32('MzXw6YtBoI'))).toBe('foobar');
  });

  it.each(['MY!', 'my 1', 'MY0', 'M', 'MZXW6Y', 'MZ', 'MY=', 'MY==============', 'MY======MY', '=MY'])('rejects %j', (bad) => {
    expect(() => decodeBase32(bad)).toThrow(/invalid base32/);
  });

  it('round-trips every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, index) => index);
    for (let length = 0; length <= all.length; length += 7) {
      expect(decodeBase32(encodeBase32(all.subarray(0, length)))).toEqual(all.subarray(0, length));
    }
  });
});

describe('data usernames', () => {
  const upstreamNames = [
    'alice',
    'José Núñez',
    '山田太郎',
    'Ωμέγα',
    '🦊 fox 🚀',
    'o\'brien, "pat"; <x>&',
    'first last',
    'team/alice',
    'a@b.example',
    'ÅNGSTRÖM',
    '!#$%^*()[]{}|\\~`',
  ];

  it.each(upstreamNames)('round-trips %j to a valid hub name and back to the normalised name', (upstream) => {
    const username = dataUsernameFor(upstream);
    expect(username).toMatch(/^[a-z2-7]+$/);
    expect(text(decodeBase32(username.toUpperCase()))).toBe(upstream.normalize('NFKC').trim().toLowerCase());
    expect(realNameFromDataUsername(username)).toBe(upstream.normalize('NFKC').trim().toLowerCase());
  });

  it('follows the documented rule exactly', () => {
    // base32("alice") = MFWGSY3F; lower case, no padding.
    expect(dataUsernameFor('alice')).toBe('mfwgsy3f');
    expect(dataUsernameFor('  Alice ')).toBe('mfwgsy3f');
    expect(dataUsernameFor('ＡＬＩＣＥ')).toBe('mfwgsy3f');
    expect(dataUsernameFor('a')).toBe('me');
  });

  it('says which names are not data usernames', () => {
    expect(realNameFromDataUsername('admin')).toBeUndefined(); // not canonical base32
    expect(realNameFromDataUsername('MFWGSY3F')).toBeUndefined(); // not what dataUsernameFor makes
    expect(realNameFromDataUsername(dataUsernameFor('Alice'))).toBe('alice');
    expect(realNameFromDataUsername('74')).toBeUndefined(); // the byte 0xFF: not UTF-8
  });
});

describe('DataRemoteUserAuthenticator', () => {
  const openStores = useStoreFixtures();

  async function ready(options: ConstructorParameters<typeof DataRemoteUserAuthenticator>[0] = {}) {
    const authenticator = new DataRemoteUserAuthenticator(options);
    await authenticator.init(openStores().host);
    return authenticator;
  }

  it('logs in with the base32 name and keeps the real name in the auth state', async () => {
    const authenticator = await ready();
    const request = proxiedRequest(['Remote-User', onTheWire('  José Núñez/Lab ')]);
    const outcome = await runLoginPipeline(authenticator, request, DEFAULT_POLICY);
    expect(outcome).toEqual({
      ok: true,
      username: dataUsernameFor('josé núñez/lab'),
      admin: false,
      authState: { realName: 'José Núñez/Lab' },
    });
    expect(outcome.ok && realNameFromDataUsername(outcome.username)).toBe('josé núñez/lab');
  });

  it('trusts the identity header and every data header', () => {
    const authenticator = new DataRemoteUserAuthenticator({ header: 'X-User', dataHeaders: ['X-Team', 'X-Groups'] });
    expect(authenticator.trustedHeaders).toEqual(['X-User', 'X-Team', 'X-Groups']);
    expect(authenticator.userData.maxValueBytes).toBe(8192);
  });

  describe('userData.parse', () => {
    const authenticator = new DataRemoteUserAuthenticator({ dataHeaders: ['X-Team', 'X-Groups', 'X-Quota'], maxValueBytes: 32 });

    it('parses each listed header present, in any spelling, keyed by the configured name', () => {
      const data = authenticator.userData.parse(['x_team', '{"name":"blue","lead":true}', 'X-GROUPS', '["a", "b"]', 'Host', 'hub']);
      expect(data).toEqual({ 'X-Team': { name: 'blue', lead: true }, 'X-Groups': ['a', 'b'] });
    });

    it('reads UTF-8 values from the wire', () => {
      expect(authenticator.userData.parse(['X-Team', onTheWire('"Équipe 🦊"')])).toEqual({ 'X-Team': 'Équipe 🦊' });
    });

    it('ignores headers that are not listed', () => {
      expect(authenticator.userData.parse(['X-Other', '{"admin":true}', 'Remote-User', 'alice', 'X-Team-Extra', 'nope'])).toEqual({});
    });

    it('refuses malformed JSON, naming the header and not echoing the value', () => {
      for (const value of ["{'single': 1}", '{"a":', 'undefined', '', 'NaN', 'globalThis.pwned = 1']) {
        const error = catchError(() => authenticator.userData.parse(['X-Groups', value]));
        expect(error).toBeInstanceOf(UserDataError);
        expect((error as UserDataError).header).toBe('X-Groups');
        expect((error as UserDataError).message).toBe('X-Groups: the value is not valid JSON');
      }
      expect((globalThis as Record<string, unknown>)['pwned']).toBeUndefined();
    });

    it('refuses a value over the byte limit, counting UTF-8 bytes', () => {
      const atLimit = JSON.stringify('x'.repeat(30)); // 32 bytes with the quotes
      expect(authenticator.userData.parse(['X-Quota', atLimit])).toEqual({ 'X-Quota': 'x'.repeat(30) });
      const error = catchError(() => authenticator.userData.parse(['X-Quota', onTheWire(JSON.stringify('é'.repeat(16)))]));
      expect(error).toBeInstanceOf(UserDataError);
      expect((error as Error).message).toBe('X-Quota: the value is 34 bytes, more than the limit of 32 bytes');
    });

    it('refuses a header sent more than once, in any spelling', () => {
      for (const raw of [
        ['X-Team', '"a"', 'X-Team', '"a"'],
        ['X-Team', '"a"', 'x_team', '"b"'],
      ]) {
        const error = catchError(() => authenticator.userData.parse(raw));
        expect(error).toBeInstanceOf(UserDataError);
        expect((error as Error).message).toBe('X-Team: sent more than once');
      }
    });
  });

  describe('userData.environment', () => {
    const authenticator = new DataRemoteUserAuthenticator({
      dataHeaders: ['X-Team', 'X-Groups', 'X-Quota', 'X-Private'],
      environment: { 'X-Team': 'TEAM', 'x-groups': 'GROUPS', 'X-Quota': 'QUOTA_GB' },
    });

    it('maps stored values to the configured variables, strings as they are and other JSON as JSON', () => {
      const data = authenticator.userData.parse(['X-Team', '"blue"', 'X-Groups', '["a","b"]', 'X-Quota', '5', 'X-Private', '"s3cret"']);
      expect(authenticator.userData.environment(data)).toEqual({ TEAM: 'blue', GROUPS: '["a","b"]', QUOTA_GB: '5' });
      expect(authenticator.userData.environment({})).toEqual({});
      expect(authenticator.userData.environment({ 'X-Team': { nested: [1, null] } })).toEqual({ TEAM: '{"nested":[1,null]}' });
    });

    it('refuses a value that cannot go into an environment variable', () => {
      const error = catchError(() => authenticator.userData.parse(['X-Team', '"a\\u0000b"']));
      expect((error as Error).message).toMatch(/^X-Team: .*NUL/);
      // Unmapped headers may hold any JSON string.
      expect(authenticator.userData.parse(['X-Private', '"a\\u0000b"'])).toEqual({ 'X-Private': 'a\u0000b' });
    });
  });

  describe('options', () => {
    it.each([
      [{ dataHeaders: 'X-Team' }, 'authenticator.dataHeaders'],
      [{ dataHeaders: ['X-Team', 'bad header'] }, 'authenticator.dataHeaders[1]'],
      [{ dataHeaders: ['Remote_User'] }, 'authenticator.dataHeaders[0]'],
      [{ dataHeaders: ['X-Team', 'x_team'] }, 'authenticator.dataHeaders[1]'],
      [{ maxValueBytes: 0 }, 'authenticator.maxValueBytes'],
      [{ maxValueBytes: 1.5 }, 'authenticator.maxValueBytes'],
      [{ environment: ['TEAM'] }, 'authenticator.environment'],
      [{ dataHeaders: ['X-Team'], environment: { 'X-Other': 'TEAM' } }, 'authenticator.environment.X-Other'],
      [{ dataHeaders: ['X-Team'], environment: { 'X-Team': 'team' } }, 'authenticator.environment.X-Team'],
      [{ dataHeaders: ['X-Team'], environment: { 'X-Team': '1TEAM' } }, 'authenticator.environment.X-Team'],
      [{ dataHeaders: ['X-Team'], environment: { 'X-Team': 'JUPYTERHUB_USER' } }, 'authenticator.environment.X-Team'],
      [{ dataHeaders: ['X-Team'], environment: { 'X-Team': 'JUPYTERHUB_ANYTHING' } }, 'authenticator.environment.X-Team'],
      [{ dataHeaders: ['X-Team'], environment: { 'X-Team': 'PATH' } }, 'authenticator.environment.X-Team'],
      [{ dataHeaders: ['X-Team', 'X-B'], environment: { 'X-Team': 'TEAM', 'X-B': 'TEAM' } }, 'authenticator.environment.X-B'],
      [{ dataHeaders: ['X-Team'], environment: { 'X-Team': 'TEAM', x_team: 'TEAM2' } }, 'authenticator.environment.x_team'],
      [{ dataHeader: ['X-Team'] }, 'authenticator.dataHeader'],
    ])('refuses %j naming %s', (options, key) => {
      expectOptionsError(() => new DataRemoteUserAuthenticator(options as never), key);
    });

    it('accepts a complete valid configuration', () => {
      const authenticator = new DataRemoteUserAuthenticator({
        header: 'X-Auth-User',
        logoutRedirectUrl: '/oauth2/sign_out',
        dataHeaders: ['X-Team'],
        maxValueBytes: 1024,
        environment: { 'X-Team': 'GATEHOUSE_TEAM' },
      });
      expect(authenticator.userData.variables.get('X-Team')).toBe('GATEHOUSE_TEAM');
    });
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
