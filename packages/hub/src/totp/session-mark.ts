import type { Context } from 'koa';

/**
 * Session data key: how the login that began this session passed the second factor (`totp`,
 * `recovery-code`, `totp-enrolment`); absent when it passed none. Stored with the session row.
 */
export const SECOND_FACTOR_KEY = 'secondFactor';

/** Records in the session just begun (beginSession) how its login passed the second factor. */
export function recordSecondFactor(ctx: Context, via: string): void {
  (ctx.session as unknown as Record<string, unknown>)[SECOND_FACTOR_KEY] = via;
}

/** How the session's login passed the second factor, or undefined when it passed none. */
export function secondFactorOf(data: Readonly<Record<string, unknown>>): string | undefined {
  const via = data[SECOND_FACTOR_KEY];
  return typeof via === 'string' ? via : undefined;
}
