import { createHmac, timingSafeEqual } from 'node:crypto';

/** The hub's session cookie, scoped to /hub/ (pages and API). */
export const SESSION_COOKIE = 'gatehouse-session';
/**
 * The same session id, scoped to /user/ so the proxy can authenticate requests to user servers.
 * The proxy strips both before forwarding: a user server never sees either cookie. The two are tied
 * together by the binding tag below, the only one of the hub's cookies at Path=/.
 */
export const PROXY_SESSION_COOKIE = 'gatehouse-user-session';

/**
 * The `gatehouse-bind` cookie (Path=/): a tag of the session id, HMAC(secret, id), that reaches both
 * the hub's pages (/hub/) and the proxy (/user/). It is no credential — nothing can be done with it —
 * but it ties the two path-scoped session cookies together. Cookies ignore ports, so a page on another
 * port of this host can set a /user/ cookie of its own choosing; with the tag, a /user/ cookie that is
 * not the browser's own session disagrees with it, and the hub refuses a /hub/ session whose tag was
 * replaced. So a browser can never open someone else's server while its own hub session is usable by
 * that server's pages (which run on the hub's origin).
 */
export const BIND_COOKIE = 'gatehouse-bind';

export class SessionBinding {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  tag(sessionId: string): string {
    return createHmac('sha256', this.#secret).update(`bind:${sessionId}`).digest('base64url');
  }

  matches(sessionId: string, tag: string): boolean {
    const expected = Buffer.from(this.tag(sessionId));
    const given = Buffer.from(tag);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
