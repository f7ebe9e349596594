import type Router from '@koa/router';
import type { Context } from 'koa';
import type { UserRow } from '../db/users.ts';
import { readForm } from '../http/body.ts';
import { cookieOptions } from '../http/cookies.ts';
import { clientAddress } from '../http/request-context.ts';
import { beginSession } from '../http/session.ts';
import type { HubServices } from '../services.ts';
import { PENDING_LOGIN_MS, type PendingLogin } from '../totp/pending-logins.ts';
import type { CodeCheck } from '../totp/second-factor.ts';
import { recordSecondFactor } from '../totp/session-mark.ts';
import { xsrfTokenFor } from './page-helpers.ts';
import { renderRecoveryCodesPage, renderTotpLoginPage } from './totp-pages.ts';

/** The page of the second step, and the only path the pending-login cookie is sent to. */
export const TOTP_LOGIN_PATH = '/hub/login/totp';
export const PENDING_LOGIN_COOKIE = 'gatehouse-login-pending';

/**
 * After a first factor: a session at once, or — when the user has (or must have) a second factor —
 * only a pending login and its cookie, and the browser is sent to the code page. Returns where to go.
 */
export async function beginSignIn(ctx: Context, services: HubServices, user: UserRow, next: string): Promise<string> {
  if (!services.secondFactor.isNeeded(user)) {
    await beginSession(ctx, user.name);
    return next;
  }
  const id = services.pendingLogins.create(user.name, next);
  ctx.cookies.set(PENDING_LOGIN_COOKIE, id, cookieOptions(ctx, { path: TOTP_LOGIN_PATH, maxAge: PENDING_LOGIN_MS }));
  return TOTP_LOGIN_PATH;
}

function clearPendingCookie(ctx: Context): void {
  ctx.cookies.set(PENDING_LOGIN_COOKIE, '', cookieOptions(ctx, { path: TOTP_LOGIN_PATH, expires: new Date(0) }));
}

const FAILURE_STATUS: Record<Extract<CodeCheck, { ok: false }>['reason'], number> = { invalid: 403, replayed: 403, throttled: 429, expired: 401 };

export function totpLoginRoutes(router: Router, services: HubServices): void {
  /** The pending login and its user, or undefined after sending the browser back to the login page. */
  const pendingOf = (ctx: Context): { pending: PendingLogin; user: UserRow } | undefined => {
    const pending = services.pendingLogins.get(ctx.cookies.get(PENDING_LOGIN_COOKIE));
    const user = pending === undefined ? undefined : services.users.get(pending.username);
    if (pending !== undefined && user !== undefined) return { pending, user };
    clearPendingCookie(ctx);
    ctx.redirect('/hub/login');
    return undefined;
  };

  const render = (ctx: Context, user: UserRow, status = 200, failure?: Extract<CodeCheck, { ok: false }>) => {
    const enrolment = services.secondFactor.isActive(user)
      ? undefined
      : (services.secondFactor.pendingEnrolment(user) ?? services.secondFactor.beginEnrolment(user));
    ctx.status = status;
    ctx.set('Cache-Control', 'no-store');
    if (failure?.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(failure.retryAfterSeconds));
    ctx.type = 'html';
    ctx.body = renderTotpLoginPage({ xsrfToken: xsrfTokenFor(ctx, services), username: user.name, enrolment, error: failure?.message });
  };

  const finish = async (ctx: Context, user: UserRow, via: string) => {
    clearPendingCookie(ctx);
    await beginSession(ctx, user.name);
    if (via !== 'none') recordSecondFactor(ctx, via);
    services.logger.info({ username: user.name, secondFactor: via, remoteAddress: clientAddress(ctx) }, 'login');
  };

  /** An admin reset the factor during the pending login (and none is required): the first factor was enough. */
  const noLongerNeeded = async (ctx: Context, pending: PendingLogin, user: UserRow): Promise<boolean> => {
    if (services.secondFactor.isNeeded(user)) return false;
    if (services.pendingLogins.consume(pending)) {
      await finish(ctx, user, 'none');
      ctx.redirect(pending.next);
    } else ctx.redirect('/hub/login');
    return true;
  };

  router.get(TOTP_LOGIN_PATH, async (ctx) => {
    const found = pendingOf(ctx);
    if (found !== undefined && !(await noLongerNeeded(ctx, found.pending, found.user))) render(ctx, found.user);
  });

  router.post(TOTP_LOGIN_PATH, async (ctx) => {
    const form = await readForm(ctx);
    services.xsrf.verify(ctx, form['_xsrf']);
    const found = pendingOf(ctx);
    if (found === undefined) return;
    const { pending, user } = found;
    if (await noLongerNeeded(ctx, pending, user)) return;
    const code = form['code'] ?? '';
    const address = clientAddress(ctx);
    if (services.secondFactor.isActive(user)) {
      const checked = await services.secondFactor.check(user, code, address, () => services.pendingLogins.consume(pending));
      if (!checked.ok) return render(ctx, user, FAILURE_STATUS[checked.reason], checked);
      await finish(ctx, user, checked.via);
      return ctx.redirect(pending.next);
    }
    // Required but not yet set up: the first valid code confirms the enrolment shown on this page.
    const confirmed = await services.secondFactor.confirmEnrolment(user, code, address);
    if (!confirmed.ok) return render(ctx, user, FAILURE_STATUS[confirmed.reason], confirmed);
    if (!services.pendingLogins.consume(pending)) return render(ctx, user, 401, { ok: false, reason: 'expired', message: 'Your sign-in has expired. Please sign in again.' });
    await finish(ctx, user, 'totp-enrolment');
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = renderRecoveryCodesPage({ codes: confirmed.recoveryCodes, continueTo: pending.next });
  });
}
