import type Router from '@koa/router';
import { allows } from '../scopes.ts';
import { gatehouseError } from '../errors.ts';
import { readJson } from '../http/body.ts';
import { requirePrincipal, requireScope } from '../http/identity.ts';
import type { HubServices } from '../services.ts';
import { groupModel, type GroupModel } from './models.ts';
import { pagination, sendPage } from './pagination.ts';
import { objectBody } from './user-routes.ts';

/**
 * JupyterHub's groups API: `GET|POST|DELETE /groups[/:name]`, `POST|DELETE /groups/:name/users`
 * with `{"users": [...]}`. Reading needs read:groups, changing admin:groups (either may be filtered
 * with `!group=name`).
 */
export function groupRoutes(router: Router, services: HubServices): void {
  const model = (name: string): GroupModel => groupModel(name, services.groups.memberNames(services.groupAdmin.require(name).id));

  router.get('/groups', (ctx) => {
    const principal = requirePrincipal(ctx);
    const { offset, limit } = pagination(ctx);
    if (allows(principal.scopes, 'read:groups')) {
      const items = services.groups.list({ offset, limit }).map((group) => model(group.name));
      sendPage(ctx, items, { offset, limit, total: services.groups.count() }, '/hub/api/groups');
      return;
    }
    // Without the unfiltered scope: the groups named by read:groups!group= filters (none: an empty list, as in JupyterHub).
    const named = principal.scopes.filter((scope) => scope.name === 'read:groups' && scope.group !== undefined).map((scope) => scope.group as string);
    const readable = [...new Set(named)].sort().filter((name) => services.groups.get(name) !== undefined);
    sendPage(ctx, readable.slice(offset, offset + limit).map(model), { offset, limit, total: readable.length }, '/hub/api/groups');
  });

  // Several at once: {"groups": ["a", "b"], "users": [...]}, each created with those members.
  router.post('/groups', async (ctx) => {
    const principal = requireScope(ctx, 'admin:groups');
    const body = objectBody(await readJson(ctx));
    const names = body['groups'];
    if (!Array.isArray(names) || names.length === 0) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'groups: expected a non-empty list of names');
    const valid = names.map((name: unknown) => services.groupAdmin.validName(name));
    const existing = valid.filter((name) => services.groups.get(name) !== undefined);
    if (existing.length > 0) throw gatehouseError('GATEHOUSE_ERR_GROUP_EXISTS', `these groups already exist: ${existing.join(', ')}`);
    services.db.transaction(() => valid.forEach((name) => services.groupAdmin.create(name, body['users'], principal.user.name)));
    ctx.status = 201;
    ctx.body = valid.map(model);
  });

  router.get('/groups/:name', (ctx) => {
    const name = ctx.params['name'] as string;
    requireScope(ctx, 'read:groups', { group: name });
    ctx.body = model(name);
  });

  router.post('/groups/:name', async (ctx) => {
    const name = ctx.params['name'] as string;
    const principal = requireScope(ctx, 'admin:groups', { group: name });
    const body = objectBody(await readJson(ctx));
    services.groupAdmin.create(name, body['users'], principal.user.name);
    ctx.status = 201;
    ctx.body = model(name);
  });

  router.delete('/groups/:name', (ctx) => {
    const name = ctx.params['name'] as string;
    const principal = requireScope(ctx, 'admin:groups', { group: name });
    services.groupAdmin.delete(name, principal.user.name);
    ctx.status = 204;
  });

  router.post('/groups/:name/users', async (ctx) => {
    const name = ctx.params['name'] as string;
    const principal = requireScope(ctx, 'admin:groups', { group: name });
    services.groupAdmin.addMembers(name, membersOf(objectBody(await readJson(ctx))), principal.user.name);
    ctx.body = model(name);
  });

  router.delete('/groups/:name/users', async (ctx) => {
    const name = ctx.params['name'] as string;
    const principal = requireScope(ctx, 'admin:groups', { group: name });
    services.groupAdmin.removeMembers(name, membersOf(objectBody(await readJson(ctx))), principal.user.name);
    ctx.body = model(name);
  });
}

function membersOf(body: Record<string, unknown>): unknown {
  if (body['users'] === undefined) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'users: expected a list of usernames');
  return body['users'];
}
