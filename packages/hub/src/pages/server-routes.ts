import type Router from '@koa/router';
import type { Context } from 'koa';
import { allows } from '../auth/scopes.ts';
import { mayOpenServer } from '../auth/server-access.ts';
import { gatehouseError } from '../errors.ts';
import { readForm } from '../http/body.ts';
import type { Principal } from '../http/identity.ts';
import type { HubServices } from '../services.ts';
import { html } from './html.ts';
import { pagePrincipal, xsrfTokenFor } from './page-helpers.ts';
import { renderErrorPage } from './error-page.ts';
import { renderSpawnPendingPage, serverControls } from './server-pages.ts';

/** Owner, or an admin (admin:servers); anyone else is refused. */
function requireServerControl(services: HubServices, principal: Principal, owner: string) {
  if (!allows(principal.scopes, 'admin:servers', { user: owner, server: '' })) {
    throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', `You may not control ${owner}'s server.`);
  }
  return services.userAdmin.require(owner);
}

export function serverPageRoutes(router: Router, services: HubServices): void {
  const ownerParam = (ctx: Context) => ctx.params['name'] as string;

  router.post('/hub/spawn/:name', async (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    services.xsrf.verify(ctx, (await readForm(ctx))['_xsrf']);
    const owner = requireServerControl(services, principal, ownerParam(ctx));
    if (services.servers.state(owner.name) === 'stopped') services.servers.start(owner);
    // Whoever may not open the server (an admin without adminAccess) follows it from the admin page instead.
    ctx.redirect(mayOpenServer(principal, owner.name, '', services.config) ? `/hub/spawn-pending/${encodeURIComponent(owner.name)}` : `/hub/admin?done=started&user=${encodeURIComponent(owner.name)}`);
  });

  router.post('/hub/stop/:name', async (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    services.xsrf.verify(ctx, (await readForm(ctx))['_xsrf']);
    const owner = requireServerControl(services, principal, ownerParam(ctx));
    await services.servers.stop(owner);
    ctx.redirect(principal.user.name === owner.name ? '/hub/home' : `/hub/admin?done=stopped&user=${encodeURIComponent(owner.name)}`);
  });

  router.get('/hub/spawn-pending/:name', (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    const owner = requireServerControl(services, principal, ownerParam(ctx));
    const state = services.servers.state(owner.name);
    if (state === 'running') return ctx.redirect(`/user/${encodeURIComponent(owner.name)}/`);
    const problem = services.servers.lastProblem(owner.name);
    const failure = state === 'stopped' && problem?.kind === 'start-failed' ? problem : undefined;
    if (state !== 'pending' && failure === undefined) return ctx.redirect('/hub/home');
    ctx.type = 'html';
    ctx.body = renderSpawnPendingPage({ viewer: principal.user, owner: owner.name, xsrfToken: xsrfTokenFor(ctx, services), failure, now: services.now() });
  });

  // Where the proxy sends a request for a server that is not running (JupyterHub's /hub/user/…).
  router.get('/hub/user/:name{/*rest}', (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    const name = ownerParam(ctx);
    const rest = ctx.originalUrl.slice(`/hub/user/${encodeURIComponent(name)}`.length) || '/';
    if (!mayOpenServer(principal, name, '', services.config)) {
      throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', `You may not open ${name}'s server.`);
    }
    const owner = services.userAdmin.require(name);
    const state = services.servers.state(owner.name);
    if (state === 'running') return ctx.redirect(`/user/${encodeURIComponent(owner.name)}${rest}`);
    if (state === 'pending') return ctx.redirect(`/hub/spawn-pending/${encodeURIComponent(owner.name)}`);
    const xsrfToken = xsrfTokenFor(ctx, services);
    const canStart = allows(principal.scopes, 'admin:servers', { user: owner.name, server: '' });
    ctx.status = 503;
    ctx.type = 'html';
    ctx.body = renderErrorPage(gatehouseError('GATEHOUSE_ERR_SERVER_NOT_RUNNING', `${owner.name}'s server is not running.`, { status: 503 }), {
      user: principal.user,
      xsrfToken,
      actions: canStart ? serverControls(owner.name, state, xsrfToken) : html``,
    });
  });
}
