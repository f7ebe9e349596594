import { isLoopbackAddress } from '@gatehouse/plugin-types';
import { optionsObject } from './options.ts';
import { secretsEqual } from './secrets.ts';
import { PluginOptionsError, type Authenticator, type AuthenticatorHost, type AuthResult, type LoginRequest } from './types.ts';

export interface DummyAuthenticatorOptions {
  /** The one password everybody shares. Without it ANY password is accepted: for tests only. */
  readonly password?: string;
  /**
   * The dummy authenticator refuses to run on a hub that listens beyond loopback unless this is
   * true, because anyone who can reach the hub could log in as anyone.
   */
  readonly allowNonLoopback?: boolean;
}

/**
 * For trying Gatehouse out and for tests: any username, with one shared password (or any password
 * when none is set). Never for real users.
 */
export class DummyAuthenticator implements Authenticator {
  readonly kind = 'dummy';
  readonly loginStyle = 'form' as const;
  readonly trustedHeaders: readonly string[] = [];
  readonly description: string;
  readonly loginHint: string;
  readonly #password: string | undefined;
  readonly #allowNonLoopback: boolean;

  constructor(options: DummyAuthenticatorOptions = {}) {
    optionsObject(options, 'authenticator', ['password', 'allowNonLoopback']);
    if (options.password !== undefined && (typeof options.password !== 'string' || options.password.length === 0)) {
      throw new PluginOptionsError('authenticator.password', 'expected a non-empty string');
    }
    if (options.allowNonLoopback !== undefined && typeof options.allowNonLoopback !== 'boolean') {
      throw new PluginOptionsError('authenticator.allowNonLoopback', 'expected a boolean');
    }
    this.#password = options.password;
    this.description = options.password === undefined ? 'the dummy authenticator: any name, any password (for trying out only)' : 'the dummy authenticator: any name with the shared password (for trying out only)';
    this.loginHint = options.password === undefined
      ? 'This is a test hub: any username and any password sign you in.'
      : 'This is a test hub: any username with the shared password signs you in.';
    this.#allowNonLoopback = options.allowNonLoopback ?? false;
  }

  init(host: AuthenticatorHost): void {
    if (!isLoopbackAddress(host.listenAddress) && !this.#allowNonLoopback) {
      throw new PluginOptionsError(
        'authenticator.allowNonLoopback',
        `the DummyAuthenticator lets anyone log in as anyone; refusing to listen on ${host.listenAddress}. ` +
          'Listen on 127.0.0.1, or set allowNonLoopback: true if you really mean it',
      );
    }
    host.logger.warn(
      { authenticator: this.kind, sharedPassword: this.#password !== undefined },
      this.#password === undefined
        ? '!!! DummyAuthenticator with NO password: anyone can log in as anyone with any password. For tests only. !!!'
        : '!!! DummyAuthenticator: anyone who knows the shared password can log in as anyone. Not for real users. !!!',
    );
  }

  async authenticate(request: LoginRequest): Promise<AuthResult> {
    const username = request.form['username'] ?? '';
    const password = request.form['password'] ?? '';
    if (request.method !== 'POST' || username.trim() === '') return { ok: false, reason: 'missing-credentials' };
    if (this.#password !== undefined && !secretsEqual(password, this.#password)) {
      return { ok: false, reason: 'invalid-credentials' };
    }
    return { ok: true, username };
  }
}
