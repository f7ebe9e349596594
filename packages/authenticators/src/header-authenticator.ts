import { groupsFromHeader } from './groups.ts';
import { identityFromHeader, type HeaderIdentity, type ResolvedHeaderLogin } from './header-identity.ts';
import { requireHost } from './host.ts';
import type { Authenticator, AuthenticatorHost, AuthResult, LoginRequest } from './types.ts';

/**
 * What the three header strategies have in common: no login form, one identity header (plus an
 * optional groups header and any data headers) that the hub must strip before proxying, and an
 * optional logout redirect. Subclasses decide only what a believed name means (`authenticateHeader`);
 * the groups header is read here, once, and only after the identity header was believed.
 */
export abstract class HeaderAuthenticator implements Authenticator {
  abstract readonly kind: string;
  readonly loginStyle = 'automatic' as const;
  abstract readonly description: string;
  /** The identity header, as configured. */
  readonly header: string;
  /** The groups header, when configured. */
  readonly groupsHeader: string | undefined;
  readonly trustedHeaders: readonly string[];
  readonly logoutRedirectUrl?: string;
  #host: AuthenticatorHost | undefined;

  /** `login` comes from `headerLoginOptions`, already validated; `dataHeaders` are trusted too. */
  protected constructor(login: ResolvedHeaderLogin, dataHeaders: readonly string[] = []) {
    this.header = login.header;
    this.groupsHeader = login.groupsHeader;
    this.trustedHeaders = Object.freeze([login.header, ...(login.groupsHeader === undefined ? [] : [login.groupsHeader]), ...dataHeaders]);
    if (login.logoutRedirectUrl !== undefined) this.logoutRedirectUrl = login.logoutRedirectUrl;
  }

  init(host: AuthenticatorHost): void {
    this.#host = host;
  }

  async authenticate(request: LoginRequest): Promise<AuthResult> {
    const result = await this.authenticateHeader(request);
    if (!result.ok || this.groupsHeader === undefined) return result;
    const claim = groupsFromHeader(request, this.groupsHeader);
    if (!claim.ok) {
      this.host.logger.warn({ header: this.groupsHeader, remoteAddress: request.remoteAddress }, 'groups header sent more than once');
      return claim;
    }
    if (claim.ignored !== undefined) {
      this.host.logger.warn({ header: this.groupsHeader, ignored: claim.ignored }, 'group names that break the naming rule were ignored');
    }
    return { ...result, groups: claim.groups };
  }

  /** What the believed identity header means for this strategy (called for every login). */
  protected abstract authenticateHeader(request: LoginRequest): Promise<AuthResult>;

  protected get host(): AuthenticatorHost {
    return requireHost(this.#host, this.kind);
  }

  /** The name the trusted proxy sent, or the refusal (see identityFromHeader). */
  protected identify(request: LoginRequest): HeaderIdentity {
    return identityFromHeader(request, this.header, this.host.logger);
  }
}
