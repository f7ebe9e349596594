import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Principal } from '../auth/principal.ts';
import { readForm } from '../http/body.ts';
import { clientAddress } from '../http/request-context.ts';
import type { HubServices } from '../services.ts';
import type { CodeCheck } from '../totp/second-factor.ts';
import { pagePrincipal, xsrfTokenFor } from './page-helpers.ts';
import { renderRecoveryCodesPage, renderTotpAccountPage } from './totp-pages.ts';

const ACCOUNT_PATH = '/hub/account/totp';

/** Fixed notices after a redirect (never echoing query text into the page). */
const NOTICES: Record<string, string> = { removed: 'Your second factor is off.' };

/** The account page of the second factor: set up (QR code, key, first code), new recovery codes, turn off. */
export function totpAccountRoutes(router: Router, services: HubServices): void {
  const { secondFactor } = services;

  const render = (ctx: Context, principal: Principal, failure?: Extract<CodeCheck, { ok: false }>) => {
    const { user } = principal;
    const active = secondFactor.isActive(user);
    if (failure !== undefined) ctx.status = failure.reason === 'throttled' ? 429 : 403;
    if (failure?.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(failure.retryAfterSeconds));
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = renderTotpAccountPage({
      user,
      xsrfToken: xsrfTokenFor(ctx, services),
      active,
      required: secondFactor.isRequired(user),
      recoveryCodesLeft: active ? secondFactor.unusedRecoveryCodes(user) : 0,
      enrolment: active ? undefined : secondFactor.pendingEnrolment(user),
      error: failure?.message,
      notice: NOTICES[String(ctx.query['done'])],
    });
  };

  const showCodes = (ctx: Context, principal: Principal, codes: string[]) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = renderRecoveryCodesPage({ user: principal.user, xsrfToken: xsrfTokenFor(ctx, services), codes, continueTo: ACCOUNT_PATH });
  };

  /** A form post from the signed-in user: XSRF checked, then `work` with the `code` field. */
  const post = (suffix: string, work: (ctx: Context, principal: Principal, code: string) => Promise<void>) => {
    router.post(`${ACCOUNT_PATH}${suffix}`, async (ctx) => {
      const principal = pagePrincipal(ctx);
      if (principal === undefined) return;
      const form = await readForm(ctx);
      services.xsrf.verify(ctx, form['_xsrf']);
      await work(ctx, principal, form['code'] ?? '');
    });
  };

  router.get(ACCOUNT_PATH, (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal !== undefined) render(ctx, principal);
  });

  post('/setup', async (ctx, principal) => {
    secondFactor.beginEnrolment(principal.user);
    ctx.redirect(ACCOUNT_PATH);
  });

  post('/confirm', async (ctx, principal, code) => {
    const confirmed = await secondFactor.confirmEnrolment(principal.user, code, clientAddress(ctx));
    if (confirmed.ok) showCodes(ctx, principal, confirmed.recoveryCodes);
    else render(ctx, principal, confirmed);
  });

  post('/recovery-codes', async (ctx, principal, code) => {
    const made = await secondFactor.replaceRecoveryCodes(principal.user, code, clientAddress(ctx));
    if (made.ok) showCodes(ctx, principal, made.recoveryCodes);
    else render(ctx, principal, made);
  });

  post('/remove', async (ctx, principal, code) => {
    if (secondFactor.isRequired(principal.user)) return render(ctx, principal, { ok: false, reason: 'invalid', message: 'This hub requires a second factor for your account.' });
    const removed = await secondFactor.removeOwn(principal.user, code, clientAddress(ctx));
    if (removed.ok) ctx.redirect(`${ACCOUNT_PATH}?done=removed`);
    else render(ctx, principal, removed);
  });
}
