import type Router from '@koa/router';
import type { Context } from 'koa';
import { allows, type Scope } from '../scopes.ts';
import type { UserRow } from '../db/users.ts';
import { gatehouseError } from '../errors.ts';
import { readJson } from '../http/body.ts';
import { requirePrincipal, requireScope } from '../http/identity.ts';
import type { HubServices } from '../services.ts';
import { userModelOf } from './models.ts';
import { pagination, sendPage } from './pagination.ts';
import { userTarget } from './targets.ts';

export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'expected a JSON object');
  return body as Record<string, unknown>;
}

function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', `${key}: expected true or false`);
  return value;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', `${key}: expected a string`);
  return value;
}

export function userRoutes(router: Router, services: HubServices): void {
  // JupyterHub's ?include_stopped_servers: stopped named servers are listed too.
  const includeStopped = (ctx: Context) => ctx.query['include_stopped_servers'] !== undefined && ctx.query['include_stopped_servers'] !== 'false';
  const model = (name: string, ctx?: Context) => userModelOf(services, services.userAdmin.require(name), ctx !== undefined && includeStopped(ctx));

  router.get('/users', (ctx) => {
    const principal = requirePrincipal(ctx);
    const { offset, limit } = pagination(ctx);
    const readAll = allows(principal.scopes, 'read:users');
    // Without the unfiltered scope: exactly the users named by the caller's read:users!user= and !group= filters.
    const readable = readAll ? [] : readableUsers(services, principal.scopes);
    const visible = readAll ? services.users.list({ offset, limit }) : readable.slice(offset, offset + limit);
    const total = readAll ? services.users.count() : readable.length;
    sendPage(ctx, visible.map((user) => userModelOf(services, user, includeStopped(ctx))), { offset, limit, total }, '/hub/api/users');
  });

  router.post('/users', async (ctx) => {
    const principal = requireScope(ctx, 'admin:users');
    const body = objectBody(await readJson(ctx));
    if (!Array.isArray(body['usernames']) || body['usernames'].length === 0) {
      throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'usernames: expected a non-empty list of names');
    }
    const admin = optionalBoolean(body, 'admin') ?? false;
    const names = body['usernames'].map((raw: unknown) => services.userAdmin.validName(raw));
    const fresh = [...new Set(names)].filter((name) => services.users.get(name) === undefined);
    if (fresh.length === 0) throw gatehouseError('GATEHOUSE_ERR_USER_EXISTS', 'all of these users already exist');
    for (const name of fresh) await services.userAdmin.add(name, { admin }, principal.user.name);
    ctx.status = 201;
    ctx.body = fresh.map((name) => model(name));
  });

  router.post('/users/:name', async (ctx) => {
    const principal = requireScope(ctx, 'admin:users');
    const body = objectBody(await readJson(ctx));
    const password = optionalString(body, 'password');
    const user = await services.userAdmin.add(ctx.params['name'], { admin: optionalBoolean(body, 'admin') ?? false, password }, principal.user.name);
    ctx.status = 201;
    ctx.body = model(user.name);
  });

  router.get('/users/:name', (ctx) => {
    const name = ctx.params['name'] as string;
    requireScope(ctx, 'read:users', userTarget(services, name));
    ctx.body = model(name, ctx);
  });

  router.patch('/users/:name', async (ctx) => {
    const name = ctx.params['name'] as string;
    const principal = requireScope(ctx, 'admin:users', { user: name });
    const body = objectBody(await readJson(ctx));
    const unknown = Object.keys(body).filter((key) => !['admin', 'password', 'approved'].includes(key));
    if (unknown.length > 0) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', `cannot change ${unknown.join(', ')}: only admin, password and approved can be changed`);
    if (optionalBoolean(body, 'approved') === true) await services.userAdmin.approve(name, principal.user.name);
    services.userAdmin.require(name);
    const admin = optionalBoolean(body, 'admin');
    const password = optionalString(body, 'password');
    if (password !== undefined) await services.userAdmin.resetPassword(name, password, principal.user.name);
    if (admin !== undefined) services.userAdmin.setAdmin(name, admin, principal.user.name);
    ctx.body = model(name);
  });

  router.delete('/users/:name', async (ctx) => {
    const name = ctx.params['name'] as string;
    const principal = requireScope(ctx, 'admin:users', { user: name });
    await services.userAdmin.delete(name, principal.user.name);
    ctx.status = 204;
  });

  router.post('/users/:name/activity', async (ctx) => {
    const name = ctx.params['name'] as string;
    requireScope(ctx, 'users:activity', { user: name });
    const user = services.userAdmin.require(name);
    const body = objectBody(await readJson(ctx));
    const readTime = (value: unknown, key: string): number | undefined => {
      if (value === undefined) return undefined;
      const at = typeof value === 'string' ? Date.parse(value) : NaN;
      if (Number.isNaN(at)) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', `${key}: expected an ISO 8601 timestamp`);
      return Math.min(at, Date.now());
    };
    const userAt = readTime(body['last_activity'], 'last_activity');
    const serverTimes = new Map<string, number>();
    const servers = body['servers'];
    if (servers !== undefined) {
      if (typeof servers !== 'object' || servers === null) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'servers: expected an object');
      for (const [serverName, server] of Object.entries(servers as Record<string, unknown>)) {
        const at = readTime((server as { last_activity?: unknown } | null)?.last_activity, `servers.${serverName}.last_activity`);
        if (at !== undefined) serverTimes.set(serverName, at);
      }
    }
    // A bare last_activity is the default server's (what older single-user servers send).
    if (serverTimes.size === 0 && userAt !== undefined) serverTimes.set('', userAt);
    const latest = Math.max(userAt ?? 0, ...serverTimes.values());
    // Committed before the answer: an acknowledged report survives a crash (the proxy's own notes are batched).
    if (latest > 0) services.activity.commit(user.id, user.name, latest, serverTimes);
    ctx.body = {};
  });
}

/** Users the read:users scopes filtered by user or group name, sorted by name. */
function readableUsers(services: HubServices, scopes: readonly Scope[]): UserRow[] {
  const names = new Set<string>();
  for (const scope of scopes) {
    if (scope.name !== 'read:users' || scope.server !== undefined) continue;
    if (scope.user !== undefined) names.add(scope.user);
    const group = scope.group === undefined ? undefined : services.groups.get(scope.group);
    if (group !== undefined) services.groups.memberNames(group.id).forEach((name) => names.add(name));
  }
  return [...names].sort().map((name) => services.users.get(name)).filter((user) => user !== undefined);
}
