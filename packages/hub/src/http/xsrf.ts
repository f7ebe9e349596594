import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { gatehouseError } from '../errors.ts';
import { cookieOptions } from './cookies.ts';
import { sessionIdOf } from './session.ts';

export const XSRF_COOKIE = 'gatehouse-xsrf';
export const XSRF_HEADER = 'x-xsrftoken';
export const XSRF_FIELD = '_xsrf';

const NONCE_PATTERN = /^[A-Za-z0-9_-]{32,64}$/;

/**
 * XSRF protection for forms and cookie-authenticated API calls (`X-XSRFToken`). The token a form or
 * script must echo is an HMAC of something only this browser's own hub pages know:
 * - with a live session, the session id (HttpOnly, /hub/). Cookies ignore ports, so a page on
 *   another port of this host can set cookies for us, but it cannot read the session id: no cookie
 *   it tosses makes its token pass. A new session (every login) voids every earlier token.
 * - before login (the login, sign-up and setup forms), a random nonce in an HttpOnly cookie at
 *   /hub/. A tossed nonce/token pair passes only while the browser has no session at all.
 * Needs no server-side storage. We do not use an `_xsrf` cookie at `/`: the classic notebook sets its own there.
 */
export class XsrfGuard {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  /** The token for this browser now: bound to its session, or to its nonce (set when it has none). */
  tokenFor(ctx: Context): string {
    const sessionId = sessionIdOf(ctx);
    if (sessionId !== undefined) return this.#sign('session', sessionId);
    let nonce = nonceOf(ctx);
    if (nonce === undefined) {
      nonce = randomBytes(24).toString('base64url');
      ctx.cookies.set(XSRF_COOKIE, nonce, cookieOptions(ctx, { path: '/hub/' }));
      // Later code in this request (rendering another form) must see the same nonce.
      ctx.state['xsrfNonce'] = nonce;
    }
    return this.#sign('nonce', nonce);
  }

  /** Throws GATEHOUSE_ERR_XSRF unless the request echoes this browser's current token in the header or a form field. */
  verify(ctx: Context, formToken: string | undefined): void {
    const sessionId = sessionIdOf(ctx);
    const nonce = sessionId === undefined ? nonceOf(ctx) : undefined;
    const expected = sessionId !== undefined ? this.#sign('session', sessionId) : nonce !== undefined ? this.#sign('nonce', nonce) : undefined;
    const given = ctx.get(XSRF_HEADER) || formToken || '';
    if (expected === undefined || given === '' || !this.#matches(given, expected)) {
      throw gatehouseError('GATEHOUSE_ERR_XSRF', 'XSRF check failed: reload the page and try again');
    }
  }

  #sign(kind: 'session' | 'nonce', value: string): string {
    return createHmac('sha256', this.#secret).update(`xsrf:${kind}:${value}`).digest('base64url');
  }

  #matches(given: string, expected: string): boolean {
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

function nonceOf(ctx: Context): string | undefined {
  const nonce = (ctx.state['xsrfNonce'] as string | undefined) ?? ctx.cookies.get(XSRF_COOKIE);
  return nonce !== undefined && NONCE_PATTERN.test(nonce) ? nonce : undefined;
}
