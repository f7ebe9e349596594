import { approveAccount, createAccount } from './account-records.ts';
import { HeaderAuthenticator } from './header-authenticator.ts';
import { HEADER_LOGIN_OPTION_KEYS, headerLoginOptions, type HeaderLoginOptions } from './header-identity.ts';
import { normaliseUsername } from './login-pipeline.ts';
import { optionalBoolean, optionsObject } from './options.ts';
import type { AccountManagement, AccountResult, AuthResult, LoginRequest } from './types.ts';

export interface RemoteUserLocalAuthenticatorOptions extends HeaderLoginOptions {
  /**
   * Create an active account the first time the proxy names someone unknown. Default false: the
   * account list is an allow-list that admins fill (`gatehouse useradd`, admin page, REST API).
   */
  readonly createUnknownUsers?: boolean;
}

const NO_PASSWORDS: AccountResult = {
  ok: false,
  field: 'password',
  message: 'Passwords are not supported: this hub signs people in through its front proxy.',
};

/**
 * RemoteUserAuthenticator plus local account records: the front proxy says who someone is, and the
 * hub's own account list says whether they may come in. Accounts have no passwords.
 */
export class RemoteUserLocalAuthenticator extends HeaderAuthenticator {
  readonly kind = 'remote-user-local';
  get description(): string {
    return `the front proxy's ${this.header} header, for people with an account on this hub`;
  }
  readonly createUnknownUsers: boolean;
  readonly accountManagement: AccountManagement;

  constructor(options: RemoteUserLocalAuthenticatorOptions = {}) {
    const checked = optionsObject(options, 'authenticator', [...HEADER_LOGIN_OPTION_KEYS, 'createUnknownUsers']);
    super(headerLoginOptions(checked));
    this.createUnknownUsers = optionalBoolean(checked['createUnknownUsers'], 'authenticator.createUnknownUsers') ?? false;
    this.accountManagement = this.#accountManagement();
  }

  protected async authenticateHeader(request: LoginRequest): Promise<AuthResult> {
    const identity = this.identify(request);
    if (!identity.ok) return identity;
    const username = normaliseUsername(identity.value);
    const { accounts, logger } = this.host;
    let account = accounts.get(username);
    if (account === undefined && this.createUnknownUsers) {
      // A concurrent first login may create it first; either way the account exists afterwards.
      if (createAccount(accounts, username, null, 'active').ok) logger.info({ username }, 'account created on first login');
      account = accounts.get(username);
    }
    if (account === undefined) {
      return { ok: false, reason: 'not-allowed', message: 'You have no account on this hub yet: an administrator must add you.' };
    }
    if (account.status === 'pending') return { ok: false, reason: 'pending-approval' };
    return { ok: true, username: account.username };
  }

  #accountManagement(): AccountManagement {
    const accounts = () => this.host.accounts;
    return {
      usesPasswords: false,
      signup: 'closed',
      addAccount: async (username, password) => (password === null ? createAccount(accounts(), username, null, 'active') : NO_PASSWORDS),
      signUp: async () => ({ ok: false, message: 'Sign-up is not supported: an administrator adds accounts.' }),
      approve: async (username) => approveAccount(accounts(), username),
      setPassword: async () => NO_PASSWORDS,
      changePassword: async () => NO_PASSWORDS,
      removeAccount: async (username) => accounts().delete(username),
    };
  }
}
