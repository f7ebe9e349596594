import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { canonicalHeaderName } from '@gatehouse/authenticators';

/**
 * SPEC's header rules for everything forwarded to a user server, over HTTP and WebSocket alike.
 * Removed: the hub's own cookies; identity headers the hub trusts from its front proxy, in every
 * spelling (case, `_` for `-`); headers named in `Connection`; hop-by-hop headers; any
 * X-Forwarded-*, Forwarded or X-Real-IP from the client. Then set: X-Forwarded-For/-Proto/-Host,
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

/** Set by the proxy itself; a client's values would be lies about where the request came from. */
const FORWARDING = new Set(['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip']);

export const HUB_COOKIE_PREFIX = 'gatehouse-';

export interface HeaderRules {
  /** Canonical names (see canonicalHeaderName) of identity headers to remove in every spelling. */
  readonly identityHeaders: ReadonlySet<string>;
}

export function createHeaderRules(trustedHeaders: readonly string[]): HeaderRules {
  return { identityHeaders: new Set(['remote-user', ...trustedHeaders].map(canonicalHeaderName)) };
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
  if (!cookieHeader.includes(HUB_COOKIE_PREFIX)) return cookieHeader;
  const kept = cookieHeader
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !part.startsWith(HUB_COOKIE_PREFIX));
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/** Names listed in Connection headers (lower case): they are hop-by-hop for this request. */
function connectionListed(req: IncomingMessage): Set<string> {
  const listed = new Set<string>();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() !== 'connection') continue;
    for (const token of (raw[i + 1] as string).split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') listed.add(name);
    }
  }
  return listed;
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
    if (FORWARDING.has(name)) {
      if (context.fromTrustedProxy && name === 'x-forwarded-for') trustedForwardedFor = trustedForwardedFor ? `${trustedForwardedFor}, ${value}` : value;
      if (context.fromTrustedProxy && name === 'x-forwarded-proto') trustedProto ??= value.split(',')[0]?.trim();
      continue;
    }
    if (HOP_BY_HOP.has(name) || listed.has(name)) continue;
    if (rules.identityHeaders.has(canonicalHeaderName(name))) continue;
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
  out['x-forwarded-for'] = trustedForwardedFor ? `${trustedForwardedFor}, ${client}` : client;
  out['x-forwarded-proto'] = trustedProto === 'https' ? 'https' : 'http';
  if (out['host'] !== undefined) out['x-forwarded-host'] = out['host'];
  if (context.upgrade) {
    out['connection'] = 'Upgrade';
    out['upgrade'] = 'websocket';
  }
  return out;
}

/** Response headers from a user server, minus hop-by-hop ones and any attempt to set the hub's cookies. */
export function returnedHeaders(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (name === 'set-cookie') {
      const cookies = (Array.isArray(value) ? value : [value]).filter((line) => !line.trimStart().startsWith(HUB_COOKIE_PREFIX));
      if (cookies.length > 0) out[name] = cookies;
      continue;
    }
    out[name] = value;
  }
  return out;
}
