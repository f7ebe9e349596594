import type { SessionStore } from '../db/sessions.ts';
import type { UserRepository, UserRow } from '../db/users.ts';
import type { TokenKind, TokenStore } from '../tokens/token-store.ts';
import { coversAll, effectiveTokenScopes, ownerScopes, type Scope } from '../scopes.ts';

/** Who is making a request, how they proved it, and what they may do. */
export interface Principal {
  readonly user: UserRow;
  /** `session`: a browser cookie (state-changing requests need XSRF); `token`: an API token. */
  readonly via: 'session' | 'token';
  readonly scopes: readonly Scope[];
  readonly tokenId?: number;
  readonly tokenKind?: TokenKind;
  /** For a server's own token: which of the user's servers it belongs to ('' the default). */
  readonly tokenServer?: string;
  /**
   * Set when an external service is asking (external-services/service-registry.ts): `user` is then a
   * row no person can be (`services/<name>`, id 0, not admin) and `scopes` are the service's own.
   */
  readonly service?: string;
}

/** Kinds of token accepted as `Authorization: token …` (launch tokens only work at their launch URL). */
const BEARER_KINDS: ReadonlySet<TokenKind> = new Set(['api', 'server', 'oauth']);

/**
 * Whether the principal stands for its owner in full, as a browser session does: a session, or an
 * API token holding every scope its owner holds. Only such a principal may prove the owner's login
 * to another app (/hub/auth) or manage the owner's second factor.
 */
export function actsAsOwner(principal: Principal): boolean {
  return principal.via === 'session' || (principal.tokenKind === 'api' && coversAll(principal.scopes, ownerScopes(principal.user)));
}

/** `token abc`, `Bearer abc` (any case) → `abc`. */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export interface PrincipalSources {
  readonly users: UserRepository;
  /** Sessions by the cookie's value (the hub's SessionStore, or the auth_request cookies' view of it). */
  readonly sessions: Pick<SessionStore, 'lookup' | 'reusableUntil'>;
  readonly tokens: TokenStore;
}

/** The principal of a live session's user (hub pages: koa-session looked the session up; the proxy: PrincipalCache). */
export function sessionPrincipal(sources: Pick<PrincipalSources, 'users'>, username: string | undefined): Principal | undefined {
  const user = username === undefined ? undefined : sources.users.get(username);
  return user === undefined ? undefined : { user, via: 'session', scopes: ownerScopes(user) };
}

/** A bearer token's principal with the token's expiry (epoch ms, Infinity when it never expires). */
export function resolveTokenPrincipal(sources: PrincipalSources, token: string): { principal: Principal; expiresAt: number } | undefined {
  const row = sources.tokens.resolve(token);
  if (row === undefined || !BEARER_KINDS.has(row.kind)) return undefined;
  const user = sources.users.getById(row.userId);
  if (user === undefined) return undefined;
  const principal: Principal = {
    user,
    via: 'token',
    scopes: effectiveTokenScopes(row.scopes, user),
    tokenId: row.id,
    tokenKind: row.kind,
    ...(row.kind === 'server' ? { tokenServer: row.serverName ?? '' } : {}),
  };
  return { principal, expiresAt: row.expiresAt === null ? Infinity : Date.parse(row.expiresAt) };
}
