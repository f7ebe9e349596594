import type Router from '@koa/router';
import { coversAll, expandScopeString, formatScope, intersectScopes, isValidScopeString, ownerScopes, parseScope, scopesBeyond } from '../scopes.ts';
import type { UserRow } from '../db/users.ts';
import { gatehouseError } from '../errors.ts';
import { readJson } from '../http/body.ts';
import { requireScope } from '../http/identity.ts';
import type { HubServices } from '../services.ts';
import { parseTokenId, tokenModel } from './models.ts';

const MAX_NOTE_LENGTH = 1000;
const MAX_EXPIRES_IN = 10 * 365 * 24 * 60 * 60;

export function tokenRoutes(router: Router, services: HubServices): void {
  const ownedToken = (name: string, rawId: string) => {
    const user = services.userAdmin.require(name);
    const id = parseTokenId(rawId);
    const row = id === undefined ? undefined : services.tokens.get(id);
    if (row === undefined || row.userId !== user.id || row.kind !== 'api') throw gatehouseError('GATEHOUSE_ERR_NOT_FOUND', 'no such token');
    return { user, row };
  };

  router.get('/users/:name/tokens', (ctx) => {
    const name = ctx.params['name'] as string;
    requireScope(ctx, 'tokens', { user: name });
    const user = services.userAdmin.require(name);
    ctx.body = { api_tokens: services.tokens.listFor(user.id).map((row) => tokenModel(row, name)) };
  });

  router.post('/users/:name/tokens', async (ctx) => {
    const name = ctx.params['name'] as string;
    const principal = requireScope(ctx, 'tokens', { user: name });
    const user = services.userAdmin.require(name);
    const body = (await readJson(ctx)) as Record<string, unknown>;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'expected a JSON object');
    const note = body['note'];
    if (note !== undefined && (typeof note !== 'string' || note.length > MAX_NOTE_LENGTH)) {
      throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', `note: expected a string of at most ${MAX_NOTE_LENGTH} characters`);
    }
    const expiresIn = body['expires_in'];
    if (expiresIn !== undefined && expiresIn !== null && (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn <= 0 || expiresIn > MAX_EXPIRES_IN)) {
      throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', `expires_in: expected a whole number of seconds from 1 to ${MAX_EXPIRES_IN} (10 years)`);
    }
    const scopes = body['scopes'] ?? ['inherit'];
    if (!Array.isArray(scopes) || !scopes.every((scope): scope is string => typeof scope === 'string' && isValidScopeString(scope))) {
      throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'scopes: expected a list of scope names (e.g. ["read:users!user=alice"])');
    }
    // A token never holds more than its owner, nor more than the token used to create it.
    // `inherit` from a token: the owner's scopes as far as the creating token holds them too.
    const creatorWithinOwner = () =>
      coversAll(principal.scopes, ownerScopes(user)) ? ['inherit'] : intersectScopes(principal.scopes, ownerScopes(user)).map(formatScope);
    let granted = principal.via === 'token' ? scopes.flatMap((scope) => (scope === 'inherit' ? creatorWithinOwner() : [scope])) : scopes;
    if (principal.user.id !== user.id && !services.config.adminAccess) granted = withoutServerAccessOrTokens(granted, user, name);
    const beyond = [
      ...scopesBeyond(granted, ownerScopes(user), user.name),
      ...(principal.via === 'token' ? scopesBeyond(granted, principal.scopes, user.name) : []),
    ];
    if (beyond.length > 0) throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', `a token cannot hold more than its owner or its creator: ${[...new Set(beyond)].join(', ')}`);
    const { token, row } = services.tokens.mint({
      userId: user.id,
      kind: 'api',
      scopes: granted,
      note: typeof note === 'string' ? note : undefined,
      expiresInSeconds: typeof expiresIn === 'number' ? expiresIn : undefined,
    });
    services.logger.info({ username: name, tokenId: row.id, actor: principal.user.name }, 'token created');
    ctx.status = 201;
    ctx.body = { ...tokenModel(row, name), token };
  });

  router.get('/users/:name/tokens/:id', (ctx) => {
    const name = ctx.params['name'] as string;
    requireScope(ctx, 'tokens', { user: name });
    ctx.body = tokenModel(ownedToken(name, ctx.params['id'] as string).row, name);
  });

  router.delete('/users/:name/tokens/:id', (ctx) => {
    const name = ctx.params['name'] as string;
    const principal = requireScope(ctx, 'tokens', { user: name });
    const { row } = ownedToken(name, ctx.params['id'] as string);
    services.tokens.revoke(row.id);
    services.logger.info({ username: name, tokenId: row.id, actor: principal.user.name }, 'token revoked');
    ctx.status = 204;
  });
}

/** Scopes a token made for someone else cannot hold without adminAccess. */
const OWNER_ONLY_SCOPES: ReadonlySet<string> = new Set(['access:servers', 'tokens']);

/**
 * Without adminAccess, a token someone makes for another user must not open that user's servers nor
 * mint or manage their credentials (tokens, second factor): `inherit` and `self` become the owner's
 * scopes minus access:servers and tokens (so the token cannot start a browser session either), and
 * asking for either outright is refused.
 */
function withoutServerAccessOrTokens(requested: readonly string[], owner: UserRow, name: string): string[] {
  const asked = requested.filter((text) => text !== 'inherit' && text !== 'self' && OWNER_ONLY_SCOPES.has(parseScope(text)?.name ?? ''));
  if (asked.length > 0) {
    throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', `without adminAccess, a token made for ${name} by someone else cannot hold ${asked.join(', ')}`);
  }
  return [...new Set(requested.flatMap((text) => expandScopeString(text, owner)).filter((scope) => !OWNER_ONLY_SCOPES.has(scope.name)).map(formatScope))];
}
