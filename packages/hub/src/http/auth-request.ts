import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'koa';
import { normaliseUsername } from '@gatehouse/authenticators';
import type { PrincipalCache } from '../auth/principal-cache.ts';
import { actsAsOwner } from '../auth/principal.ts';
import { whoIsAsking } from '../auth/who-is-asking.ts';
import type { Database } from '../db/database.ts';
import { sessionIdHash, type SessionRecord, type SessionStore } from '../db/sessions.ts';
import { singleCookieValue } from './cookie-header.ts';
import { cookieOptions } from './cookies.ts';
import { safeNextPath } from './redirect.ts';
import type { SessionCookieListener } from './session.ts';

/**
 * nginx `auth_request` against the hub's sessions: `GET /hub/auth` answers 200 with
 * X-Auth-Request-User and Remote-User for a signed-in browser or an API token that could start a
 * browser session as its owner (it holds all of the owner's scopes), 401 with a Location to the hub's
 * login (returning to X-Original-URI, a path on this host) without either, and 403 for a narrower
 * token or when `?user=a,b` or `?admin=1` rule the person out. nginx treats 2xx as allow, 401/403 as deny.
 *
 * The hub's own cookies stay scoped to /hub/ and /user/. Apps at other paths get an opt-in cookie,
 * `gatehouse-auth`, at each of config `authRequest.cookiePaths`: its own random value (never the
 * session id, so an app behind nginx that sees it cannot use it on the hub), stored hashed and tied
 * to the session row, so logout, revocation and expiry of the session end it on the next request.
 */
export const AUTH_COOKIE = 'gatehouse-auth';
export const AUTH_PATH = '/hub/auth';

/** auth_request cookies in SQLite: the hash of the cookie → the hash of the session it belongs to. */
export class AuthCookieStore {
  readonly #db: Database;
  readonly #sessions: SessionStore;
  readonly #select;

  constructor(db: Database, sessions: SessionStore) {
    this.#db = db;
    this.#sessions = sessions;
    this.#select = db.prepare<[string], { session_hash: string }>('SELECT session_hash FROM auth_cookies WHERE id_hash = ?');
  }

  /** A new cookie value for the session `sessionId` (which must be saved already). */
  mint(sessionId: string): string {
    const value = randomBytes(32).toString('base64url');
    this.#db.prepare('INSERT INTO auth_cookies (id_hash, session_hash) VALUES (?, ?)').run(sessionIdHash(value), sessionIdHash(sessionId));
    return value;
  }

  /** SessionStore.lookup() of the session a cookie value belongs to (same expiry rules). */
  lookup(value: string): SessionRecord | undefined {
    if (value.length === 0 || value.length > 128) return undefined;
    const row = this.#select.get(sessionIdHash(value));
    return row === undefined ? undefined : this.#sessions.lookupByHash(row.session_hash);
  }

  reusableUntil(record: SessionRecord): number {
    return this.#sessions.reusableUntil(record);
  }
}

/** Sets and clears `gatehouse-auth` with the session cookies, at every configured path (none: nothing). */
export function authCookieListener(store: Pick<AuthCookieStore, 'mint'>, cookiePaths: readonly string[]): SessionCookieListener | undefined {
  if (cookiePaths.length === 0) return undefined;
  // One name at several paths: `overwrite` would keep only the last path's Set-Cookie.
  const options = (ctx: Context, extra: { path: string; maxAge?: number; expires?: Date }) => ({ ...cookieOptions(ctx, extra), overwrite: false });
  return {
    issued(ctx: Context, sessionId: string, maxAgeMs: number) {
      const value = store.mint(sessionId);
      for (const path of cookiePaths) ctx.cookies.set(AUTH_COOKIE, value, options(ctx, { path, maxAge: maxAgeMs }));
    },
    cleared(ctx: Context) {
      for (const path of cookiePaths) ctx.cookies.set(AUTH_COOKIE, '', options(ctx, { path, expires: new Date(0) }));
    },
  };
}

/** `?user=a,b&admin=1` → who may pass; parsed per request (a handful of characters). */
function restrictions(query: string): { users?: Set<string>; admin: boolean } {
  const params = new URLSearchParams(query);
  const users = params.get('user');
  return {
    ...(users === null ? {} : { users: new Set(users.split(',').map(normaliseUsername).filter((name) => name !== '')) }),
    admin: params.get('admin') === '1',
  };
}

function loginLocation(req: IncomingMessage): string {
  const original = req.headers['x-original-uri'];
  const next = safeNextPath(typeof original === 'string' ? original : undefined);
  return `/hub/login?next=${encodeURIComponent(next)}`;
}

/** Names outside printable ASCII (a usernamePattern that allows them) are percent-encoded (UTF-8). */
function headerSafe(name: string): string {
  return /^[\x21-\x7e]+$/.test(name) ? name : encodeURIComponent(name);
}

function answer(res: ServerResponse, status: number, headers: Record<string, string>): void {
  res.writeHead(status, { 'cache-control': 'no-store', 'content-length': '0', ...headers });
  res.end();
}

/** Serves /hub/auth outside Koa, from the same kind of exact session cache the proxy uses. */
export class AuthRequestHandler {
  readonly #principals: PrincipalCache;

  /** `principals`: a PrincipalCache whose sessions are the AuthCookieStore (keyed by the gatehouse-auth value). */
  constructor(principals: PrincipalCache) {
    this.#principals = principals;
  }

  /** True for the request paths this handler answers. */
  static handles(url: string | undefined): boolean {
    return url !== undefined && url.startsWith(AUTH_PATH) && (url.length === AUTH_PATH.length || url[AUTH_PATH.length] === '?');
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.#answer(req, res);
    } catch {
      // Outside Koa nothing else would catch it: a throw here must not take the hub down.
      if (!res.headersSent) answer(res, 500, {});
      else res.destroy();
    }
  }

  #answer(req: IncomingMessage, res: ServerResponse): void {
    const principals = this.#principals;
    // An app behind nginx may have an Authorization scheme of its own: site 'app' (auth/who-is-asking.ts).
    const session = () => principals.sessionPrincipal(readAuthCookie(req.headers.cookie));
    const principal = whoIsAsking(principals, { authorization: req.headers.authorization, session }, 'app');
    if (principal === undefined) return answer(res, 401, { location: loginLocation(req) });
    // A narrower token (made by an admin for its owner, or cut down by the owner) proves no login.
    if (!actsAsOwner(principal)) return answer(res, 403, {});
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    if (queryAt !== -1) {
      const rule = restrictions(url.slice(queryAt + 1));
      if ((rule.users !== undefined && !rule.users.has(principal.user.name)) || (rule.admin && !principal.user.admin)) return answer(res, 403, {});
    }
    const name = headerSafe(principal.user.name);
    answer(res, 200, { 'x-auth-request-user': name, 'remote-user': name });
  }
}

/** The auth_request cookie, sent once (a second copy was set by someone else: no identity). */
function readAuthCookie(cookieHeader: string | undefined): string | undefined {
  return singleCookieValue(cookieHeader, AUTH_COOKIE) ?? undefined;
}
