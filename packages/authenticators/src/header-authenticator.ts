import { identityFromHeader, type HeaderIdentity } from './header-identity.ts';
import { requireHost } from './host.ts';
import type { Authenticator, AuthenticatorHost, AuthResult, LoginRequest } from './types.ts';

/**
 * What the three header strategies have in common: no login form, one identity header (plus any
 * data headers) that the hub must strip before proxying, and an optional logout redirect.
 * Subclasses decide only what a believed name means (`authenticate`).
 */
export abstract class HeaderAuthenticator implements Authenticator {
  abstract readonly kind: string;
  readonly loginStyle = 'automatic' as const;
  abstract readonly description: string;
  /** The identity header, as configured. */
  readonly header: string;
  readonly trustedHeaders: readonly string[];
  readonly logoutRedirectUrl?: string;
  #host: AuthenticatorHost | undefined;

  /** `login` comes from `headerLoginOptions`, already validated; `dataHeaders` are trusted too. */
  protected constructor(login: { header: string; logoutRedirectUrl: string | undefined }, dataHeaders: readonly string[] = []) {
    this.header = login.header;
    this.trustedHeaders = Object.freeze([login.header, ...dataHeaders]);
    if (login.logoutRedirectUrl !== undefined) this.logoutRedirectUrl = login.logoutRedirectUrl;
  }

  init(host: AuthenticatorHost): void {
    this.#host = host;
  }

  abstract authenticate(request: LoginRequest): Promise<AuthResult>;

  protected get host(): AuthenticatorHost {
    return requireHost(this.#host, this.kind);
  }

  /** The name the trusted proxy sent, or the refusal (see identityFromHeader). */
  protected identify(request: LoginRequest): HeaderIdentity {
    return identityFromHeader(request, this.header, this.host.logger);
  }
}
