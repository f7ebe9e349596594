import { decodeBase32, encodeBase32 } from './base32.ts';
import { HeaderAuthenticator } from './header-authenticator.ts';
import { HEADER_LOGIN_OPTION_KEYS, headerLoginOptions, type HeaderLoginOptions } from './header-identity.ts';
import { normaliseUsername } from './login-pipeline.ts';
import { optionsObject } from './options.ts';
import type { AuthResult, LoginRequest } from './types.ts';
import { HeaderUserData } from './user-data.ts';

export interface DataRemoteUserAuthenticatorOptions extends HeaderLoginOptions {
  /** Headers the front proxy may post to `POST /hub/data`, each carrying one JSON value. Default none. */
  readonly dataHeaders?: readonly string[];
  /** Largest accepted value of one data header, in UTF-8 bytes. Default 8192. */
  readonly maxValueBytes?: number;
  /**
   * Data header name → environment variable for the user's server, e.g. `{ 'X-Team': 'TEAM' }`.
   * Names match ^[A-Z_][A-Z0-9_]*$ and may not be the hub's own (`JUPYTERHUB_*`, USER, HOME, PATH).
   */
  readonly environment?: Readonly<Record<string, string>>;
}

const textEncoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The hub username for an upstream name. The rule, exactly:
 *   1. normalise the upstream name as the login pipeline does (NFKC, trim, lower case);
 *   2. take the UTF-8 bytes of that;
 *   3. encode them in RFC 4648 base32, lower-case the alphabet and drop the `=` padding.
 * So any upstream name — spaces, '/', emoji, any script — becomes a name of [a-z2-7] that is safe in
 * URLs, paths and process names, and two spellings that normalise alike are the same user.
 * Example: `Alice` → `alice` → `mfwgsy3f`.
 */
export function dataUsernameFor(remoteUser: string): string {
  return encodeBase32(textEncoder.encode(normaliseUsername(remoteUser)), { padding: false }).toLowerCase();
}

/**
 * The normalised upstream name behind a data username (not its original spelling: that is the
 * `realName` in the user's auth state), or undefined when `name` is not one `dataUsernameFor` makes.
 */
export function realNameFromDataUsername(name: string): string | undefined {
  try {
    const realName = strictUtf8.decode(decodeBase32(name));
    return dataUsernameFor(realName) === name ? realName : undefined;
  } catch {
    return undefined;
  }
}

/**
 * RemoteUserAuthenticator for upstream names that are not valid hub usernames (e-mail addresses
 * with '/', display names, any script): the hub name is a base32 encoding of the upstream name,
 * which is kept in the encrypted auth state. The front proxy may also post per-user JSON data as
 * headers to `POST /hub/data`, which becomes environment variables of the user's server.
 */
export class DataRemoteUserAuthenticator extends HeaderAuthenticator {
  readonly kind = 'data-remote-user';
  get description(): string {
    return `the front proxy's ${this.header} header, with data headers`;
  }
  readonly userData: HeaderUserData;

  constructor(options: DataRemoteUserAuthenticatorOptions = {}) {
    const checked = optionsObject(options, 'authenticator', [...HEADER_LOGIN_OPTION_KEYS, 'dataHeaders', 'maxValueBytes', 'environment']);
    const login = headerLoginOptions(checked);
    const userData = new HeaderUserData({
      identityHeader: login.header,
      dataHeaders: checked['dataHeaders'],
      maxValueBytes: checked['maxValueBytes'],
      environment: checked['environment'],
    });
    super(login, userData.headers);
    this.userData = userData;
  }

  protected async authenticateHeader(request: LoginRequest): Promise<AuthResult> {
    const identity = this.identify(request);
    if (!identity.ok) return identity;
    return { ok: true, username: dataUsernameFor(identity.value), authState: { realName: identity.value.trim() } };
  }
}
