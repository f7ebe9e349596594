import type Router from '@koa/router';
import type { Context } from 'koa';
import type { UserRow } from '../db/users.ts';
import { gatehouseError } from '../errors.ts';
import { readForm } from '../http/body.ts';
import { beginSession, endSession } from '../http/session.ts';
import { beginSignIn } from './totp-login-routes.ts';
import type { HubServices } from '../services.ts';
import { mintSetupPath } from '../tokens/setup-link.ts';
import { renderChangePasswordPage, renderSetupPage, renderSignupPage } from './account-pages.ts';
import { pagePrincipal, xsrfTokenFor } from './page-helpers.ts';

/** The full setup URL as the browser reaches this hub. */
export function mintSetupLink(ctx: Context, services: HubServices, user: UserRow): string {
  return `${ctx.origin}${mintSetupPath(services.tokens, user)}`;
}

function setupGrant(services: HubServices, code: unknown): UserRow {
  const row = typeof code === 'string' ? services.tokens.resolve(code) : undefined;
  const user = row?.kind === 'setup' ? services.users.getById(row.userId) : undefined;
  if (user === undefined) throw gatehouseError('GATEHOUSE_ERR_TOKEN_INVALID', 'This setup link is not valid: it was used already, or it expired. If you chose your password with it, sign in. ' +
      'Otherwise an administrator can make a new link (admin page: Manage → New setup link; the first admin: restart the hub, which prints one while no admin can sign in).');
  return user;
}

function samePasswords(form: Record<string, string>): string | undefined {
  return form['password'] === form['confirm'] ? undefined : 'The two passwords are not the same.';
}

export function accountPageRoutes(router: Router, services: HubServices): void {
  const accounts = () => services.config.authenticator.accountManagement;

  router.get('/hub/setup', (ctx) => {
    const user = setupGrant(services, ctx.query['code']);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = renderSetupPage({ xsrfToken: xsrfTokenFor(ctx, services), username: user.name, code: String(ctx.query['code']) });
  });

  router.post('/hub/setup', async (ctx) => {
    const form = await readForm(ctx);
    services.xsrf.verify(ctx, form['_xsrf']);
    const user = setupGrant(services, form['code']);
    const mismatch = samePasswords(form);
    const result = mismatch === undefined ? await services.userAdmin.passwordAccounts().setPassword(user.name, form['password'] ?? '') : { ok: false as const, message: mismatch };
    if (!result.ok) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = renderSetupPage({ xsrfToken: xsrfTokenFor(ctx, services), username: user.name, code: form['code'] ?? '', error: result.message });
      return;
    }
    services.tokens.revokeAllFor(user.id, ['setup']);
    services.logger.info({ username: user.name }, 'password set from a setup link');
    ctx.redirect(await beginSignIn(ctx, services, user, '/hub/home'));
  });

  router.get('/hub/signup', (ctx) => {
    const mode = accounts()?.signup ?? 'closed';
    if (mode === 'closed') throw gatehouseError('GATEHOUSE_ERR_NOT_FOUND', 'This hub does not take sign-ups; ask an administrator for an account.');
    ctx.type = 'html';
    ctx.body = renderSignupPage({ xsrfToken: xsrfTokenFor(ctx, services), approval: mode === 'approval' });
  });

  router.post('/hub/signup', async (ctx) => {
    const management = accounts();
    if (management === undefined || management.signup === 'closed') throw gatehouseError('GATEHOUSE_ERR_NOT_FOUND', 'This hub does not take sign-ups.');
    const form = await readForm(ctx);
    services.xsrf.verify(ctx, form['_xsrf']);
    const approval = management.signup === 'approval';
    const fail = (message: string) => {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = renderSignupPage({ xsrfToken: xsrfTokenFor(ctx, services), approval, username: form['username'] ?? '', error: message });
    };
    let name: string;
    try {
      name = services.userAdmin.validName(form['username'] ?? '');
    } catch (error) {
      return fail((error as Error).message);
    }
    const mismatch = samePasswords(form);
    if (mismatch !== undefined) return fail(mismatch);
    if (services.users.get(name) !== undefined || services.accounts.get(name) !== undefined) return fail('That username is taken.');
    // Names in adminUsers are admins the moment they log in: nobody may claim one by signing up.
    if (services.usernamePolicy.adminUsers.has(name)) return fail('That username is reserved.');
    const result = await management.signUp(name, form['password'] ?? '');
    if (!result.ok) return fail(result.message);
    services.logger.info({ username: name, approval }, 'sign-up');
    ctx.type = 'html';
    ctx.status = 201;
    ctx.body = renderSignupPage({
      xsrfToken: xsrfTokenFor(ctx, services),
      approval,
      notice: approval ? `Thanks, ${name}: an administrator will approve your account.` : `Your account ${name} is ready: sign in.`,
    });
  });

  router.get('/hub/change-password', (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    services.userAdmin.passwordAccounts();
    ctx.type = 'html';
    ctx.body = renderChangePasswordPage({ user: principal.user, xsrfToken: xsrfTokenFor(ctx, services) });
  });

  router.post('/hub/change-password', async (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    const form = await readForm(ctx);
    services.xsrf.verify(ctx, form['_xsrf']);
    const mismatch = samePasswords(form);
    const result =
      mismatch === undefined
        ? await services.userAdmin.passwordAccounts().changePassword(principal.user.name, form['current'] ?? '', form['password'] ?? '')
        : { ok: false as const, message: mismatch };
    if (!result.ok) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = renderChangePasswordPage({ user: principal.user, xsrfToken: xsrfTokenFor(ctx, services), error: result.message });
      return;
    }
    // Every other session ends: whoever else held one (a stolen cookie, another device) must sign in again.
    endSession(ctx);
    services.sessions.destroyAllFor(principal.user.name);
    await beginSession(ctx, principal.user.name);
    services.logger.info({ username: principal.user.name }, 'password changed');
    ctx.type = 'html';
    ctx.body = renderChangePasswordPage({ user: principal.user, xsrfToken: xsrfTokenFor(ctx, services), notice: 'Your password was changed. Other sessions were signed out.' });
  });
}
