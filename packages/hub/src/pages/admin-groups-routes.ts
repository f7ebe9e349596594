import type Router from '@koa/router';
import type { Context } from 'koa';
import { isGatehouseError } from '../errors.ts';
import { readForm } from '../http/body.ts';
import { requireAdmin } from '../http/identity.ts';
import type { HubServices } from '../services.ts';
import { renderAdminGroupsPage } from './admin-groups-page.ts';
import { pagePrincipal, xsrfTokenFor } from './page-helpers.ts';

/** Fixed notices by name (never echoing query text), as on the users' admin page. */
const NOTICES: Record<string, string> = {
  created: 'Group created.',
  deleted: 'Group deleted.',
  added: 'Member added.',
  removed: 'Member removed.',
};

/**
 * `/hub/admin/groups`: admins manage groups with XSRF-protected forms (post/redirect/get). A refusal
 * (a bad name, an unknown user) is shown on the page it came from, with what went wrong.
 */
export function adminGroupRoutes(router: Router, services: HubServices): void {
  const render = (ctx: Context, error?: string) => {
    const viewer = requireAdmin(ctx).user;
    const done = typeof ctx.query['done'] === 'string' ? NOTICES[ctx.query['done']] : undefined;
    ctx.type = 'html';
    ctx.body = renderAdminGroupsPage({
      viewer,
      xsrfToken: xsrfTokenFor(ctx, services),
      groups: services.groups.list().map((group) => ({ name: group.name, members: services.groups.memberNames(group.id) })),
      notice: error === undefined ? done : undefined,
      error,
    });
  };

  router.get('/hub/admin/groups', (ctx) => {
    if (pagePrincipal(ctx) !== undefined) render(ctx);
  });

  const action = (path: string, work: (name: string, form: Record<string, string>, actor: string) => string) => {
    router.post(path, async (ctx) => {
      const actor = requireAdmin(ctx).user.name;
      const form = await readForm(ctx);
      services.xsrf.verify(ctx, form['_xsrf']);
      try {
        const done = work(ctx.params['name'] ?? '', form, actor);
        ctx.status = 303;
        ctx.redirect(`/hub/admin/groups?done=${done}`);
      } catch (error) {
        if (!isGatehouseError(error) || error.status >= 500) throw error;
        ctx.status = error.status;
        render(ctx, error.message);
      }
    });
  };

  action('/hub/admin/groups', (_name, form, actor) => {
    services.groupAdmin.create(form['name'] ?? '', [], actor);
    return 'created';
  });
  action('/hub/admin/groups/:name/delete', (name, _form, actor) => {
    services.groupAdmin.delete(name, actor);
    return 'deleted';
  });
  action('/hub/admin/groups/:name/add', (name, form, actor) => {
    services.groupAdmin.addMembers(name, [services.userAdmin.validName(form['username'] ?? '')], actor);
    return 'added';
  });
  action('/hub/admin/groups/:name/remove', (name, form, actor) => {
    services.groupAdmin.removeMembers(name, [form['username'] ?? ''], actor);
    return 'removed';
  });
}
