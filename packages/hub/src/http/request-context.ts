import type { Context, Next } from 'koa';
import type { HubServices } from '../services.ts';

/** The hub's version as JupyterHub clients expect it (a PEP 440 version; jupyterhub-singleuser checks it). */
export const JUPYTERHUB_COMPAT_VERSION = '3.0.0';

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/**
 * Per-request facts decided once: whether the request comes from the front proxy (only then do we
 * believe its X-Forwarded-Proto), whether cookies must be Secure, and the security headers every hub
 * response carries.
 */
export function requestContext(services: HubServices) {
  return async function requestContextMiddleware(ctx: Context, next: Next): Promise<void> {
    const fromTrustedProxy = services.frontProxy.trusts(ctx.req);
    const forwardedProto = fromTrustedProxy ? ctx.get('x-forwarded-proto').split(',')[0]?.trim().toLowerCase() : '';
    const viaHttps = forwardedProto === 'https';
    const setting = services.config.cookieSecure;
    ctx.state['fromTrustedProxy'] = fromTrustedProxy;
    ctx.state['secureCookies'] = setting === 'auto' ? viaHttps || !services.listensOnLoopback : setting;
    ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('X-JupyterHub-Version', JUPYTERHUB_COMPAT_VERSION);
    await next();
  };
}

/**
 * The client's address: the socket peer, or, for a request from the front proxy, the address that
 * proxy reported last in X-Forwarded-For (so one attacker behind nginx does not lock everyone out).
 * A front proxy on the unix socket has no peer address: `unix` when it reported none.
 */
export function clientAddress(ctx: Context): string {
  const peer = ctx.req.socket.remoteAddress ?? 'unix';
  if (ctx.state['fromTrustedProxy'] !== true) return peer;
  const forwarded = ctx.get('x-forwarded-for').split(',').map((part) => part.trim()).filter((part) => part !== '');
  return forwarded.at(-1) ?? peer;
}
