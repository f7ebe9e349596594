import type { IncomingMessage } from 'node:http';
import type { PrincipalCache } from '../auth/principal-cache.ts';
import { tokenFromAuthorization, type Principal } from '../auth/principal.ts';
import { allows } from '../auth/scopes.ts';
import { cookieValue } from '../http/cookie-header.ts';
import { PROXY_SESSION_COOKIE } from '../http/session.ts';

/** `/user/alice/tree?x` → `alice` (decoded), or undefined when the path is not a user path. */
export function userFromPath(url: string): string | undefined {
  if (!url.startsWith('/user/')) return undefined;
  const end = url.indexOf('/', 6);
  const query = url.indexOf('?', 6);
  const stop = end === -1 ? (query === -1 ? url.length : query) : query !== -1 && query < end ? query : end;
  const encoded = url.slice(6, stop);
  if (encoded === '') return undefined;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

/**
 * Who is asking: a valid API token in Authorization (`token`/`Bearer`), else the session cookie
 * scoped to /user/ (or `cookieName`: /hub/auth reads the auth_request cookie). A browser may send
 * Authorization schemes of its own (Basic from a front proxy, a single-user server's scheme), so an Authorization that is not a valid hub token falls back to
 * the cookie — it never grants anything by itself.
 */
export function proxyPrincipal(principals: PrincipalCache, req: IncomingMessage, cookieName = PROXY_SESSION_COOKIE): Principal | undefined {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const principal = principals.tokenPrincipal(tokenFromAuthorization(authorization));
    if (principal !== undefined || cookieValue(req.headers.cookie, cookieName) === undefined) return principal;
    // A browser request may carry the single-user server's own Authorization scheme; fall back to the cookie.
  }
  return principals.sessionPrincipal(cookieValue(req.headers.cookie, cookieName));
}

/** The owner always (with the access scope); admins only when adminAccess is on. */
export function mayAccessServer(principal: Principal, owner: string, adminAccess: boolean): boolean {
  if (!allows(principal.scopes, 'access:servers', { user: owner, server: '' })) return false;
  return principal.user.name === owner || (adminAccess && principal.user.admin);
}
