/**
 * The Authenticator contract.
 *
 * An authenticator answers one question: who is making this login request? It never decides
 * whether that person may use the hub, whether they are an admin, or what their name must look
 * like — the outer login pipeline (`runLoginPipeline` in login-pipeline.ts) does that, once, for
 * every strategy: it calls `authenticate()`, normalises and validates the name, then applies the
 * hub's `blockedUsers`, `allowedUsers` and `adminUsers`. Strategies must not repeat that work.
 *
 * Life cycle: the hub constructs the class in `hub.config.ts` (constructors validate their own
 * options and throw `PluginOptionsError` naming the key), then calls `init(host)` once before it
 * listens. A throw from `init` stops the hub with that reason. Then `authenticate()` is called for
 * each login request, concurrently; implementations must be safe for that.
 *
 * A third-party authenticator is any class implementing this interface.
 */

import type { PluginLogger } from '@gatehouse/plugin-types';

// The contracts every plugin shares live in @gatehouse/plugin-types; re-exported for existing imports.
export { PluginOptionsError, type PluginLogger } from '@gatehouse/plugin-types';

/** What the hub knows about one login request. Header values are raw: nothing has been trusted yet. */
export interface LoginRequest {
  /** `GET /hub/login` (automatic login, e.g. from a front proxy's header) or `POST /hub/login` (a form). */
  readonly method: 'GET' | 'POST';
  /** Decoded form fields of a POST (`username`, `password`, …); empty for GET. */
  readonly form: Readonly<Record<string, string>>;
  /**
   * Node's `rawHeaders`: [name, value, name, value, …] exactly as received, so a strategy can see
   * repeated headers and alternative spellings (`Remote_User`, `REMOTE-USER`) that a map would merge.
   * Node gives values as latin1 (one character per byte); header strategies re-read UTF-8 (`headerText`).
   */
  readonly rawHeaders: readonly string[];
  /**
   * The client's address, for throttling and logs: the peer's own, or — only when the peer is a
   * trusted proxy — the last address that proxy appended to X-Forwarded-For. Trust decisions use
   * `fromTrustedProxy`, never this.
   */
  readonly remoteAddress: string;
  /**
   * True when the request comes from the hub's front proxy — its unix socket, or its shared secret
   * (the hub's `frontProxy`; never an address alone). Identity headers count only then.
   */
  readonly fromTrustedProxy: boolean;
}

/** Why an authentication attempt failed; the hub turns each into a page or a JSON error. */
export type AuthFailureReason =
  /** Nothing to authenticate with (no form fields, no header). */
  | 'missing-credentials'
  /** Wrong username or password. The message must not say which. */
  | 'invalid-credentials'
  /** Too many failures; `retryAfterSeconds` says when to try again. */
  | 'throttled'
  /** A self-signed-up account waiting for an admin. */
  | 'pending-approval'
  /** An identity header arrived on a request that is not the front proxy's. */
  | 'untrusted-source'
  /** The identity header was repeated, or came in two spellings. */
  | 'ambiguous-header'
  /** The strategy itself refuses this person (e.g. unknown to a closed account list). */
  | 'not-allowed';

export interface AuthSuccess {
  readonly ok: true;
  /** The name as the strategy knows it; the pipeline normalises and validates it. */
  readonly username: string;
  /** A strategy may grant admin (e.g. from its account records); `adminUsers` can only add to this. */
  readonly admin?: boolean;
  /** Private data kept with the user (encrypted at rest by the hub), e.g. the upstream real name. */
  readonly authState?: Readonly<Record<string, unknown>>;
  /**
   * The groups the person is in, when the strategy knows them (a front proxy's groups header). The
   * hub then makes the user a member of exactly these at each login (creating missing groups), and
   * applies `allowedGroups`/`adminGroups` to them. Absent: the hub's own memberships count.
   */
  readonly groups?: readonly string[];
}

export interface AuthFailure {
  readonly ok: false;
  readonly reason: AuthFailureReason;
  /** Safe to show to the person logging in. */
  readonly message?: string;
  readonly retryAfterSeconds?: number;
}

export type AuthResult = AuthSuccess | AuthFailure;

/** How the login page behaves for this authenticator. */
export type LoginStyle =
  /** A username/password form posted to `/hub/login`. */
  | 'form'
  /** No form: `GET /hub/login` authenticates from the request (a front proxy's header). */
  | 'automatic';

/** A local account record, kept by the hub in SQLite and handed to strategies that need one. */
export interface AccountRecord {
  readonly username: string;
  /** An encoded argon2id hash (`$argon2id$…`), or null for an account that has no password (yet). */
  readonly passwordHash: string | null;
  /** `pending` accounts signed up themselves and wait for an admin's approval. */
  readonly status: 'active' | 'pending';
  readonly createdAt: Date;
}

/** Storage the hub provides for account-based strategies. Synchronous: it is a local SQLite file. */
export interface AccountStore {
  get(username: string): AccountRecord | undefined;
  /** Throws if the account exists. */
  create(account: { username: string; passwordHash: string | null; status: AccountRecord['status'] }): AccountRecord;
  setPasswordHash(username: string, passwordHash: string): void;
  setStatus(username: string, status: AccountRecord['status']): void;
  delete(username: string): boolean;
  list(): AccountRecord[];
}

/**
 * Persistent failure counters for login throttling, so a restart does not reset a lockout.
 * Keys are opaque strings chosen by the strategy (e.g. `account:alice`, `address:127.0.0.9`).
 */
export interface ThrottleStore {
  recordFailure(key: string, at: Date): void;
  /** Failures recorded for `key` at or after `since`, oldest first. */
  failuresSince(key: string, since: Date): Date[];
  clear(key: string): void;
}

/** What the hub gives an authenticator at `init`. */
export interface AuthenticatorHost {
  readonly logger: PluginLogger;
  readonly accounts: AccountStore;
  readonly throttle: ThrottleStore;
  /** The address the hub will listen on, so a strategy can refuse unsafe exposure. */
  readonly listenAddress: string;
}

/** Outcome of an account operation that a person can fix (weak password, wrong current password…). */
export type AccountResult = { readonly ok: true } | { readonly ok: false; readonly message: string; readonly field?: 'username' | 'password' };

/**
 * Optional capability: the strategy keeps local account records the hub's admins manage (CLI
 * `useradd/passwd/userdel`, REST API, admin page). Usernames given here are already normalised
 * and validated by the hub. The methods use the host's AccountStore, so they work only after
 * `init(host)` — the CLI must call `init` too before it manages accounts.
 */
export interface AccountManagement {
  /** Whether accounts have passwords (LocalAuthenticator) or are just an allow-list (RemoteUserLocal…). */
  readonly usesPasswords: boolean;
  /** `closed`: only admins add accounts; `approval`: sign-ups wait for an admin; `open`: sign-ups are active. */
  readonly signup: 'closed' | 'approval' | 'open';
  /** Adds an active account. `password` null: no password yet (a one-time setup link sets it). */
  addAccount(username: string, password: string | null): Promise<AccountResult>;
  /** Self-signup (only when `signup` is not closed); the account is pending under `approval`. */
  signUp(username: string, password: string): Promise<AccountResult>;
  approve(username: string): Promise<AccountResult>;
  /** Admin reset or first-time setup: sets a new password after the policy check. */
  setPassword(username: string, password: string): Promise<AccountResult>;
  /** The user's own change: the current password must verify first. */
  changePassword(username: string, currentPassword: string, newPassword: string): Promise<AccountResult>;
  removeAccount(username: string): Promise<boolean>;
}

/** A data header value the hub must refuse, with the header's name and why (becomes a 400). */
export class UserDataError extends Error {
  readonly header: string;
  constructor(header: string, problem: string) {
    super(`${header}: ${problem}`);
    this.name = 'UserDataError';
    this.header = header;
  }
}

/**
 * Optional capability: per-user data posted by the front proxy to `POST /hub/data` as headers
 * (DataRemoteUserAuthenticator). The hub stores the accepted values with the user and passes
 * `environment()` of them to the spawner. `parse` trusts its input: call it only for a request
 * from a trusted proxy that the login pipeline has authenticated (the same request's identity header).
 */
export interface UserDataHandling {
  /** Accepted values by header name (as configured). Ignores unlisted headers; throws UserDataError. */
  parse(rawHeaders: readonly string[]): Record<string, unknown>;
  /** Environment variables for the user's server from the stored values (the configured mapping). */
  environment(data: Readonly<Record<string, unknown>>): Record<string, string>;
}

export interface Authenticator {
  /** A short, stable name for logs and pages, e.g. `dummy`, `remote-user`. */
  readonly kind: string;
  readonly loginStyle: LoginStyle;
  /** How people sign in, in words for the start banner: "local accounts (…)". Falls back to `kind`. */
  readonly description?: string;
  /** A line shown above the login form (the dummy authenticator says any password works). */
  readonly loginHint?: string;
  /**
   * Identity headers this strategy believes from a trusted front proxy. The hub's proxy removes
   * them, in every spelling, from everything it forwards to user servers.
   */
  readonly trustedHeaders: readonly string[];
  /** Where the browser is sent after logout; the hub's login page when absent. */
  readonly logoutRedirectUrl?: string;
  /** Called once before the hub listens. Throw (any Error) to stop the hub with that message. */
  init(host: AuthenticatorHost): void | Promise<void>;
  authenticate(request: LoginRequest): Promise<AuthResult>;
  /** Present when the strategy keeps local accounts (see AccountManagement). */
  readonly accountManagement?: AccountManagement;
  /** Present when the strategy accepts `POST /hub/data` (see UserDataHandling). */
  readonly userData?: UserDataHandling;
}

/** True when `value` has the shape of an Authenticator (used by the hub's config validator). */
export function isAuthenticator(value: unknown): value is Authenticator {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Authenticator>;
  return (
    typeof candidate.kind === 'string' &&
    (candidate.loginStyle === 'form' || candidate.loginStyle === 'automatic') &&
    Array.isArray(candidate.trustedHeaders) &&
    typeof candidate.init === 'function' &&
    typeof candidate.authenticate === 'function'
  );
}
