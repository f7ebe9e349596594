import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { canonicalHeaderName } from '@gatehouse/authenticators';
import { withoutCookiesNamed } from '../http/cookie-header.ts';

/**
 * The header rules (docs/headers.md) for everything forwarded to a user server, over HTTP and
 * WebSocket alike. Removed: the hub's own cookies; identity headers the hub trusts from its front
 * proxy, in every spelling (case, `_` for `-`); headers named in `Connection`; hop-by-hop headers;
 * any X-Forwarded-*, Forwarded or X-Real-IP from the client. Then set: X-Forwarded-For/-Proto/-Host,
 * and the server's own credential where it expects one.
 */

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/**
 * Set by the proxy itself; a client's values would be lies about where the request came from.
 * The whole X-Forwarded-* family goes (-Prefix, -Server, -Ssl, -Scheme, -Uri, -Path, … in any
 * spelling): frameworks believe members we have never heard of.
 */
function isForwardingHeader(canonical: string): boolean {
  return canonical.startsWith('x-forwarded-') || canonical === 'forwarded' || canonical === 'x-real-ip';
}

export const HUB_COOKIE_PREFIX = 'gatehouse-';

export interface HeaderRules {
  /** Canonical names (see canonicalHeaderName) of identity headers to remove in every spelling. */
  readonly identityHeaders: ReadonlySet<string>;
}

/** `secretHeader`: the front proxy's shared-secret header, which never leaves the hub either. */
export function createHeaderRules(trustedHeaders: readonly string[], secretHeader?: string): HeaderRules {
  const names = ['remote-user', ...trustedHeaders, ...(secretHeader === undefined ? [] : [secretHeader])];
  return { identityHeaders: new Set(names.map(canonicalHeaderName)) };
}

export interface ForwardContext {
  readonly clientAddress: string;
  readonly fromTrustedProxy: boolean;
  /** `token <server token>` to send instead of the client's Authorization, when the server expects it. */
  readonly authorization: string | undefined;
  /** Keep Connection: upgrade / Upgrade: websocket (WebSocket handshakes only). */
  readonly upgrade: boolean;
}

/** The Cookie header without the hub's cookies, or undefined when nothing is left. */
export function withoutHubCookies(cookieHeader: string): string | undefined {
  return withoutCookiesNamed(cookieHeader, HUB_COOKIE_PREFIX);
}

const NOTHING_LISTED: ReadonlySet<string> = new Set();

/** Names listed in Connection headers (lower case): they are hop-by-hop for this request. */
function connectionListed(req: IncomingMessage): ReadonlySet<string> {
  let listed: Set<string> | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() !== 'connection') continue;
    for (const token of (raw[i + 1] as string).split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') (listed ??= new Set()).add(name);
    }
  }
  return listed ?? NOTHING_LISTED;
}

/**
 * The headers to forward, as a plain object built from rawHeaders (so duplicate spellings that
 * Node keeps apart are each judged). Used for HTTP (undici) and WebSocket (http-proxy) alike.
 */
export function forwardedHeaders(req: IncomingMessage, rules: HeaderRules, context: ForwardContext): Record<string, string> {
  const listed = connectionListed(req);
  const out: Record<string, string> = {};
  const raw = req.rawHeaders;
  let trustedForwardedFor: string | undefined;
  let trustedProto: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    // Judged by canonical name, so `X_Forwarded_For` or `Remote_User` cannot slip past as a "different" header.
    const canonical = name.includes('_') ? canonicalHeaderName(name) : name;
    if (isForwardingHeader(canonical)) {
      if (context.fromTrustedProxy && name === 'x-forwarded-for') trustedForwardedFor = trustedForwardedFor ? `${trustedForwardedFor}, ${value}` : value;
      if (context.fromTrustedProxy && name === 'x-forwarded-proto') trustedProto ??= value.split(',')[0]?.trim();
      continue;
    }
    if (HOP_BY_HOP.has(canonical) || (listed.has(canonical) && canonical !== 'host')) continue;
    if (rules.identityHeaders.has(canonical)) continue;
    if (name === 'cookie') {
      const kept = withoutHubCookies(value);
      if (kept !== undefined) out['cookie'] = out['cookie'] ? `${out['cookie']}; ${kept}` : kept;
      continue;
    }
    if (name === 'authorization' && context.authorization !== undefined) continue;
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  if (context.authorization !== undefined) out['authorization'] = context.authorization;
  const client = context.clientAddress.startsWith('::ffff:') ? context.clientAddress.slice(7) : context.clientAddress;
  // A front proxy on the unix socket has no address of its own to append.
  const forwardedFor = trustedForwardedFor && client ? `${trustedForwardedFor}, ${client}` : trustedForwardedFor || client;
  if (forwardedFor) out['x-forwarded-for'] = forwardedFor;
  out['x-forwarded-proto'] = trustedProto === 'https' ? 'https' : 'http';
  if (out['host'] !== undefined) out['x-forwarded-host'] = out['host'];
  if (context.upgrade) {
    out['connection'] = 'Upgrade';
    out['upgrade'] = 'websocket';
  }
  return out;
}

type HeaderBag = IncomingHttpHeaders | Record<string, string | string[] | undefined>;

/** A Set-Cookie line that would set one of the hub's cookies (a nameless cookie counts too). */
function setsHubCookie(line: string): boolean {
  const pair = line.trimStart();
  const name = pair.slice(0, Math.max(0, pair.indexOf('='))).trim();
  return name.startsWith(HUB_COOKIE_PREFIX) || pair.startsWith('=') || (name === '' && pair.includes(HUB_COOKIE_PREFIX));
}

/** Set-Cookie lines without any that would set one of the hub's cookies. */
export function withoutHubSetCookies(value: string | string[]): string[] {
  return (Array.isArray(value) ? value : [value]).filter((line) => !setsHubCookie(line));
}

/** Removes, in place, any Set-Cookie of the hub's cookies (WebSocket handshake responses keep their other headers). */
export function stripHubSetCookies(headers: HeaderBag): void {
  const value = headers['set-cookie'];
  if (value === undefined) return;
  const kept = withoutHubSetCookies(value);
  if (kept.length > 0) headers['set-cookie'] = kept;
  else delete headers['set-cookie'];
}

/** Response headers from a user server, minus hop-by-hop ones (and those it names in Connection) and any attempt to set the hub's cookies. */
export function returnedHeaders(headers: HeaderBag): Record<string, string | string[]> {
  const connection = headers['connection'];
  const listed = connection === undefined ? undefined : new Set(String(connection).split(',').map((token) => token.trim().toLowerCase()));
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    if (name === 'set-cookie') {
      const cookies = withoutHubSetCookies(value);
      if (cookies.length > 0) out[name] = cookies;
      continue;
    }
    out[name] = value;
  }
  return out;
}
