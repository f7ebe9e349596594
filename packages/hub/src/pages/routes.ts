import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type { Context } from 'koa';
import { gatehouseError } from '../errors.ts';
import { readForm } from '../http/body.ts';
import { principalOf } from '../http/identity.ts';
import { pagePrincipal, xsrfTokenFor } from './page-helpers.ts';
import { serverPageRoutes } from './server-routes.ts';
import { tokenPageRoutes } from './token-routes.ts';
import { adminPageRoutes } from './admin-routes.ts';
import { adminGroupRoutes } from './admin-groups-routes.ts';
import { accountPageRoutes } from './setup-routes.ts';
import { safeNextPath } from '../http/redirect.ts';
import { endSession, reissueProxyCookie } from '../http/session.ts';
import type { HubServices } from '../services.ts';
import type { UserRow } from '../db/users.ts';
import { renderHomePage, type HomePageModel } from './home-page.ts';
import { loginWithToken } from './token-login.ts';
import { attemptLogin, failureStatus } from './login-flow.ts';
import { renderLoginPage } from './login-page.ts';
import { isSignInTicket, SignInLine } from './sign-in-line.ts';
import { renderLogoutPage } from './logout-page.ts';
import { totpAccountRoutes } from './totp-account-routes.ts';
import { totpLoginRoutes } from './totp-login-routes.ts';

const STATIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../static');
const STATIC_TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml' };

export function pageRoutes(services: HubServices): Router {
  const router = new Router();
  const { authenticator } = services.config;
  const staticFiles = new Map(
    readdirSync(STATIC_DIR).map((name) => [name, readFileSync(path.join(STATIC_DIR, name))] as const),
  );

  router.get('/', (ctx) => ctx.redirect('/hub/home'));
  router.get(['/hub', '/hub/'], (ctx) => ctx.redirect('/hub/home'));

  router.get('/hub/health', (ctx) => {
    services.db.prepare('SELECT 1').get();
    ctx.body = { status: 'ok' };
  });

  // jupyterhub-singleuser pages show <img src="/hub/logo">, as under JupyterHub.
  router.get('/hub/logo', (ctx) => {
    ctx.type = STATIC_TYPES['.svg'] as string;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = staticFiles.get('logo.svg');
  });

  // Browsers ask for /favicon.ico on pages that name no icon (a server's own pages, say): no 404 for that.
  router.get('/favicon.ico', (ctx) => {
    ctx.type = STATIC_TYPES['.svg'] as string;
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = staticFiles.get('favicon.svg');
  });

  router.get('/hub/static/:name', (ctx) => {
    const name = ctx.params['name'] ?? '';
    const body = staticFiles.get(name);
    if (body === undefined) throw gatehouseError('GATEHOUSE_ERR_NOT_FOUND');
    ctx.type = STATIC_TYPES[path.extname(name)] ?? 'application/octet-stream';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = body;
  });

  router.get('/hub/login', async (ctx) => {
    const next = safeNextPath(ctx.query['next']);
    if (principalOf(ctx) !== undefined) {
      reissueProxyCookie(ctx, services.sessions.lifetimes.maxAgeMs);
      return ctx.redirect(next);
    }
    if (authenticator.loginStyle === 'automatic') {
      const outcome = await attemptLogin(ctx, services, {}, next);
      if (outcome.ok) return ctx.redirect(outcome.redirectTo);
      ctx.status = failureStatus(outcome);
      if (outcome.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(outcome.retryAfterSeconds));
      ctx.type = 'html';
      ctx.body = renderLoginPage({ authenticator, next, xsrfToken: '', error: outcome.message });
      return;
    }
    ctx.type = 'html';
    const notice = ctx.query['link'] === 'expired' ? 'That sign-in link was used already or has expired. Sign in below.' : undefined;
    ctx.body = renderLoginPage({ authenticator, next, xsrfToken: xsrfTokenFor(ctx, services), notice });
  });

  const signInLine = new SignInLine();
  // How many sign-ins are ahead of the person holding `ticket` (login.js asks while its form is answered).
  router.get('/hub/login/place', (ctx) => {
    const ticket = ctx.query['ticket'];
    if (!isSignInTicket(ticket)) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'ticket: expected 16–64 letters, digits, - or _');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ahead: signInLine.ahead(ticket) ?? null };
  });

  router.post('/hub/login', async (ctx) => {
    const next = safeNextPath(ctx.query['next']);
    const form = await readForm(ctx);
    services.xsrf.verify(ctx, form['_xsrf']);
    if (form['token'] !== undefined && form['token'] !== '') {
      if (await loginWithToken(ctx, services, form['token'])) return ctx.redirect(next);
      ctx.status = 403;
      ctx.type = 'html';
      ctx.body = renderLoginPage({ authenticator, next, xsrfToken: xsrfTokenFor(ctx, services), error: 'That token is not valid (or has expired).' });
      return;
    }
    const leaveLine = signInLine.enter(form['ticket']);
    const outcome = await attemptLogin(ctx, services, form, next).finally(leaveLine);
    if (outcome.ok) return ctx.redirect(outcome.redirectTo);
    ctx.status = failureStatus(outcome);
    if (outcome.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(outcome.retryAfterSeconds));
    ctx.type = 'html';
    ctx.body = renderLoginPage({
      authenticator,
      next,
      xsrfToken: xsrfTokenFor(ctx, services),
      error: outcome.message,
      username: form['username'] ?? '',
    });
  });

  const logout = (ctx: Context) => {
    const principal = principalOf(ctx);
    if (principal !== undefined) {
      // Single-user servers cache identities per OAuth token; revoking them ends those logins too.
      services.tokens.revokeAllFor(principal.user.id, ['oauth']);
      services.logger.info({ username: principal.user.name }, 'logout');
    }
    endSession(ctx);
    ctx.redirect(authenticator.logoutRedirectUrl ?? '/hub/login');
  };
  // JupyterHub and jupyterhub-singleuser link to GET: it asks, and the button POSTs with XSRF (a bare
  // GET that signed out would let another page sign the browser out, then into another account).
  router.get('/hub/logout', (ctx) => {
    const principal = principalOf(ctx);
    if (principal?.via !== 'session') return ctx.redirect(authenticator.logoutRedirectUrl ?? '/hub/login');
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = renderLogoutPage({ user: principal.user, xsrfToken: xsrfTokenFor(ctx, services) });
  });
  router.post('/hub/logout', async (ctx) => {
    const form = await readForm(ctx);
    services.xsrf.verify(ctx, form['_xsrf']);
    logout(ctx);
  });

  router.get('/hub/home', (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    ctx.type = 'html';
    ctx.body = renderHomePage({
      user: principal.user,
      xsrfToken: xsrfTokenFor(ctx, services),
      serverState: services.servers.state(principal.user.name),
      serverLastActivity: services.serverRepository.get(principal.user.id)?.lastActivity ?? null,
      hasPassword: authenticator.accountManagement?.usesPasswords === true && services.accounts.get(principal.user.name) !== undefined,
      lastProblem: services.servers.lastProblem(principal.user.name),
      namedServers: namedServerRows(services, principal.user),
      cullPlan: services.culler.plan(principal.user.name),
      now: services.now(),
    });
  });

  totpLoginRoutes(router, services);
  totpAccountRoutes(router, services);
  serverPageRoutes(router, services);
  tokenPageRoutes(router, services);
  adminPageRoutes(router, services);
  adminGroupRoutes(router, services);
  accountPageRoutes(router, services);

  return router;
}

/** The home page's named servers (undefined when namedServers is off). */
function namedServerRows(services: HubServices, user: UserRow): HomePageModel['namedServers'] {
  const { enabled, limitPerUser } = services.config.namedServers;
  if (!enabled) return undefined;
  const rows = services.serverRepository
    .allOf(user.id)
    .filter((row) => row.serverName !== '')
    .map((row) => ({
      name: row.serverName,
      state: services.servers.state(user.name, row.serverName),
      lastActivity: row.lastActivity,
      lastProblem: services.servers.lastProblem(user.name, row.serverName),
    }));
  return { rows, canCreate: limitPerUser === 0 || rows.length < limitPerUser, limit: limitPerUser };
}
