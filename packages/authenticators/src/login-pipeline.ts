import type { Authenticator, AuthFailureReason, LoginRequest } from './types.ts';

/**
 * The outer login pipeline, written once for every strategy (JupyterHub's get_authenticated_user):
 * authenticate, normalise the name, validate it, then apply the hub's block / allow / admin lists.
 * Strategies implement only `authenticate()`.
 */

export interface UsernamePolicy {
  /** Names must match this after normalisation. */
  readonly pattern: RegExp;
  readonly maxLength: number;
  readonly allowedUsers: ReadonlySet<string>;
  readonly blockedUsers: ReadonlySet<string>;
  readonly adminUsers: ReadonlySet<string>;
}

export type LoginOutcome =
  | { readonly ok: true; readonly username: string; readonly admin: boolean; readonly authState?: Readonly<Record<string, unknown>> }
  | {
      readonly ok: false;
      readonly reason: AuthFailureReason | 'invalid-username';
      readonly message: string;
      readonly retryAfterSeconds?: number;
      /** The name the strategy reported, when there was one (for logs; never show it unescaped). */
      readonly attemptedUsername?: string;
    };

/** Unicode NFKC, trimmed, lower case: `  Alice ` and `ＡＬＩＣＥ` are both `alice`. */
export function normaliseUsername(name: string): string {
  return name.normalize('NFKC').trim().toLowerCase();
}

/** Why `name` (already normalised) is not a valid username, or undefined when it is. */
export function usernameProblem(name: string, policy: Pick<UsernamePolicy, 'pattern' | 'maxLength'>): string | undefined {
  if (name.length === 0) return 'the username is empty';
  if (name.length > policy.maxLength) return `the username is longer than ${policy.maxLength} characters`;
  if (name.includes('/')) return 'the username contains "/"';
  if (!policy.pattern.test(name)) return `the username must match ${policy.pattern.source}`;
  return undefined;
}

const DEFAULT_FAILURE_MESSAGES: Record<AuthFailureReason, string> = {
  'missing-credentials': 'Please sign in.',
  'invalid-credentials': 'Invalid username or password.',
  throttled: 'Too many failed attempts.',
  'pending-approval': 'Your account is waiting for an administrator to approve it.',
  'untrusted-source': "Login headers are only accepted from the hub's front proxy.",
  'ambiguous-header': 'The login header was sent more than once.',
  'not-allowed': 'This user may not use the hub.',
};

export async function runLoginPipeline(
  authenticator: Authenticator,
  request: LoginRequest,
  policy: UsernamePolicy,
): Promise<LoginOutcome> {
  const result = await authenticator.authenticate(request);
  if (!result.ok) {
    return {
      ok: false,
      reason: result.reason,
      message: result.message ?? DEFAULT_FAILURE_MESSAGES[result.reason],
      ...(result.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: result.retryAfterSeconds }),
    };
  }
  const username = normaliseUsername(result.username);
  const problem = usernameProblem(username, policy);
  if (problem !== undefined) {
    return { ok: false, reason: 'invalid-username', message: `Invalid username: ${problem}.`, attemptedUsername: username };
  }
  const isListedAdmin = policy.adminUsers.has(username);
  if (policy.blockedUsers.has(username)) {
    return { ok: false, reason: 'not-allowed', message: DEFAULT_FAILURE_MESSAGES['not-allowed'], attemptedUsername: username };
  }
  if (policy.allowedUsers.size > 0 && !policy.allowedUsers.has(username) && !isListedAdmin) {
    return { ok: false, reason: 'not-allowed', message: DEFAULT_FAILURE_MESSAGES['not-allowed'], attemptedUsername: username };
  }
  return {
    ok: true,
    username,
    admin: isListedAdmin || result.admin === true,
    ...(result.authState === undefined ? {} : { authState: result.authState }),
  };
}
