import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  DataRemoteUserAuthenticator,
  RemoteUserAuthenticator,
  RemoteUserLocalAuthenticator,
  runLoginPipeline,
  type AuthFailureReason,
  type Authenticator,
  type LoginRequest,
} from '@gatehouse/authenticators';
import { DEFAULT_POLICY, proxiedRequest, useStoreFixtures, type StoreFixture } from './helpers.ts';

interface HeaderSubject {
  readonly name: string;
  /** Configured so that any well-formed header would log in: refusals are then the header rules' doing. */
  make(header?: string): Authenticator;
}

const HEADER_SUBJECTS: readonly HeaderSubject[] = [
  { name: 'RemoteUserAuthenticator', make: (header) => new RemoteUserAuthenticator(header === undefined ? {} : { header }) },
  {
    name: 'RemoteUserLocalAuthenticator',
    make: (header) => new RemoteUserLocalAuthenticator({ createUnknownUsers: true, ...(header === undefined ? {} : { header }) }),
  },
  {
    name: 'DataRemoteUserAuthenticator',
    make: (header) => new DataRemoteUserAuthenticator({ dataHeaders: ['X-Team'], ...(header === undefined ? {} : { header }) }),
  },
];

const untrusted = { fromTrustedProxy: false, remoteAddress: '203.0.113.9' };

/** Requests a front proxy (or an attacker) might send, and the only acceptable refusal for each. */
const SPOOFING_MATRIX: ReadonlyArray<{ case: string; request: LoginRequest; reason: AuthFailureReason }> = [
  ['header from an untrusted address', ['Remote-User', 'admin'], 'untrusted-source', untrusted],
  ['_ spelling from an untrusted address', ['Remote_User', 'admin'], 'untrusted-source', untrusted],
  ['duplicates from an untrusted address', ['Remote-User', 'a', 'Remote-User', 'b'], 'untrusted-source', untrusted],
  ['the same header twice', ['Remote-User', 'alice', 'Remote-User', 'admin'], 'ambiguous-header'],
  ['the same value twice', ['Remote-User', 'alice', 'Remote-User', 'alice'], 'ambiguous-header'],
  ['_ spelling beside -', ['Remote-User', 'alice', 'Remote_User', 'admin'], 'ambiguous-header'],
  ['- spelling beside _', ['Remote_User', 'admin', 'Remote-User', 'alice'], 'ambiguous-header'],
  ['two cases beside each other', ['remote-user', 'alice', 'REMOTE-USER', 'admin'], 'ambiguous-header'],
  ['a real value beside an empty one', ['Remote-User', '', 'Remote-User', 'admin'], 'ambiguous-header'],
  ['an empty value', ['Remote-User', ''], 'missing-credentials'],
  ['a whitespace value', ['Remote-User', '   '], 'missing-credentials'],
  ['tabs and spaces', ['Remote-User', ' \t \t'], 'missing-credentials'],
  ['no header at all', ['Host', 'hub.example'], 'missing-credentials'],
  ['a similar but different header', ['X-Remote-User', 'admin', 'Remote-Users', 'admin'], 'missing-credentials'],
].map(([name, rawHeaders, reason, overrides]) => ({
  case: name as string,
  request: proxiedRequest(rawHeaders as string[], overrides as Partial<LoginRequest> | undefined),
  reason: reason as AuthFailureReason,
}));

for (const subject of HEADER_SUBJECTS) {
  describe(`${subject.name} header rules`, () => {
    const openStores = useStoreFixtures();

    async function ready(header?: string): Promise<{ authenticator: Authenticator; stores: StoreFixture }> {
      const stores = openStores();
      const authenticator = subject.make(header);
      await authenticator.init(stores.host);
      return { authenticator, stores };
    }

    it.each(SPOOFING_MATRIX)('refuses $case with $reason', async ({ request, reason }) => {
      const { authenticator } = await ready();
      const outcome = await runLoginPipeline(authenticator, request, DEFAULT_POLICY);
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.reason).toBe(reason);
      expect(!outcome.ok && outcome.message.length).toBeGreaterThan(0);
    });

    it('accepts one header from a trusted proxy, in any one spelling', async () => {
      const { authenticator } = await ready();
      for (const spelling of ['Remote-User', 'remote-user', 'REMOTE_USER']) {
        expect((await runLoginPipeline(authenticator, proxiedRequest([spelling, 'alice']), DEFAULT_POLICY)).ok).toBe(true);
      }
    });

    it('warns about an untrusted header with the address, never the value', async () => {
      const { authenticator, stores } = await ready();
      await authenticator.authenticate(proxiedRequest(['Remote-User', 'secret-name'], untrusted));
      const warnings = stores.log.filter((entry) => entry.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.fields['remoteAddress']).toBe('203.0.113.9');
      expect(JSON.stringify(stores.log)).not.toContain('secret-name');
    });

    it('reads only the configured header', async () => {
      const { authenticator } = await ready('X-Forwarded-User');
      expect(authenticator.trustedHeaders[0]).toBe('X-Forwarded-User');
      const ignored = await authenticator.authenticate(proxiedRequest(['Remote-User', 'alice']));
      expect(!ignored.ok && ignored.reason).toBe('missing-credentials');
      expect((await authenticator.authenticate(proxiedRequest(['x-forwarded-user', 'alice']))).ok).toBe(true);
      const doubled = await authenticator.authenticate(proxiedRequest(['X-Forwarded-User', 'a', 'X_Forwarded_User', 'b']));
      expect(!doubled.ok && doubled.reason).toBe('ambiguous-header');
    });

    it('applies the same rules to headers parsed by Node from a real socket', async () => {
      const { authenticator } = await ready();
      const send = (lines: string[]) =>
        requestThroughSocket(Buffer.from(`GET /hub/login HTTP/1.1\r\nHost: hub\r\n${lines.join('\r\n')}\r\n\r\n`, 'utf8'));
      const spoofed = await send(['Remote-User: alice', 'Remote_User: admin']);
      const result = await authenticator.authenticate(proxiedRequest(spoofed.rawHeaders));
      expect(!result.ok && result.reason).toBe('ambiguous-header');
      const single = await send(['remote-user: alice']);
      expect((await runLoginPipeline(authenticator, proxiedRequest(single.rawHeaders), DEFAULT_POLICY)).ok).toBe(true);
    });
  });
}

describe('RemoteUserAuthenticator', () => {
  const openStores = useStoreFixtures();

  it('reads a UTF-8 name from the wire as UTF-8', async () => {
    const authenticator = new RemoteUserAuthenticator();
    await authenticator.init(openStores().host);
    const received = await requestThroughSocket(Buffer.from('GET / HTTP/1.1\r\nHost: hub\r\nRemote-User: José\r\n\r\n', 'utf8'));
    const result = await authenticator.authenticate(proxiedRequest(received.rawHeaders));
    expect(result).toEqual({ ok: true, username: 'José' });
    // A value that is not UTF-8 is taken as the latin1 it then must be.
    const latin1 = await authenticator.authenticate(proxiedRequest(['Remote-User', 'Jos\u00e9']));
    expect(latin1).toEqual({ ok: true, username: 'José' });
  });

  it('is automatic, trusts only its header and exposes the logout redirect', () => {
    const authenticator = new RemoteUserAuthenticator({ logoutRedirectUrl: 'https://sso.example/logout' });
    expect(authenticator.loginStyle).toBe('automatic');
    expect(authenticator.trustedHeaders).toEqual(['Remote-User']);
    expect(authenticator.logoutRedirectUrl).toBe('https://sso.example/logout');
    expect(new RemoteUserAuthenticator().logoutRedirectUrl).toBeUndefined();
  });

  it('refuses to authenticate before init', async () => {
    await expect(new RemoteUserAuthenticator().authenticate(proxiedRequest(['Remote-User', 'a']))).rejects.toThrow(/before init/);
  });
});

describe('RemoteUserLocalAuthenticator accounts', () => {
  const openStores = useStoreFixtures();

  async function ready(options: { createUnknownUsers?: boolean } = {}) {
    const stores = openStores();
    const authenticator = new RemoteUserLocalAuthenticator(options);
    await authenticator.init(stores.host);
    return { authenticator, stores, accounts: authenticator.accountManagement };
  }

  it('lets in only people with an account, telling others that an admin must add them', async () => {
    const { authenticator, accounts, stores } = await ready();
    const refused = await runLoginPipeline(authenticator, proxiedRequest(['Remote-User', 'Alice']), DEFAULT_POLICY);
    expect(!refused.ok && refused.reason).toBe('not-allowed');
    expect(!refused.ok && refused.message).toMatch(/administrator must add you/);
    expect(stores.host.accounts.get('alice')).toBeUndefined();

    expect(await accounts.addAccount('alice', null)).toEqual({ ok: true });
    const admitted = await runLoginPipeline(authenticator, proxiedRequest(['Remote-User', 'Alice']), DEFAULT_POLICY);
    expect(admitted.ok && admitted.username).toBe('alice');

    expect(await accounts.removeAccount('alice')).toBe(true);
    expect((await authenticator.authenticate(proxiedRequest(['Remote-User', 'alice']))).ok).toBe(false);
  });

  it('creates an active account for an unknown user when createUnknownUsers is set, once under concurrency', async () => {
    const { authenticator, stores } = await ready({ createUnknownUsers: true });
    const logins = Array.from({ length: 5 }, () => authenticator.authenticate(proxiedRequest(['Remote-User', 'Bob'])));
    expect((await Promise.all(logins)).every((result) => result.ok)).toBe(true);
    const accounts = stores.host.accounts.list().map((account) => [account.username, account.status, account.passwordHash]);
    expect(accounts).toEqual([['bob', 'active', null]]);
    expect(stores.log.filter((entry) => entry.message === 'account created on first login')).toHaveLength(1);
  });

  it('keeps a pending account out until approved', async () => {
    const { authenticator, accounts, stores } = await ready();
    stores.host.accounts.create({ username: 'carol', passwordHash: null, status: 'pending' });
    const pending = await authenticator.authenticate(proxiedRequest(['Remote-User', 'carol']));
    expect(!pending.ok && pending.reason).toBe('pending-approval');
    expect(await accounts.approve('carol')).toEqual({ ok: true });
    expect((await authenticator.authenticate(proxiedRequest(['Remote-User', 'carol']))).ok).toBe(true);
    expect((await accounts.approve('nobody')).ok).toBe(false);
  });

  it('manages accounts without passwords', async () => {
    const { accounts } = await ready();
    expect(accounts.usesPasswords).toBe(false);
    expect(accounts.signup).toBe('closed');
    expect(await accounts.addAccount('dave', null)).toEqual({ ok: true });
    const duplicate = await accounts.addAccount('dave', null);
    expect(!duplicate.ok && duplicate.field).toBe('username');
    for (const result of [
      await accounts.addAccount('erin', 'a-password-here'),
      await accounts.setPassword('dave', 'a-password-here'),
      await accounts.changePassword('dave', 'x', 'a-password-here'),
      await accounts.signUp('frank', 'a-password-here'),
    ]) {
      expect(result.ok).toBe(false);
      expect(!result.ok && result.message).toMatch(/not supported/);
    }
    expect(await accounts.removeAccount('nobody')).toBe(false);
  });
});

/** Sends raw bytes to a real HTTP server and returns the request as Node parsed it. */
async function requestThroughSocket(bytes: Buffer): Promise<IncomingMessage> {
  const server = createServer((request, response) => response.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const received = once(server, 'request') as Promise<[IncomingMessage]>;
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.end(bytes);
    const [request] = await received;
    socket.destroy();
    return request;
  } finally {
    server.close();
    server.closeAllConnections();
  }
}
