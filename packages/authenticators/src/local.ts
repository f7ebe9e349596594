import { approveAccount, createAccount, noSuchAccount } from './account-records.ts';
import { applyDeclaredAccounts, declaredAccountsOption } from './declared-accounts.ts';
import { requireHost } from './host.ts';
import { normaliseUsername } from './login-pipeline.ts';
import { optionalChoice, optionalFunction, optionalInteger, optionsObject } from './options.ts';
import { hashForUnknownAccounts, hashIsOutdated, hashPassword, verifyPassword } from './password-hashing.ts';
import { DEFAULT_MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH, passwordProblem, passwordTooLong } from './password-policy.ts';
import { LoginThrottle, throttledFailure, throttleKeys, throttleOption, type ThrottleKeys, type ThrottleSettings } from './throttle.ts';
import type {
  AccountManagement,
  AccountRecord,
  AccountResult,
  Authenticator,
  AuthenticatorHost,
  AuthFailure,
  AuthResult,
  LoginRequest,
} from './types.ts';

export type SignupMode = AccountManagement['signup'];

export interface LocalAuthenticatorOptions {
  /** Shortest accepted new password, 8–1024 characters. Default 8 (NIST SP 800-63B's minimum). */
  readonly minPasswordLength?: number;
  /** `closed` (default): only admins add accounts; `approval`: sign-ups wait for an admin; `open`: sign-ups are active. */
  readonly signup?: SignupMode;
  /** Login throttling: 5 failures in 300 s lock an account for 900 s; 4 × as many lock a client address. */
  readonly throttle?: {
    readonly maxFailures?: number;
    readonly maxFailuresPerAddress?: number;
    readonly windowSeconds?: number;
    readonly lockoutSeconds?: number;
  };
  /**
   * Accounts kept in the config, `{ alice: '$argon2id$…' }` with hashes from `gatehouse hash-password`:
   * at every start each exists, is active and has this hash (a password changed on the hub lasts
   * until the next start). Default: none; accounts live only in the data dir.
   */
  readonly accounts?: Readonly<Record<string, string>>;
  /** The clock; for tests that step past a lockout. Default `() => new Date()`. */
  readonly now?: () => Date;
}

type Verified = { readonly ok: true; readonly account: AccountRecord } | { readonly ok: false; readonly failure: AuthFailure };

const INVALID: AuthFailure = { ok: false, reason: 'invalid-credentials' };

/**
 * Username and password accounts kept by the hub (in SQLite), hashed with argon2id. Failed logins
 * are throttled per account and per client address, persistently, and unknown names cost the same
 * time as wrong passwords so that the login form does not reveal which accounts exist.
 */
export class LocalAuthenticator implements Authenticator {
  readonly kind = 'local';
  readonly description = 'local accounts (passwords hashed with argon2id in the data directory)';
  readonly loginStyle = 'form' as const;
  readonly trustedHeaders: readonly string[] = Object.freeze([]);
  readonly minPasswordLength: number;
  readonly signup: SignupMode;
  readonly throttle: ThrottleSettings;
  readonly accountManagement: AccountManagement;
  readonly #throttle: LoginThrottle;
  #host: AuthenticatorHost | undefined;
  readonly #declared: ReadonlyMap<string, string>;

  constructor(options: LocalAuthenticatorOptions = {}) {
    const checked = optionsObject(options, 'authenticator', ['minPasswordLength', 'signup', 'throttle', 'accounts'], ['now']);
    this.#declared = declaredAccountsOption(checked['accounts'], 'authenticator.accounts');
    this.minPasswordLength =
      optionalInteger(checked['minPasswordLength'], 'authenticator.minPasswordLength', DEFAULT_MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH) ??
      DEFAULT_MIN_PASSWORD_LENGTH;
    this.signup = optionalChoice(checked['signup'], 'authenticator.signup', ['closed', 'approval', 'open'] as const) ?? 'closed';
    this.throttle = throttleOption(checked['throttle']);
    const now = optionalFunction<() => Date>(checked['now'], 'authenticator.now') ?? (() => new Date());
    this.#throttle = new LoginThrottle(() => this.#initialised().throttle, this.throttle, now);
    this.accountManagement = this.#accountManagement();
  }

  async init(host: AuthenticatorHost): Promise<void> {
    this.#host = host;
    applyDeclaredAccounts(this.#declared, host.accounts, host.logger);
    // Made now, so the first login with an unknown name is not slower than later ones.
    await hashForUnknownAccounts();
  }

  async authenticate(request: LoginRequest): Promise<AuthResult> {
    const username = normaliseUsername(request.form['username'] ?? '');
    const password = request.form['password'] ?? '';
    if (request.method !== 'POST' || username === '' || password === '') return { ok: false, reason: 'missing-credentials' };
    const keys = throttleKeys(username, request.remoteAddress);
    return this.#throttle.exclusive(keys, async () => {
      const verified = await this.#verify(username, password, keys);
      if (!verified.ok) return verified.failure;
      if (verified.account.status === 'pending') return { ok: false, reason: 'pending-approval' };
      return { ok: true, username: verified.account.username };
    });
  }

  /**
   * The throttled password check shared by login and password change. Must run inside
   * `exclusive(keys)`. While a key is locked the password is not even looked at.
   */
  async #verify(username: string, password: string, keys: ThrottleKeys): Promise<Verified> {
    const locked = this.#throttle.retryAfterSeconds(keys);
    if (locked > 0) return { ok: false, failure: throttledFailure(locked) };
    const { accounts } = this.#initialised();
    const account = accounts.get(username);
    const hash = account?.passwordHash ?? (await hashForUnknownAccounts());
    const matches = !passwordTooLong(password) && (await verifyPassword(hash, password)) && account?.passwordHash != null;
    if (account === undefined || !matches) {
      // Unknown names count too: otherwise "never locks" would tell an attacker the name is free.
      this.#throttle.recordFailure(keys);
      const lockedNow = this.#throttle.retryAfterSeconds(keys);
      return { ok: false, failure: lockedNow > 0 ? throttledFailure(lockedNow) : INVALID };
    }
    this.#throttle.clear(keys.account);
    if (hashIsOutdated(hash)) accounts.setPasswordHash(username, await hashPassword(password));
    return { ok: true, account };
  }

  #initialised(): AuthenticatorHost {
    return requireHost(this.#host, this.kind);
  }

  /** The policy check, then the hash: a refused password is never hashed. */
  async #hashNewPassword(username: string, password: string): Promise<{ ok: true; hash: string } | { ok: false; result: AccountResult }> {
    const problem = passwordProblem(password, username, this.minPasswordLength);
    if (problem !== undefined) return { ok: false, result: { ok: false, field: 'password', message: problem } };
    return { ok: true, hash: await hashPassword(password) };
  }

  async #createWithPassword(username: string, password: string, status: AccountRecord['status']): Promise<AccountResult> {
    const hashed = await this.#hashNewPassword(username, password);
    return hashed.ok ? createAccount(this.#initialised().accounts, username, hashed.hash, status) : hashed.result;
  }

  async #setPassword(username: string, password: string): Promise<AccountResult> {
    const { accounts } = this.#initialised();
    if (accounts.get(username) === undefined) return noSuchAccount(username);
    const hashed = await this.#hashNewPassword(username, password);
    if (!hashed.ok) return hashed.result;
    accounts.setPasswordHash(username, hashed.hash);
    // A new password is a fresh start: an admin reset also lifts the account's lock.
    this.#throttle.clear(throttleKeys(username).account);
    return { ok: true };
  }

  async #changePassword(username: string, currentPassword: string, newPassword: string): Promise<AccountResult> {
    const keys = throttleKeys(username);
    // The current-password check is a password oracle like the login form, so it is throttled the same way.
    return this.#throttle.exclusive(keys, async () => {
      const verified = await this.#verify(username, currentPassword, keys);
      if (!verified.ok) {
        const { failure } = verified;
        const message = failure.reason === 'throttled' ? (failure.message as string) : 'The current password is incorrect.';
        return { ok: false, field: 'password', message };
      }
      return this.#setPassword(username, newPassword);
    });
  }

  #accountManagement(): AccountManagement {
    return {
      usesPasswords: true,
      signup: this.signup,
      addAccount: async (username, password) =>
        password === null
          ? createAccount(this.#initialised().accounts, username, null, 'active')
          : this.#createWithPassword(username, password, 'active'),
      signUp: async (username, password) => {
        if (this.signup === 'closed') return { ok: false, message: 'Sign-up is closed: ask an administrator for an account.' };
        return this.#createWithPassword(username, password, this.signup === 'approval' ? 'pending' : 'active');
      },
      approve: async (username) => approveAccount(this.#initialised().accounts, username),
      setPassword: (username, password) => this.#setPassword(username, password),
      changePassword: (username, currentPassword, newPassword) => this.#changePassword(username, currentPassword, newPassword),
      removeAccount: async (username) => {
        this.#throttle.clear(throttleKeys(username).account);
        return this.#initialised().accounts.delete(username);
      },
    };
  }
}
