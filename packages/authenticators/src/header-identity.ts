import { canonicalHeaderName, headerValues } from './headers.ts';
import { headerNameOption, logoutRedirectUrlOption } from './options.ts';
import { PluginOptionsError, type AuthFailure, type LoginRequest, type PluginLogger } from './types.ts';

/**
 * The one set of rules for "who does the front proxy say this is?", shared by every header
 * strategy (RemoteUser, RemoteUserLocal, DataRemoteUser) so a fix to one is a fix to all.
 */

export const DEFAULT_IDENTITY_HEADER = 'Remote-User';

/** Options every header strategy has. */
export interface HeaderLoginOptions {
  /** The header the front proxy sets to the authenticated user's name. Default `Remote-User`. */
  readonly header?: string;
  /** Where logout sends the browser (e.g. the front proxy's own logout URL). */
  readonly logoutRedirectUrl?: string;
  /**
   * A header the front proxy sets to the person's groups, comma-separated (e.g. `Remote-Groups`).
   * Believed exactly like `header` (only from the front proxy, never repeated) and stripped before
   * proxying; the hub makes the user a member of exactly these groups at each login. Default: none.
   */
  readonly groupsHeader?: string;
}

export const HEADER_LOGIN_OPTION_KEYS = ['header', 'logoutRedirectUrl', 'groupsHeader'] as const;

/** Validated header options (see HeaderLoginOptions). */
export interface ResolvedHeaderLogin {
  readonly header: string;
  readonly logoutRedirectUrl: string | undefined;
  readonly groupsHeader: string | undefined;
}

export function headerLoginOptions(options: Readonly<Record<string, unknown>>): ResolvedHeaderLogin {
  const header = options['header'] === undefined ? DEFAULT_IDENTITY_HEADER : headerNameOption(options['header'], 'authenticator.header');
  const groupsHeader = options['groupsHeader'] === undefined ? undefined : headerNameOption(options['groupsHeader'], 'authenticator.groupsHeader');
  if (groupsHeader !== undefined && canonicalHeaderName(groupsHeader) === canonicalHeaderName(header)) {
    throw new PluginOptionsError('authenticator.groupsHeader', 'must differ from authenticator.header');
  }
  return {
    header,
    logoutRedirectUrl: logoutRedirectUrlOption(options['logoutRedirectUrl'], 'authenticator.logoutRedirectUrl'),
    groupsHeader,
  };
}

/**
 * Node hands header values over as latin1 (one character per byte). Front proxies send names as
 * UTF-8, so the bytes are re-read as UTF-8 when they are valid UTF-8; otherwise the value really was
 * latin1 and stays as it is. Characters above U+00FF cannot come off the wire: such a value was built
 * in-process and is already text.
 */
export function headerText(raw: string): string {
  if (/[^\u0000-\u00ff]/.test(raw)) return raw;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(raw, 'latin1'));
  } catch {
    return raw;
  }
}

export type HeaderIdentity = { readonly ok: true; readonly value: string } | AuthFailure;

/**
 * The name in `header`, or why there is none we may believe. Nothing counts unless the peer is a
 * trusted proxy; a repeated header or a second spelling (`Remote_User` beside `Remote-User`) is
 * refused because proxies differ in which copy they overwrite, so an attacker's copy could survive.
 */
export function identityFromHeader(request: LoginRequest, header: string, logger: PluginLogger): HeaderIdentity {
  const { values, spellings } = headerValues(request.rawHeaders, header);
  if (!request.fromTrustedProxy) {
    if (values.length === 0) return missing(header);
    // Log who tried, never the value: it is attacker-controlled and may be a real user's name.
    logger.warn({ header, remoteAddress: request.remoteAddress }, 'identity header from an untrusted address ignored');
    return { ok: false, reason: 'untrusted-source', message: `The ${header} header is only accepted from the hub's front proxy.` };
  }
  if (values.length > 1 || spellings > 1) {
    logger.warn({ header, remoteAddress: request.remoteAddress, copies: values.length }, 'identity header sent more than once');
    return { ok: false, reason: 'ambiguous-header', message: `The ${header} header was sent more than once.` };
  }
  const value = headerText(values[0] ?? '');
  if (value.trim() === '') return missing(header);
  return { ok: true, value };
}

function missing(header: string): AuthFailure {
  return {
    ok: false,
    reason: 'missing-credentials',
    message:
      `This hub signs people in through its front proxy, which did not send the ${header} header. ` +
      "Sign in through the proxy's address.",
  };
}
