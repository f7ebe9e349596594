import { HeaderAuthenticator } from './header-authenticator.ts';
import { HEADER_LOGIN_OPTION_KEYS, headerLoginOptions, type HeaderLoginOptions } from './header-identity.ts';
import { optionsObject } from './options.ts';
import type { AuthResult, LoginRequest } from './types.ts';

export type RemoteUserAuthenticatorOptions = HeaderLoginOptions;

/**
 * Believes the user name a trusted front proxy (Apache, nginx, an SSO gateway) puts in a header,
 * by default `Remote-User`. Only requests from the hub's front proxy count (its `frontProxy` socket or secret); the hub strips the header,
 * in every spelling, from what it forwards to user servers.
 */
export class RemoteUserAuthenticator extends HeaderAuthenticator {
  readonly kind = 'remote-user';
  get description(): string {
    return `the front proxy's ${this.header} header (anyone it names)`;
  }

  constructor(options: RemoteUserAuthenticatorOptions = {}) {
    super(headerLoginOptions(optionsObject(options, 'authenticator', HEADER_LOGIN_OPTION_KEYS)));
  }

  protected async authenticateHeader(request: LoginRequest): Promise<AuthResult> {
    const identity = this.identify(request);
    return identity.ok ? { ok: true, username: identity.value } : identity;
  }
}
