import type Router from '@koa/router';
import type { Context } from 'koa';
import { mayOpenServer } from '../auth/server-access.ts';
import { gatehouseError, isGatehouseError } from '../errors.ts';
import { readForm } from '../http/body.ts';
import { requireAdmin } from '../http/identity.ts';
import { ServerListing, type ServerListingSort, type SortDirection } from '../db/server-listing.ts';
import { serverLabel } from '../servers/server-names.ts';
import { startWithUserOptions } from '../servers/start-options.ts';
import { profileSlugOf } from '../servers/user-options.ts';
import type { HubServices } from '../services.ts';
import { throttleKeys } from '@gatehouse/authenticators';
import { renderAdminPage, type AdminFlash } from './admin-page.ts';
import { renderServersTable, type AdminCounts, type AdminTableModel } from './admin-servers-table.ts';
import { html, layout } from './html.ts';
import { pagePrincipal, xsrfTokenFor } from './page-helpers.ts';
import { mintSetupLink } from './setup-routes.ts';

const PAGE_SIZE = 50;
const SORTS: readonly ServerListingSort[] = ['user', 'server', 'status', 'activity'];
const DIRECTIONS: readonly SortDirection[] = ['asc', 'desc'];

/** A query parameter that must be one of `allowed` (anything else: the default). */
function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.find((candidate) => candidate === value) ?? fallback;
}

/** The search as the listing takes it: trimmed, lower case. */
function searchOf(value: unknown): string {
  return typeof value === 'string' ? value.trim().toLowerCase() : '';
}
const LOG_TAIL_BYTES = 64 * 1024;

/** Fixed notices (never echoing arbitrary query text into the page). */
const NOTICES: Record<string, (name: string) => string> = {
  added: (name) => `Added ${name}.`,
  deleted: (name) => `Deleted ${name}.`,
  admin: (name) => `Changed ${name}'s role.`,
  password: (name) => `Reset ${name}'s password and ended their sessions.`,
  revoked: (name) => `Ended ${name}'s sessions and revoked their tokens.`,
  approved: (name) => `Approved ${name}.`,
  totp: (name) => `Reset ${name}'s second factor.`,
  started: (name) => `Starting ${name}'s server.`,
  unlocked: (name) => `Lifted the login lock on ${name}: they may try their password again.`,
  stopped: (name) => `Stopped ${name}'s server.`,
};

const FLASH_KEY = 'adminFlash';

/** Post/redirect/get: what an action has to say rides, sealed, in the session to the next GET /hub/admin. */
function setFlash(ctx: Context, services: HubServices, flash: AdminFlash): void {
  const session = ctx.session as unknown as Record<string, unknown> | null;
  if (session !== null) session[FLASH_KEY] = services.box.seal(JSON.stringify(flash));
}

function takeFlash(ctx: Context, services: HubServices): AdminFlash {
  const session = ctx.session as unknown as Record<string, unknown> | null;
  const sealed = session?.[FLASH_KEY];
  if (session === null || typeof sealed !== 'string') return {};
  delete session[FLASH_KEY];
  const opened = services.box.open(sealed);
  return opened === undefined ? {} : (JSON.parse(opened) as AdminFlash);
}

export function adminPageRoutes(router: Router, services: HubServices): void {
  const listing = new ServerListing(services.db);

  /** The table's rows for this request's query string (?q, ?sort, ?dir, ?offset). */
  const table = (ctx: Context): AdminTableModel => {
    const principal = requireAdmin(ctx);
    const search = searchOf(ctx.query['q']);
    const sort = oneOf(ctx.query['sort'], SORTS, 'user');
    const direction = oneOf(ctx.query['dir'], DIRECTIONS, 'asc');
    const offset = Math.max(0, Number.parseInt(String(ctx.query['offset'] ?? '0'), 10) || 0);
    const accounts = services.accounts;
    const rows = listing.page({ search, sort, direction, offset, limit: PAGE_SIZE }).map((row) => ({
      user: row.user,
      serverName: row.serverName,
      profile: profileLabel(row.userOptions),
      state: services.servers.state(row.user.name, row.serverName),
      lastActivity: row.lastActivity ?? readyAt(row.user.name, row.serverName),
      account: accounts.get(row.user.name),
      secondFactor: services.secondFactor.isActive(row.user),
      mayOpen: mayOpenServer(principal, row.user.name, row.serverName, services.config),
    }));
    return {
      viewer: principal.user,
      xsrfToken: xsrfTokenFor(ctx, services),
      rows,
      listing: { search, sort, direction, offset, pageSize: PAGE_SIZE, total: listing.count(search) },
      counts: counts(),
      usesPasswords: services.config.authenticator.accountManagement?.usesPasswords === true,
      now: services.now(),
    };
  };

  const counts = (): AdminCounts => ({ users: services.users.count(), ...services.servers.counts() });

  /** A running server not used yet: its start is its activity, as the idle culler counts it. */
  const readyAt = (username: string, serverName: string): string | null => {
    const route = services.servers.route(username, serverName);
    return route === undefined ? null : new Date(route.readyAt).toISOString();
  };

  /** A profile's name as people see it, from the options a server was started with. */
  const profileLabel = (userOptions: Readonly<Record<string, unknown>>): string => {
    const slug = profileSlugOf(userOptions);
    if (slug === undefined) return '';
    return services.config.profiles.find((profile) => profile.slug === slug)?.displayName ?? slug;
  };

  const render = (ctx: Context, flash: AdminFlash) => {
    const viewer = requireAdmin(ctx).user;
    const accounts = services.accounts;
    const done = typeof ctx.query['done'] === 'string' ? NOTICES[ctx.query['done']] : undefined;
    const who = typeof ctx.query['user'] === 'string' ? ctx.query['user'] : '';
    ctx.type = 'html';
    ctx.body = renderAdminPage({
      viewer,
      xsrfToken: xsrfTokenFor(ctx, services),
      table: table(ctx),
      pendingSignups: accounts.list().filter((account) => account.status === 'pending'),
      counts: counts(),
      usesPasswords: services.config.authenticator.accountManagement?.usesPasswords === true,
      isolation: services.config.spawner.isolation,
      notice: done?.(who),
      flash,
      culls: { enabled: services.culler.enabled, recent: services.culler.recentCulls() },
      now: services.now(),
    });
  };

  /**
   * Runs an admin action from a form, then redirects to the admin page (post/redirect/get): a notice
   * by name, a new setup link or a refusal through the session. A refused add keeps what was typed.
   */
  const action = (path: string, work: (ctx: Context, form: Record<string, string>, actor: string) => Promise<string | { setupLink: string; user: string }>) => {
    router.post(path, async (ctx) => {
      const actor = requireAdmin(ctx).user.name;
      const form = await readForm(ctx);
      services.xsrf.verify(ctx, form['_xsrf']);
      try {
        const outcome = await work(ctx, form, actor);
        if (typeof outcome === 'string') {
          ctx.redirect(`/hub/admin?done=${outcome}&user=${encodeURIComponent(ctx.params['name'] ?? form['username'] ?? '')}`);
          return;
        }
        setFlash(ctx, services, { setupLink: { user: outcome.user, url: outcome.setupLink } });
      } catch (error) {
        if (!isGatehouseError(error) || error.status >= 500) throw error;
        const adding = ctx.params['name'] === undefined;
        setFlash(ctx, services, adding ? { addUser: { username: form['username'] ?? '', admin: form['admin'] === '1', error: error.message } } : { error: error.message });
      }
      ctx.status = 303;
      ctx.redirect('/hub/admin');
    });
  };

  router.get('/hub/admin', (ctx) => {
    if (pagePrincipal(ctx) !== undefined) render(ctx, takeFlash(ctx, services));
  });

  // The table alone, for admin-table.js: a search as it is typed, and the states every few seconds.
  router.get('/hub/admin/servers-table', (ctx) => {
    if (pagePrincipal(ctx) === undefined) return;
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = renderServersTable(table(ctx)).toString();
  });

  /** Start all / stop all: every server the search matches, then back to the same search. */
  const bulk = (path: string, work: (search: string, actor: string) => Promise<AdminFlash>) => {
    router.post(path, async (ctx) => {
      const actor = requireAdmin(ctx).user.name;
      const form = await readForm(ctx);
      services.xsrf.verify(ctx, form['_xsrf']);
      const search = searchOf(form['q']);
      setFlash(ctx, services, await work(search, actor));
      ctx.status = 303;
      ctx.redirect(search === '' ? '/hub/admin' : `/hub/admin?q=${encodeURIComponent(search)}`);
    });
  };
  bulk('/hub/admin/servers/start-all', async (search, actor) => {
    let started = 0;
    for (const row of listing.matching(search, ['stopped'])) {
      const owner = row.user;
      // A server starts as it last did: its recorded options, or for a default server without a record the owner's remembered ones.
      const options = row.serverName === '' && Object.keys(row.userOptions).length === 0 ? (services.spawnChoices.get(owner.id) ?? {}) : row.userOptions;
      try {
        startWithUserOptions(services, owner, options, row.serverName);
        started += 1;
      } catch (error) {
        if (!isGatehouseError(error) || error.status >= 500) throw error;
        services.logger.info({ actor, started }, 'start all stopped early');
        return { notice: `Starting ${started} ${started === 1 ? 'server' : 'servers'}.`, error: `${serverLabel(owner.name, row.serverName)}: ${error.message}` };
      }
    }
    services.logger.info({ actor, search, started }, 'start all');
    return { notice: `Starting ${started} ${started === 1 ? 'server' : 'servers'}.` };
  });
  bulk('/hub/admin/servers/stop-all', async (search, actor) => {
    const rows = listing.matching(search, ['pending', 'running']);
    await Promise.all(rows.map((row) => services.servers.stop(row.user, row.serverName)));
    services.logger.info({ actor, search, stopped: rows.length }, 'stop all');
    return { notice: `Stopped ${rows.length} ${rows.length === 1 ? 'server' : 'servers'}.` };
  });

  action('/hub/admin/users', async (ctx, form, actor) => {
    const password = form['password'] ?? '';
    const user = await services.userAdmin.add(form['username'], { admin: form['admin'] === '1', password: password === '' ? null : password }, actor);
    const needsSetup = password === '' && services.config.authenticator.accountManagement?.usesPasswords === true;
    if (!needsSetup) return 'added';
    return { setupLink: mintSetupLink(ctx, services, user), user: user.name };
  });
  action('/hub/admin/users/:name/admin', async (ctx, form, actor) => {
    if (ctx.params['name'] === actor) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'you cannot change your own role');
    services.userAdmin.setAdmin(ctx.params['name'] as string, form['admin'] === '1', actor);
    return 'admin';
  });
  action('/hub/admin/users/:name/password', async (ctx, form, actor) => {
    await services.userAdmin.resetPassword(ctx.params['name'] as string, form['password'] ?? '', actor);
    return 'password';
  });
  action('/hub/admin/users/:name/revoke', async (ctx, _form, actor) => {
    services.userAdmin.revokeAccess(ctx.params['name'] as string, actor);
    return 'revoked';
  });
  action('/hub/admin/users/:name/totp-reset', async (ctx, _form, actor) => {
    services.secondFactor.reset(services.userAdmin.require(ctx.params['name'] as string), actor);
    return 'totp';
  });
  action('/hub/admin/users/:name/approve', async (ctx, _form, actor) => {
    await services.userAdmin.approve(ctx.params['name'] as string, actor);
    return 'approved';
  });
  action('/hub/admin/users/:name/setup-link', async (ctx) => {
    const user = services.userAdmin.require(ctx.params['name'] as string);
    services.userAdmin.passwordAccounts();
    if (services.accounts.get(user.name) === undefined) throw gatehouseError('GATEHOUSE_ERR_USER_NOT_FOUND', `${user.name} has no local account`);
    return { setupLink: mintSetupLink(ctx, services, user), user: user.name };
  });
  action('/hub/admin/users/:name/unlock', async (ctx, _form, actor) => {
    const name = services.userAdmin.require(ctx.params['name'] as string).name;
    services.throttle.clear(throttleKeys(name).account);
    services.logger.info({ username: name, actor }, 'login lock lifted');
    return 'unlocked';
  });
  action('/hub/admin/users/:name/delete', async (ctx, _form, actor) => {
    const name = ctx.params['name'] as string;
    if (services.users.get(name) !== undefined) await services.userAdmin.delete(name, actor);
    else if ((await services.config.authenticator.accountManagement?.removeAccount(name)) !== true) {
      throw gatehouseError('GATEHOUSE_ERR_USER_NOT_FOUND', `no user named ${name}`);
    }
    return 'deleted';
  });

  router.get('/hub/admin/users/:name/log', async (ctx) => {
    const viewer = requireAdmin(ctx).user;
    const user = services.userAdmin.require(ctx.params['name'] as string);
    // ?server=<name>: a named server's log; the default server's otherwise.
    const serverName = typeof ctx.query['server'] === 'string' ? ctx.query['server'] : '';
    const text = await services.servers.readLog(user.name, serverName, LOG_TAIL_BYTES);
    const title = `${serverLabel(user.name, serverName)} log`;
    ctx.type = 'html';
    ctx.body = layout(
      { title, user: viewer, xsrfToken: xsrfTokenFor(ctx, services) },
      html`<section class="card"><h1>${title}</h1>
        <p class="muted">The last ${LOG_TAIL_BYTES / 1024} KiB. <a href="/hub/admin">Back to admin</a></p>
        <pre id="server-log">${text === '' ? '(empty)' : text}</pre></section>`,
    );
  });
}
