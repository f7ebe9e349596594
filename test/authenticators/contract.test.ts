import { describe, expect, it } from 'vitest';
import {
  DataRemoteUserAuthenticator,
  DummyAuthenticator,
  LocalAuthenticator,
  RemoteUserAuthenticator,
  RemoteUserLocalAuthenticator,
  isAuthenticator,
  normaliseUsername,
  runLoginPipeline,
  usernameProblem,
  type AuthFailureReason,
  type Authenticator,
  type AuthenticatorHost,
  type LoginRequest,
} from '@gatehouse/authenticators';
import { DEFAULT_POLICY, formRequest, proxiedRequest, useStoreFixtures } from './helpers.ts';

/**
 * The contract every authenticator must meet, run against each bundled strategy the way the hub
 * uses them: shape check (the config validator's isAuthenticator), init with a real host, then
 * logins through the shared runLoginPipeline.
 */
interface ContractSubject {
  readonly name: string;
  make(): Authenticator;
  /** Makes `upstreamName` able to log in (an account, for account-keeping strategies). */
  enrol(authenticator: Authenticator, upstreamName: string): Promise<void>;
  /** A request that should authenticate `upstreamName`. */
  request(upstreamName: string): LoginRequest;
}

const PASSWORD = 'violet-anchor-tandem-42';
const FAILURE_REASONS: readonly AuthFailureReason[] = [
  'missing-credentials',
  'invalid-credentials',
  'throttled',
  'pending-approval',
  'untrusted-source',
  'ambiguous-header',
  'not-allowed',
];

const nothingToEnrol = async () => {};
const headerRequest = (name: string) => proxiedRequest(['Host', 'hub.example', 'Remote-User', name]);

const SUBJECTS: readonly ContractSubject[] = [
  {
    name: 'DummyAuthenticator',
    make: () => new DummyAuthenticator({ password: PASSWORD }),
    enrol: nothingToEnrol,
    request: (name) => formRequest(name, PASSWORD),
  },
  { name: 'RemoteUserAuthenticator', make: () => new RemoteUserAuthenticator(), enrol: nothingToEnrol, request: headerRequest },
  {
    name: 'RemoteUserLocalAuthenticator',
    make: () => new RemoteUserLocalAuthenticator(),
    enrol: async (authenticator, name) => {
      expect(await authenticator.accountManagement?.addAccount(normaliseUsername(name), null)).toEqual({ ok: true });
    },
    request: headerRequest,
  },
  {
    name: 'DataRemoteUserAuthenticator',
    make: () => new DataRemoteUserAuthenticator({ dataHeaders: ['X-Team'] }),
    enrol: nothingToEnrol,
    request: headerRequest,
  },
  {
    name: 'LocalAuthenticator',
    make: () => new LocalAuthenticator(),
    enrol: async (authenticator, name) => {
      expect(await authenticator.accountManagement?.addAccount(normaliseUsername(name), PASSWORD)).toEqual({ ok: true });
    },
    request: (name) => formRequest(name, PASSWORD),
  },
];

function authenticatorContract(subject: ContractSubject): void {
  describe(`${subject.name} meets the Authenticator contract`, () => {
    const openStores = useStoreFixtures();

    async function ready(): Promise<{ authenticator: Authenticator; host: AuthenticatorHost }> {
      const { host } = openStores();
      const authenticator = subject.make();
      await authenticator.init(host);
      return { authenticator, host };
    }

    it('has the shape the hub config validator accepts', () => {
      const authenticator = subject.make();
      expect(isAuthenticator(authenticator)).toBe(true);
      expect(authenticator.kind).toMatch(/^[a-z][a-z-]*$/);
      expect(authenticator.trustedHeaders.every((header) => typeof header === 'string' && header.length > 0)).toBe(true);
      expect(authenticator.loginStyle === 'form').toBe(authenticator.trustedHeaders.length === 0);
    });

    it('initialises with a real host', async () => {
      const { host } = openStores();
      await expect(Promise.resolve(subject.make().init(host))).resolves.toBeUndefined();
    });

    it('refuses requests without credentials with a failure reason, not an exception', async () => {
      const { authenticator } = await ready();
      const empty: LoginRequest[] = [
        proxiedRequest([]),
        proxiedRequest([], { fromTrustedProxy: false }),
        { ...formRequest('', ''), form: {} },
        formRequest('', ''),
      ];
      for (const request of empty) {
        const result = await authenticator.authenticate(request);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(FAILURE_REASONS).toContain(result.reason);
        const outcome = await runLoginPipeline(authenticator, request, DEFAULT_POLICY);
        expect(outcome.ok).toBe(false);
      }
    });

    it('yields a normalised, valid username through the login pipeline', async () => {
      const { authenticator } = await ready();
      await subject.enrol(authenticator, 'Grace.Hopper');

      const outcome = await runLoginPipeline(authenticator, subject.request('  Grace.Hopper '), DEFAULT_POLICY);

      expect(outcome.ok).toBe(true);
      if (!outcome.ok) return;
      expect(outcome.username).toBe(normaliseUsername(outcome.username));
      expect(usernameProblem(outcome.username, DEFAULT_POLICY)).toBeUndefined();
      expect(outcome.admin).toBe(false);
    });

    it('answers concurrent logins each with its own result', async () => {
      const { authenticator } = await ready();
      const names = Array.from({ length: 12 }, (_, index) => `user${index}`);
      for (const name of names) await subject.enrol(authenticator, name);

      const outcomes = await Promise.all(names.map((name) => runLoginPipeline(authenticator, subject.request(name), DEFAULT_POLICY)));

      expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
      const usernames = outcomes.map((outcome) => (outcome.ok ? outcome.username : ''));
      expect(new Set(usernames).size).toBe(names.length);
      // Each outcome belongs to its own request: the same login, repeated alone, gives the same name.
      const alone = await runLoginPipeline(authenticator, subject.request('user7'), DEFAULT_POLICY);
      expect(alone.ok && alone.username).toBe(usernames[7]);
    });
  });
}

for (const subject of SUBJECTS) authenticatorContract(subject);
