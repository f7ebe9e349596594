import type { Context } from 'koa';
import { principalOf } from '../http/identity.ts';
import type { HubServices } from '../services.ts';

/** Sends the browser to sign in, coming back here afterwards. */
export function loginRedirect(ctx: Context): void {
  ctx.redirect(`/hub/login?next=${encodeURIComponent(ctx.originalUrl)}`);
}

/** For page handlers: the signed-in principal, or a redirect to login (returns undefined). */
export function pagePrincipal(ctx: Context) {
  const principal = principalOf(ctx);
  if (principal === undefined) loginRedirect(ctx);
  return principal;
}

/** The XSRF token for forms on this page (also remembered for the error page's sign-out form). */
export function xsrfTokenFor(ctx: Context, services: HubServices): string {
  const token = services.xsrf.tokenFor(ctx);
  ctx.state['xsrfToken'] = token;
  return token;
}
