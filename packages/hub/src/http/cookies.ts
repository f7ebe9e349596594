import type { Context } from 'koa';

type SetOption = NonNullable<Parameters<Context['cookies']['set']>[2]>;

/**
 * Options for every cookie the hub sets: HttpOnly, SameSite=Lax, unsigned (values are random ids
 * checked server-side), Secure per `ctx.state.secureCookies` (decided once per request in
 * http/request-context.ts).
 */
export function cookieOptions(ctx: Context, extra: { path: string; maxAge?: number; expires?: Date }): SetOption {
  const secure = ctx.state['secureCookies'] === true;
  // The cookies library refuses Secure on a plain connection unless told the client side is HTTPS.
  if (secure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
  return { httpOnly: true, sameSite: 'lax', signed: false, overwrite: true, secure, ...extra };
}
