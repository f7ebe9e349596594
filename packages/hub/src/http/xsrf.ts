import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { gatehouseError } from '../errors.ts';
import { cookieOptions } from './cookies.ts';

export const XSRF_COOKIE = 'gatehouse-xsrf';
export const XSRF_HEADER = 'x-xsrftoken';
export const XSRF_FIELD = '_xsrf';

/**
 * XSRF protection for forms and cookie-authenticated API calls: a random nonce lives in an
 * HttpOnly cookie scoped to /hub/; the token a form or script must echo is HMAC(secret, nonce).
 * It works before login (the login form) and needs no server-side storage. We do not use an
 * `_xsrf` cookie at `/`: the classic notebook sets its own there.
 */
export class XsrfGuard {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  /** The token for this browser, setting the nonce cookie when it has none. */
  tokenFor(ctx: Context): string {
    let nonce = ctx.cookies.get(XSRF_COOKIE);
    if (nonce === undefined || !/^[A-Za-z0-9_-]{32,64}$/.test(nonce)) {
      nonce = randomBytes(24).toString('base64url');
      ctx.cookies.set(XSRF_COOKIE, nonce, cookieOptions(ctx, { path: '/hub/' }));
      // Later code in this request (rendering) must see the same nonce.
      ctx.state['xsrfNonce'] = nonce;
    }
    return this.#sign(nonce);
  }

  /** Throws GATEHOUSE_ERR_XSRF unless the request echoes the token in the header or a form field. */
  verify(ctx: Context, formToken: string | undefined): void {
    const nonce = ctx.cookies.get(XSRF_COOKIE);
    const given = ctx.get(XSRF_HEADER) || formToken || '';
    if (nonce === undefined || given === '' || !this.#matches(given, this.#sign(nonce))) {
      throw gatehouseError('GATEHOUSE_ERR_XSRF', 'XSRF check failed: reload the page and try again');
    }
  }

  #sign(nonce: string): string {
    return createHmac('sha256', this.#secret).update(`xsrf:${nonce}`).digest('base64url');
  }

  #matches(given: string, expected: string): boolean {
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
