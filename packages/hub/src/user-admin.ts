import { normaliseUsername, usernameProblem, type AccountManagement, type AccountResult, type Authenticator, type UsernamePolicy } from '@gatehouse/authenticators';
import type { SessionStore } from './db/sessions.ts';
import type { UserRepository, UserRow } from './db/users.ts';
import { gatehouseError } from './errors.ts';
import type { Logger } from './log.ts';
import type { ServerStopper } from './servers/recorded-server-stop.ts';
import type { TokenStore } from './tokens/token-store.ts';

/**
 * User management written once, for the REST API, the admin page and the CLI: names are
 * normalised and validated by the same rule as logins; deleting a user stops their server and
 * ends their sessions and tokens at once.
 */
export class UserAdmin {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionStore,
    private readonly tokens: TokenStore,
    private readonly servers: ServerStopper,
    private readonly authenticator: Authenticator,
    private readonly policy: Pick<UsernamePolicy, 'pattern' | 'maxLength'>,
    private readonly logger: Logger,
    /** Config `totp.requiredFor: 'admins'`: a new admin's sessions (begun without a code) end. */
    private readonly adminsNeedSecondFactor: boolean,
  ) {}

  /** The normalised name, or GATEHOUSE_ERR_INVALID_USERNAME saying why not. */
  validName(raw: unknown): string {
    if (typeof raw !== 'string') throw gatehouseError('GATEHOUSE_ERR_INVALID_USERNAME', 'expected a username string');
    const name = normaliseUsername(raw);
    const problem = usernameProblem(name, this.policy);
    if (problem !== undefined) throw gatehouseError('GATEHOUSE_ERR_INVALID_USERNAME', `invalid username ${JSON.stringify(raw)}: ${problem}`);
    return name;
  }

  require(name: string): UserRow {
    const user = this.users.get(name);
    if (user === undefined) throw gatehouseError('GATEHOUSE_ERR_USER_NOT_FOUND', `no user named ${name}`);
    return user;
  }

  /**
   * Adds a user, with a local account when the authenticator keeps accounts (password null: the
   * account has none yet, e.g. for a one-time setup link). A policy refusal is a 400 with its reason.
   */
  async add(rawName: unknown, options: { admin: boolean; password?: string | null }, actor: string): Promise<UserRow> {
    const name = this.validName(rawName);
    const accounts = this.authenticator.accountManagement;
    if (this.users.get(name) !== undefined) throw gatehouseError('GATEHOUSE_ERR_USER_EXISTS', `the user ${name} already exists`);
    if (accounts !== undefined) {
      const password = accounts.usesPasswords ? (options.password ?? null) : null;
      accountResult(await accounts.addAccount(name, password));
    } else if (options.password !== undefined && options.password !== null) {
      throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', `the ${this.authenticator.kind} authenticator keeps no passwords`);
    }
    return this.create(name, options.admin, actor);
  }

  /** Admin reset of a local account's password; ends the user's sessions. */
  async resetPassword(name: string, password: string, actor: string): Promise<void> {
    const accounts = this.passwordAccounts();
    this.require(name);
    accountResult(await accounts.setPassword(name, password));
    this.sessions.destroyAllFor(name);
    this.logger.info({ username: name, actor }, 'password reset');
  }

  /** Approves a pending self-signup (signup: 'approval'). */
  async approve(name: string, actor: string): Promise<void> {
    const accounts = this.authenticator.accountManagement;
    if (accounts === undefined) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'this authenticator keeps no accounts');
    accountResult(await accounts.approve(name));
    if (this.users.get(name) === undefined) this.users.create(name, false);
    this.logger.info({ username: name, actor }, 'sign-up approved');
  }

  passwordAccounts(): AccountManagement {
    const accounts = this.authenticator.accountManagement;
    if (accounts === undefined || !accounts.usesPasswords) {
      throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', `the ${this.authenticator.kind} authenticator keeps no passwords`);
    }
    return accounts;
  }

  create(rawName: unknown, admin: boolean, actor: string): UserRow {
    const name = this.validName(rawName);
    if (this.users.get(name) !== undefined) throw gatehouseError('GATEHOUSE_ERR_USER_EXISTS', `the user ${name} already exists`);
    const user = this.users.create(name, admin);
    this.logger.info({ username: name, admin, actor }, 'user created');
    return user;
  }

  setAdmin(name: string, admin: boolean, actor: string): UserRow {
    const before = this.require(name);
    this.users.setAdmin(name, admin);
    this.logger.info({ username: name, admin, actor }, 'admin flag changed');
    if (admin && !before.admin) this.promoted(name, actor);
    return this.require(name);
  }

  /**
   * To be called whenever `name` has just become an admin (here, or at login by adminUsers or the
   * authenticator). When admins must have a second factor, every session of theirs ends: it may have
   * begun without a code, and must not carry admin rights; they sign in again, with the factor.
   */
  promoted(name: string, actor: string): void {
    if (!this.adminsNeedSecondFactor) return;
    const sessions = this.sessions.destroyAllFor(name);
    this.logger.info({ username: name, sessions, actor }, 'sessions ended: made an admin, who must sign in with a second factor');
  }

  /** Ends every session and API token of the user (their server keeps running). */
  revokeAccess(name: string, actor: string): { sessions: number; tokens: number } {
    const user = this.require(name);
    const sessions = this.sessions.destroyAllFor(name);
    const tokens = this.tokens.revokeAllFor(user.id, ['api', 'oauth', 'launch']);
    this.logger.info({ username: name, sessions, tokens, actor }, 'sessions and tokens revoked');
    return { sessions, tokens };
  }

  async delete(name: string, actor: string): Promise<void> {
    const user = this.require(name);
    if (name === actor) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'you cannot delete yourself');
    await this.servers.stopAll(user);
    await this.authenticator.accountManagement?.removeAccount(name);
    this.users.delete(name); // sessions, tokens and server rows go with it (ON DELETE CASCADE)
    this.logger.info({ username: name, actor }, 'user deleted');
  }
}

/** An authenticator's account refusal (weak password, exists…) as a 400 with its message. */
export function accountResult(result: AccountResult): void {
  if (!result.ok) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', result.message, result.field === undefined ? {} : { details: { field: result.field } });
}
