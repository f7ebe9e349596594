import { runLoginPipeline, type LoginOutcome, type LoginRequest } from '@gatehouse/authenticators';
import type { Context } from 'koa';
import { ERROR_CODES, type ErrorCode } from '../errors.ts';
import { clientAddress } from '../http/request-context.ts';
import type { HubServices } from '../services.ts';
import { beginSignIn } from './totp-login-routes.ts';

type FailedOutcome = Extract<LoginOutcome, { ok: false }>;

/** A refusal, or a first factor passed: `redirectTo` is `next` (signed in) or the second factor's page. */
export type LoginAttempt = FailedOutcome | (Extract<LoginOutcome, { ok: true }> & { readonly redirectTo: string });

/** The error code of each reason a login fails; its status is the code's (errors.ts), not a second table. */
const FAILURE_CODES: Record<FailedOutcome['reason'], ErrorCode> = {
  'missing-credentials': 'GATEHOUSE_ERR_UNAUTHENTICATED',
  'invalid-credentials': 'GATEHOUSE_ERR_LOGIN_FAILED',
  throttled: 'GATEHOUSE_ERR_LOGIN_THROTTLED',
  'pending-approval': 'GATEHOUSE_ERR_USER_NOT_ALLOWED',
  'untrusted-source': 'GATEHOUSE_ERR_UNAUTHENTICATED',
  'ambiguous-header': 'GATEHOUSE_ERR_BAD_REQUEST',
  'not-allowed': 'GATEHOUSE_ERR_USER_NOT_ALLOWED',
  // Refused like a wrong password (JupyterHub answers 403), not as a malformed request.
  'invalid-username': 'GATEHOUSE_ERR_LOGIN_FAILED',
};

function loginFailureCode(outcome: FailedOutcome): ErrorCode {
  return FAILURE_CODES[outcome.reason];
}

export function failureStatus(outcome: FailedOutcome): number {
  return ERROR_CODES[loginFailureCode(outcome)].status;
}

/**
 * One login attempt through the shared pipeline. On success the user record is created or
 * updated and a fresh session begins — or, when a second factor is needed, only a pending login
 * (beginSignIn). Every outcome is logged without the password.
 */
export async function attemptLogin(ctx: Context, services: HubServices, form: Record<string, string>, next: string): Promise<LoginAttempt> {
  const request: LoginRequest = {
    method: ctx.method === 'POST' ? 'POST' : 'GET',
    form,
    rawHeaders: ctx.req.rawHeaders,
    remoteAddress: clientAddress(ctx),
    fromTrustedProxy: ctx.state['fromTrustedProxy'] === true,
  };
  const outcome = await runLoginPipeline(services.config.authenticator, request, services.usernamePolicy);
  const logFields = { authenticator: services.config.authenticator.kind, remoteAddress: request.remoteAddress, peerAddress: ctx.req.socket.remoteAddress ?? 'unix socket' };
  services.metrics.logins.labels(outcome.ok ? 'success' : outcome.reason).inc();
  if (!outcome.ok) {
    services.logger.warn({ ...logFields, reason: outcome.reason, username: outcome.attemptedUsername ?? form['username'] }, 'login refused');
    return outcome;
  }
  const wasAdmin = services.users.get(outcome.username)?.admin;
  const user = services.users.recordLogin(outcome.username, outcome.admin);
  if (wasAdmin === false && user.admin) services.userAdmin.promoted(user.name, 'login');
  if (outcome.authState !== undefined) services.users.setSealedAuthState(user.id, services.box.seal(JSON.stringify(outcome.authState)));
  // The strategy's groups (a front proxy's groups header) are the user's memberships from now on.
  if (outcome.groups !== undefined) services.groups.setMemberships(user.id, outcome.groups);
  const redirectTo = await beginSignIn(ctx, services, user, next);
  services.logger.info({ ...logFields, username: outcome.username }, redirectTo === next ? 'login' : 'first factor accepted; second factor pending');
  return { ...outcome, redirectTo };
}

