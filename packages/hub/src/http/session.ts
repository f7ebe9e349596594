import type Koa from 'koa';
import type { Context } from 'koa';
import createSession from 'koa-session';
import { newSessionId, type SessionStore } from '../db/sessions.ts';
import { singleCookieValue } from './cookie-header.ts';
import { cookieOptions } from './cookies.ts';
import { BIND_COOKIE, PROXY_SESSION_COOKIE, SESSION_COOKIE, type SessionBinding } from '../auth/session-cookies.ts';
const SESSION_COOKIE_PATH = '/hub/';

export interface SessionData {
  username: string;
}

/**
 * koa-session over our SQLite SessionStore: the cookie carries only a 256-bit random id, the
 * database only its hash. Expiry (idle and absolute) is enforced by the store on every lookup.
 */
export function sessionMiddleware(app: Koa, store: SessionStore, binding: SessionBinding, listener?: SessionCookieListener): Koa.Middleware {
  const maxAgeMs = store.lifetimes.maxAgeMs;
  const inner = createSession(
    {
      key: SESSION_COOKIE,
      path: SESSION_COOKIE_PATH,
      signed: false,
      httpOnly: true,
      sameSite: 'lax',
      maxAge: maxAgeMs,
      rolling: false,
      renew: false,
      genid: () => newSessionId(),
      store: {
        async get(id: string) {
          const record = store.lookup(id);
          return record === undefined ? undefined : { ...record.data, username: record.username };
        },
        async set(id: string, data: Record<string, unknown>) {
          if (typeof data['username'] === 'string') store.save(id, data['username'], data);
        },
        async destroy(id: string) {
          store.destroy(id);
        },
      },
      externalKey: {
        get: (ctx: Context) => boundSessionId(ctx.get('cookie') || undefined, binding) ?? '',
        set: (ctx: Context, id: string) => setSessionCookies(ctx, id, maxAgeMs, binding),
      },
    } as unknown as Parameters<typeof createSession>[0],
    app,
  ) as Koa.Middleware;
  if (listener === undefined) return inner;
  return (ctx, next) => {
    ctx.state[LISTENER_KEY] = listener;
    return inner(ctx, next);
  };
}

/** Told when a session's cookies are set and when they are cleared (the auth_request cookie follows them). */
export interface SessionCookieListener {
  issued(ctx: Context, sessionId: string, maxAgeMs: number): void;
  cleared(ctx: Context): void;
}

const LISTENER_KEY = 'sessionCookieListener';

function listenerOf(ctx: Context): SessionCookieListener | undefined {
  return ctx.state[LISTENER_KEY] as SessionCookieListener | undefined;
}

function setSessionCookies(ctx: Context, id: string, maxAgeMs: number, binding: SessionBinding): void {
  // A login in this request: what it renders afterwards binds to the new id, not the cookie it came with.
  ctx.state['sessionId'] = id;
  ctx.cookies.set(SESSION_COOKIE, id, cookieOptions(ctx, { path: SESSION_COOKIE_PATH, maxAge: maxAgeMs }));
  ctx.cookies.set(BIND_COOKIE, binding.tag(id), cookieOptions(ctx, { path: '/', maxAge: maxAgeMs }));
  ctx.cookies.set(PROXY_SESSION_COOKIE, id, cookieOptions(ctx, { path: '/user/', maxAge: maxAgeMs }));
  listenerOf(ctx)?.issued(ctx, id, maxAgeMs);
}

/**
 * The hub session id from a Cookie header: sent once, with the binding tag (Path=/) sent once and
 * matching it. Anything else — a copy tossed by a page on another port, a replaced tag — is no
 * session at all rather than a guess.
 */
export function boundSessionId(cookieHeader: string | undefined, binding: SessionBinding): string | undefined {
  const id = singleCookieValue(cookieHeader, SESSION_COOKIE);
  const tag = singleCookieValue(cookieHeader, BIND_COOKIE);
  if (id === undefined || id === null || tag === undefined || tag === null) return undefined;
  return binding.matches(id, tag) ? id : undefined;
}

/**
 * A signed-in browser without a usable proxy cookie (expired, or cleared after a conflict) gets it
 * again from the login page, instead of looping between /user/ and /hub/login.
 */
export function reissueProxyCookie(ctx: Context, maxAgeMs: number): void {
  const id = sessionIdOf(ctx);
  if (id !== undefined) ctx.cookies.set(PROXY_SESSION_COOKIE, id, cookieOptions(ctx, { path: '/user/', maxAge: maxAgeMs }));
}

/** Starts a fresh session for `username` (a new id: a planted cookie cannot fix the session). */
export async function beginSession(ctx: Context, username: string): Promise<void> {
  const data: SessionData = { username };
  ctx.session = data as unknown as typeof ctx.session;
  await (ctx.session as unknown as { regenerate(): Promise<void> }).regenerate();
}

/** Ends the session server-side and clears both cookies. */
export function endSession(ctx: Context): void {
  ctx.session = null;
  const cleared = [[SESSION_COOKIE, SESSION_COOKIE_PATH], [PROXY_SESSION_COOKIE, '/user/'], [BIND_COOKIE, '/']] as const;
  for (const [name, path] of cleared) {
    ctx.cookies.set(name, '', cookieOptions(ctx, { path, expires: new Date(0) }));
  }
  listenerOf(ctx)?.cleared(ctx);
}

/** The id of the live session (XSRF tokens are bound to it), if there is one. */
export function sessionIdOf(ctx: Context): string | undefined {
  if (sessionUsername(ctx) === undefined) return undefined;
  return (ctx.state['sessionId'] as string | undefined) ?? (ctx.cookies.get(SESSION_COOKIE) || undefined);
}

/** The username of the live session, if any. */
export function sessionUsername(ctx: Context): string | undefined {
  const session = ctx.session as unknown as Partial<SessionData> | null | undefined;
  return typeof session?.username === 'string' ? session.username : undefined;
}
