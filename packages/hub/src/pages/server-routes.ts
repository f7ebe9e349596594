import type Router from '@koa/router';
import type { Context } from 'koa';
import { allows } from '../scopes.ts';
import { mayOpenServer } from '../auth/server-access.ts';
import type { UserRow } from '../db/users.ts';
import { gatehouseError, isGatehouseError } from '../errors.ts';
import { startWithUserOptions } from '../servers/start-options.ts';
import { needsOptionsForm, profilesFor } from '../servers/user-options.ts';
import { formToUserOptions, renderProfileFormPage } from './profile-form.ts';
import { readForm } from '../http/body.ts';
import type { Principal } from '../http/identity.ts';
import { serverLabel } from '../servers/server-names.ts';
import type { HubServices } from '../services.ts';
import { html } from './html.ts';
import { pagePrincipal, xsrfTokenFor } from './page-helpers.ts';
import { renderErrorPage } from './error-page.ts';
import { renderSpawnPendingPage, serverControls, serverPath, serverUrl, type PageServer } from './server-pages.ts';

/** Owner, or an admin (admin:servers); anyone else is refused. */
function requireServerControl(services: HubServices, principal: Principal, owner: string, serverName: string): UserRow {
  if (!allows(principal.scopes, 'admin:servers', { user: owner, server: serverName })) {
    throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', `You may not control ${serverLabel(owner, serverName)}.`);
  }
  return services.userAdmin.require(owner);
}

/**
 * The pages' server actions. A path names the default server (`/hub/spawn/alice`) or a named one
 * (`/hub/spawn/alice/lab`); the home page's create form posts the new name as `server_name`.
 */
export function serverPageRoutes(router: Router, services: HubServices): void {
  const target = (ctx: Context): PageServer => ({ owner: ctx.params['name'] as string, serverName: (ctx.params['server'] as string | undefined) ?? '' });
  const profilesOf = (owner: UserRow) => profilesFor(services.config.profiles, { name: owner.name, groups: services.groups.namesOf(owner.id) });
  const renderOptionsForm = (ctx: Context, viewer: UserRow, owner: UserRow, serverName: string, error?: string) => {
    ctx.type = 'html';
    ctx.body = renderProfileFormPage({
      viewer,
      owner: owner.name,
      serverName,
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
  router.get('/hub/spawn/:name{/:server}', (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    const server = target(ctx);
    const owner = requireServerControl(services, principal, server.owner, server.serverName);
    if (services.servers.state(owner.name, server.serverName) !== 'stopped' || !needsOptionsForm(profilesOf(owner))) return ctx.redirect('/hub/home');
    renderOptionsForm(ctx, principal.user, owner, server.serverName);
  });

  router.post('/hub/spawn/:name{/:server}', async (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    const form = await readForm(ctx);
    services.xsrf.verify(ctx, form['_xsrf']);
    const created = form['server_name']?.trim() ?? '';
    const named = target(ctx);
    const server = named.serverName === '' && created !== '' ? { ...named, serverName: created } : named;
    const owner = requireServerControl(services, principal, server.owner, server.serverName);
    if (services.servers.state(owner.name, server.serverName) === 'stopped') {
      // A start button (home, retry) posts no options: show the form first when there is a choice to make.
      if (form['profile'] === undefined && needsOptionsForm(profilesOf(owner))) return ctx.redirect(`/hub/spawn/${serverPath(server)}`);
      try {
        startWithUserOptions(services, owner, formToUserOptions(form), server.serverName);
      } catch (error) {
        if (!isGatehouseError(error) || !['GATEHOUSE_ERR_INVALID_USER_OPTIONS', 'GATEHOUSE_ERR_PROFILE_NOT_ALLOWED'].includes(error.code)) throw error;
        ctx.status = error.status;
        renderOptionsForm(ctx, principal.user, owner, server.serverName, error.message);
        return;
      }
    }
    // Whoever may not open the server (an admin without adminAccess) follows it from the admin page instead.
    const mayOpen = mayOpenServer(principal, owner.name, server.serverName, services.config);
    ctx.redirect(mayOpen ? `/hub/spawn-pending/${serverPath(server)}` : `/hub/admin?done=started&user=${encodeURIComponent(owner.name)}`);
  });

  router.post('/hub/stop/:name{/:server}', async (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    services.xsrf.verify(ctx, (await readForm(ctx))['_xsrf']);
    const server = target(ctx);
    const owner = requireServerControl(services, principal, server.owner, server.serverName);
    await services.servers.stop(owner, server.serverName);
    ctx.redirect(principal.user.name === owner.name ? '/hub/home' : `/hub/admin?done=stopped&user=${encodeURIComponent(owner.name)}`);
  });

  // Stops a named server and forgets it (the API's DELETE with {"remove": true}).
  router.post('/hub/delete/:name/:server', async (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    services.xsrf.verify(ctx, (await readForm(ctx))['_xsrf']);
    const server = target(ctx);
    const owner = requireServerControl(services, principal, server.owner, server.serverName);
    await services.servers.remove(owner, server.serverName);
    ctx.redirect('/hub/home');
  });

  router.get('/hub/spawn-pending/:name{/:server}', (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    const server = target(ctx);
    const owner = requireServerControl(services, principal, server.owner, server.serverName);
    const state = services.servers.state(owner.name, server.serverName);
    if (state === 'running') return ctx.redirect(serverUrl(server));
    const problem = services.servers.lastProblem(owner.name, server.serverName);
    const failure = state === 'stopped' && problem?.kind === 'start-failed' ? problem : undefined;
    if (state !== 'pending' && failure === undefined) return ctx.redirect('/hub/home');
    ctx.type = 'html';
    ctx.body = renderSpawnPendingPage({ viewer: principal.user, server, xsrfToken: xsrfTokenFor(ctx, services), failure, now: services.now() });
  });

  // Where the proxy sends a request for a server that is not running (JupyterHub's /hub/user/…).
  router.get('/hub/user/:name{/*rest}', (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    const name = ctx.params['name'] as string;
    if (!mayOpenServer(principal, name, '', services.config)) {
      throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', `You may not open ${name}'s server.`);
    }
    const owner = services.userAdmin.require(name);
    const rest = ctx.originalUrl.slice(`/hub/user/${encodeURIComponent(name)}`.length) || '/';
    const server: PageServer = { owner: owner.name, serverName: namedServerOf(services, owner, rest) };
    if (!mayOpenServer(principal, name, server.serverName, services.config)) {
      throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', `You may not open ${serverLabel(owner.name, server.serverName)}.`);
    }
    const state = services.servers.state(owner.name, server.serverName);
    if (state === 'running') return ctx.redirect(`/user/${encodeURIComponent(owner.name)}${rest}`);
    if (state === 'pending') return ctx.redirect(`/hub/spawn-pending/${serverPath(server)}`);
    const xsrfToken = xsrfTokenFor(ctx, services);
    const canStart = allows(principal.scopes, 'admin:servers', { user: owner.name, server: server.serverName });
    ctx.status = 503;
    ctx.type = 'html';
    ctx.body = renderErrorPage(gatehouseError('GATEHOUSE_ERR_SERVER_NOT_RUNNING', `${serverLabel(owner.name, server.serverName)} is not running.`, { status: 503 }), {
      user: principal.user,
      xsrfToken,
      actions: canStart ? serverControls(server, state, xsrfToken) : html``,
    });
  });
}

/** `/lab/tree` names the server `lab` when the owner has a named server of that name; '' otherwise. */
function namedServerOf(services: HubServices, owner: UserRow, rest: string): string {
  const segment = /^\/([^/?]+)/.exec(rest)?.[1];
  if (segment === undefined) return '';
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    return '';
  }
  return services.serverRepository.get(owner.id, name) !== undefined || services.servers.state(owner.name, name) !== 'stopped' ? name : '';
}
