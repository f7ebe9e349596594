import type Router from '@koa/router';
import type { Context } from 'koa';
import { actsAsOwner } from '../auth/principal.ts';
import { allows } from '../scopes.ts';
import { gatehouseError } from '../errors.ts';
import { readJson } from '../http/body.ts';
import { requirePrincipal, type Principal } from '../http/identity.ts';
import { clientAddress } from '../http/request-context.ts';
import type { HubServices } from '../services.ts';
import type { CodeCheck } from '../totp/second-factor.ts';

/** The `code` of a JSON body `{ "code": "123456" }` (or a recovery code). */
async function codeFrom(ctx: Context): Promise<string> {
  const body = await readJson(ctx);
  const code = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['code'] : undefined;
  if (typeof code !== 'string' || code === '') throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'code: expected the current code as a string');
  return code;
}

/** A refused code as the API's error: 403, or 429 with Retry-After while the account is locked. */
function refused(failure: Extract<CodeCheck, { ok: false }>): never {
  if (failure.reason === 'throttled') {
    throw gatehouseError('GATEHOUSE_ERR_LOGIN_THROTTLED', failure.message, { details: { retryAfterSeconds: failure.retryAfterSeconds } });
  }
  throw gatehouseError('GATEHOUSE_ERR_TOTP_CODE_INVALID', failure.message);
}

/**
 * Only the user may set up their own second factor (an admin who chose someone's secret would hold
 * it), with a session or a token holding all of their scopes (a token an admin made for them, or a
 * narrowed one, does not).
 */
function requireSelf(ctx: Context, name: string): Principal {
  const principal = requirePrincipal(ctx);
  if (principal.user.name !== name || !actsAsOwner(principal)) {
    throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', 'only the user themself can set up their second factor');
  }
  return principal;
}

/**
 * POST   /users/:name/totp          → { secret, otpauth_uri }   (not active until confirmed)
 * POST   /users/:name/totp/confirm  { code } → { recovery_codes } (shown once)
 * DELETE /users/:name/totp          self: { code } (current code or a recovery code); admins: no code
 */
export function totpApiRoutes(router: Router, services: HubServices): void {
  const { secondFactor } = services;

  router.post('/users/:name/totp', (ctx) => {
    const principal = requireSelf(ctx, ctx.params['name'] as string);
    const enrolment = secondFactor.beginEnrolment(principal.user);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 201;
    ctx.body = { secret: enrolment.secret, otpauth_uri: enrolment.otpauthUri };
  });

  router.post('/users/:name/totp/confirm', async (ctx) => {
    const principal = requireSelf(ctx, ctx.params['name'] as string);
    const confirmed = await secondFactor.confirmEnrolment(principal.user, await codeFrom(ctx), clientAddress(ctx));
    if (!confirmed.ok) refused(confirmed);
    ctx.body = { recovery_codes: confirmed.recoveryCodes };
  });

  router.delete('/users/:name/totp', async (ctx) => {
    const name = ctx.params['name'] as string;
    const principal = requirePrincipal(ctx);
    if (principal.user.name === name) {
      requireSelf(ctx, name);
      if (secondFactor.isRequired(principal.user)) throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', 'this hub requires a second factor for your account');
      if (!secondFactor.isActive(principal.user)) throw gatehouseError('GATEHOUSE_ERR_TOTP_NOT_SET_UP', 'you have no active second factor');
      const removed = await secondFactor.removeOwn(principal.user, await codeFrom(ctx), clientAddress(ctx));
      if (!removed.ok) refused(removed);
    } else {
      if (!allows(principal.scopes, 'admin:users', { user: name })) throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', 'resetting another user\'s second factor requires admin:users');
      secondFactor.reset(services.userAdmin.require(name), principal.user.name);
    }
    ctx.status = 204;
  });
}
