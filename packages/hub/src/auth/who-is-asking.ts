import { tokenFromAuthorization, type Principal } from './principal.ts';

/**
 * Who is asking — the one policy for every request the hub answers: its pages and REST API, the
 * /user/ proxy (HTTP and WebSocket alike) and /hub/auth.
 *
 * 1. `Authorization: token X` or `Bearer X` presents a hub API token. A valid one decides, over any
 *    cookie the request also carries: a script's token means what it says, even from a browser that
 *    is signed in as someone else.
 * 2. Without such a header (none, or another scheme such as Basic added by a front proxy with
 *    auth_basic) the session cookie decides.
 * 3. A presented token that is not a valid hub token (unknown, expired, revoked, a launch token):
 *    - at the hub (`site: 'hub'`, /hub/ pages and /hub/api): the request has no identity. A script
 *      whose token was revoked must be told so (401/403), not quietly go on as whoever is signed in
 *      to the browser it happens to run in.
 *    - in front of an app (`site: 'app'`, /user/… and /hub/auth): the cookie decides. A user server's
 *      own pages (JupyterLab) send that server's `Authorization: token …` to /user/ paths by
 *      themselves; it is no hub token, and refusing it would lock the browser out of its own server.
 *      The bad token grants nothing: the cookie alone must prove who is asking.
 */
export type RequestSite = 'hub' | 'app';

/** What a request carries, as the caller reads it (the session is looked up only when the policy asks). */
export interface PresentedCredentials {
  /** The Authorization header as sent. */
  readonly authorization: string | undefined;
  /** The principal of the session cookie the request carries, if any and live. */
  session(): Principal | undefined;
}

/** How a bearer token becomes a principal (PrincipalCache, or an uncached lookup). */
export interface TokenPrincipals {
  tokenPrincipal(token: string | undefined): Principal | undefined;
}

/** The principal a request speaks for under the policy above, or undefined (unauthenticated). */
export function whoIsAsking(tokens: TokenPrincipals, credentials: PresentedCredentials, site: RequestSite): Principal | undefined {
  const token = tokenFromAuthorization(credentials.authorization);
  if (token === undefined) return credentials.session();
  const principal = tokens.tokenPrincipal(token);
  if (principal !== undefined || site === 'hub') return principal;
  return credentials.session();
}
