import type Router from '@koa/router';
import type { Context } from 'koa';
import { allows } from '../auth/scopes.ts';
import type { UserRow } from '../db/users.ts';
import { gatehouseError, isGatehouseError } from '../errors.ts';
import { startWithUserOptions } from '../servers/start-options.ts';
import { needsOptionsForm, profilesFor } from '../servers/user-options.ts';
import { formToUserOptions, renderProfileFormPage } from './profile-form.ts';
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
  const profilesOf = (owner: UserRow) => profilesFor(services.config.profiles, { name: owner.name, groups: services.groups.namesOf(owner.id) });
  const renderOptionsForm = (ctx: Context, viewer: UserRow, owner: UserRow, error?: string) => {
    ctx.type = 'html';
    ctx.body = renderProfileFormPage({
      viewer,
      owner: owner.name,
      xsrfToken: xsrfTokenFor(ctx, services),
      profiles: profilesOf(owner),
      remembered: services.spawnChoices.get(owner.id),
      error,
    });
  };

  // JupyterHub's own path for the spawn page.
  router.get('/hub/spawn', (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal !== undefined) ctx.redirect(`/hub/spawn/${encodeURIComponent(principal.user.name)}`);
  });

  // The spawn options form, when there is something to choose (servers/user-options.ts).
  router.get('/hub/spawn/:name', (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    const owner = requireServerControl(services, principal, ownerParam(ctx));
    if (services.servers.state(owner.name) !== 'stopped' || !needsOptionsForm(profilesOf(owner))) return ctx.redirect('/hub/home');
    renderOptionsForm(ctx, principal.user, owner);
  });

  router.post('/hub/spawn/:name', async (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    const form = await readForm(ctx);
    services.xsrf.verify(ctx, form['_xsrf']);
    const owner = requireServerControl(services, principal, ownerParam(ctx));
    if (services.servers.state(owner.name) === 'stopped') {
      // A start button (home, retry) posts no options: show the form first when there is a choice to make.
      if (form['profile'] === undefined && needsOptionsForm(profilesOf(owner))) return ctx.redirect(`/hub/spawn/${encodeURIComponent(owner.name)}`);
      try {
        startWithUserOptions(services, owner, formToUserOptions(form));
      } catch (error) {
        if (!isGatehouseError(error) || !['GATEHOUSE_ERR_INVALID_USER_OPTIONS', 'GATEHOUSE_ERR_PROFILE_NOT_ALLOWED'].includes(error.code)) throw error;
        ctx.status = error.status;
        renderOptionsForm(ctx, principal.user, owner, error.message);
        return;
      }
    }
    // An admin who may not open the server follows it from the admin page instead.
    const mayOpen = principal.user.name === owner.name || services.config.adminAccess;
    ctx.redirect(mayOpen ? `/hub/spawn-pending/${encodeURIComponent(owner.name)}` : `/hub/admin?done=started&user=${encodeURIComponent(owner.name)}`);
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
    if (principal.user.name !== name && !(services.config.adminAccess && principal.user.admin)) {
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
