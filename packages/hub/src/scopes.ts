/**
 * Authorisation by scopes: a subset of JupyterHub's, same spelling, so JupyterHub API clients work.
 *
 *   read:users      read user models           admin:users     create, change, delete users
 *   admin:servers   start and stop servers     access:servers  reach servers through the proxy
 *   users:activity  report activity            tokens          list, create, revoke tokens
 *   read:groups     read group models          admin:groups    create and delete groups, change members
 *   self            shorthand for "all of the above, for my own user" (never admin:users)
 *   inherit         (tokens only) whatever the owner may do, now and later
 *
 * A scope may carry a filter: `!user=alice` (that user), `!server=alice/` (that server only) or
 * `!group=staff` (that group, and the users in it: `read:users!group=staff` reads its members).
 * A token's scopes are always intersected with its owner's current scopes, so a token never holds
 * more than its owner — demoting an admin demotes their tokens at once.
 */
export const SCOPE_NAMES = ['read:users', 'admin:users', 'admin:servers', 'access:servers', 'users:activity', 'tokens', 'read:groups', 'admin:groups'] as const;
export type ScopeName = (typeof SCOPE_NAMES)[number];

export interface Scope {
  readonly name: ScopeName;
  /** undefined: every user. */
  readonly user?: string;
  /** Only with `user`: this server of that user ('' is the default server). */
  readonly server?: string;
  /** Never with `user`: this group, and its members. */
  readonly group?: string;
}

/** What the scope check is about: a user (with the groups they are in), one server of theirs, or a group. */
export interface ScopeTarget {
  readonly user?: string;
  readonly server?: string;
  /** The target user's groups, so `!group=` filters can match them. */
  readonly groups?: readonly string[];
  /** A group as the target (the groups API). */
  readonly group?: string;
}

const FILTER = /^(?<name>[a-z:]+)(?:!(?<kind>user|server|group)=(?<value>[^!]+))?$/;

export function isValidScopeString(text: string): boolean {
  return text === 'self' || text === 'inherit' || parseScope(text) !== undefined;
}

export function parseScope(text: string): Scope | undefined {
  const match = FILTER.exec(text);
  const name = match?.groups?.['name'];
  if (name === undefined || !(SCOPE_NAMES as readonly string[]).includes(name)) return undefined;
  const kind = match?.groups?.['kind'];
  const value = match?.groups?.['value'];
  if (kind === undefined || value === undefined) return { name: name as ScopeName };
  if (kind === 'user') return { name: name as ScopeName, user: value };
  if (kind === 'group') return { name: name as ScopeName, group: value };
  const slash = value.indexOf('/');
  if (slash <= 0) return undefined;
  return { name: name as ScopeName, user: value.slice(0, slash), server: value.slice(slash + 1) };
}

export function formatScope(scope: Scope): string {
  if (scope.group !== undefined) return `${scope.name}!group=${scope.group}`;
  if (scope.user === undefined) return scope.name;
  if (scope.server === undefined) return `${scope.name}!user=${scope.user}`;
  return `${scope.name}!server=${scope.user}/${scope.server}`;
}

/** Everything a user may do: all scopes for admins; their own things for everyone else. */
export function ownerScopes(user: { name: string; admin: boolean }): Scope[] {
  if (user.admin) return SCOPE_NAMES.map((name) => ({ name }));
  return selfScopes(user.name);
}

function selfScopes(name: string): Scope[] {
  return (['read:users', 'admin:servers', 'access:servers', 'users:activity', 'tokens'] as const).map((scope) => ({ name: scope, user: name }));
}

/** `granted` covers `wanted` when it is the same scope with an equal or broader filter. */
function covers(granted: Scope, wanted: Scope): boolean {
  if (granted.name !== wanted.name) return false;
  if (granted.group !== undefined) return wanted.group === granted.group;
  if (granted.user === undefined) return true;
  if (granted.user !== wanted.user) return false;
  if (granted.server === undefined) return true;
  return granted.server === wanted.server;
}

/**
 * The scopes a token really holds: its requested scopes (expanding `self` and `inherit`) that its
 * owner holds too.
 */
export function effectiveTokenScopes(tokenScopes: readonly string[], owner: { name: string; admin: boolean }): Scope[] {
  const ownerHas = ownerScopes(owner);
  const requested = tokenScopes.flatMap((text) => expandScopeString(text, owner));
  return requested.filter((scope) => ownerHas.some((held) => covers(held, scope)));
}

/** One scope string as scopes: `inherit` → the owner's, `self` → their own things, invalid → none. */
export function expandScopeString(text: string, owner: { name: string; admin: boolean }): Scope[] {
  if (text === 'inherit') return ownerScopes(owner);
  if (text === 'self') return selfScopes(owner.name);
  const scope = parseScope(text);
  return scope === undefined ? [] : [scope];
}

/** Whether `scopes` allow `name` on `target` (a user, or a user's server). */
export function allows(scopes: readonly Scope[], name: ScopeName, target?: ScopeTarget): boolean {
  return scopes.some((scope) => {
    if (scope.name !== name) return false;
    if (scope.group !== undefined) return target !== undefined && (target.group === scope.group || target.groups?.includes(scope.group) === true);
    if (scope.user === undefined) return true;
    if (target === undefined || scope.user !== target.user) return false;
    if (scope.server === undefined) return true;
    return target.server !== undefined && scope.server === target.server;
  });
}

/**
 * The requested scope strings not covered by `held` (`self` is judged as its expansion for
 * `owner`; `inherit` is always within bounds: it resolves to the owner's scopes when used).
 * Invalid strings count as not covered.
 */
export function scopesBeyond(requested: readonly string[], held: readonly Scope[], owner: string): string[] {
  return requested.filter((text) => {
    if (text === 'inherit') return false;
    const wanted = text === 'self' ? selfScopes(owner) : [parseScope(text)];
    return wanted.some((scope) => scope === undefined || !held.some((heldScope) => covers(heldScope, scope)));
  });
}

/** The scopes held by both sides: for each pair of the same scope, the narrower filter. */
export function intersectScopes(a: readonly Scope[], b: readonly Scope[]): Scope[] {
  const both: Scope[] = [];
  for (const left of a) {
    for (const right of b) {
      if (covers(left, right)) both.push(right);
      else if (covers(right, left)) both.push(left);
    }
  }
  return both;
}

/** Whether `held` covers every scope in `wanted`. */
export function coversAll(held: readonly Scope[], wanted: readonly Scope[]): boolean {
  return wanted.every((scope) => held.some((heldScope) => covers(heldScope, scope)));
}
