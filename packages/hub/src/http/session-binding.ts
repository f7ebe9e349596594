import { createHmac, timingSafeEqual } from 'node:crypto';

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
