import { singleCookieValue } from '../http/cookie-header.ts';
import { BIND_COOKIE, PROXY_SESSION_COOKIE, type SessionBinding } from '../auth/session-cookies.ts';

/** A /user/ path's owner and the segment after it: the name of a named server, if one is running. */
export interface ServerPath {
  readonly owner: string;
  /** `/user/alice/lab/tree` → `lab`; undefined for `/user/alice/` or `/user/alice`. Decoded. */
  readonly segment: string | undefined;
}

/** `/user/alice/lab/tree?x` → `{ owner: 'alice', segment: 'lab' }`; undefined when not a user path. */
export function serverPathOf(url: string): ServerPath | undefined {
  if (!url.startsWith('/user/')) return undefined;
  const query = url.indexOf('?', 6);
  const pathname = query === -1 ? url : url.slice(0, query);
  const ownerEnd = pathname.indexOf('/', 6);
  const owner = decodeSegment(pathname.slice(6, ownerEnd === -1 ? undefined : ownerEnd));
  if (owner === undefined || owner === '') return undefined;
  if (ownerEnd === -1) return { owner, segment: undefined };
  const segmentEnd = pathname.indexOf('/', ownerEnd + 1);
  const segment = decodeSegment(pathname.slice(ownerEnd + 1, segmentEnd === -1 ? undefined : segmentEnd));
  return { owner, segment: segment === '' ? undefined : segment };
}

function decodeSegment(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

/**
 * The session id a /user/ request may be authenticated by: the proxy cookie, sent once, agreeing with
 * the binding tag (Path=/, auth/session-cookies.ts) when that is sent — as it always is by a browser
 * signed in here. Cookies ignore ports, so a page on another port can set a proxy cookie of its own
 * choosing: at /user/<name>/ (then two copies arrive) or over the browser's own at /user/ (then it
 * disagrees with the tag). Either way the request gets no identity, so a browser never opens a server
 * as someone else while its own hub session — usable by that server's pages, on the hub's origin —
 * is live. (Replacing the tag as well makes the hub refuse that hub session instead.)
 */
export function boundProxySessionId(cookieHeader: string | undefined, binding: SessionBinding): string | undefined {
  const id = singleCookieValue(cookieHeader, PROXY_SESSION_COOKIE);
  if (id === undefined || id === null) return undefined;
  const tag = singleCookieValue(cookieHeader, BIND_COOKIE);
  if (tag === null) return undefined;
  return tag === undefined || binding.matches(id, tag) ? id : undefined;
}

/** True when a proxy cookie was sent that boundProxySessionId refuses: someone else set a cookie. */
export function proxyCookieConflict(cookieHeader: string | undefined, binding: SessionBinding): boolean {
  return singleCookieValue(cookieHeader, PROXY_SESSION_COOKIE) !== undefined && boundProxySessionId(cookieHeader, binding) === undefined;
}
