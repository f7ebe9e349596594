import type { Authenticator, AuthFailureReason, LoginRequest } from './types.ts';

/**
 * The outer login pipeline, written once for every strategy (JupyterHub's get_authenticated_user):
 * authenticate, normalise the name, validate it, then apply the hub's block / allow / admin lists
 * (by name and by group). Strategies implement only `authenticate()`.
 *
 * A person's groups are those the strategy reports (`AuthSuccess.groups`, e.g. a front proxy's
 * groups header), else those the hub keeps for them (`groupsOf`). With `allowedUsers` or
 * `allowedGroups` set, only people named there, in an allowed group, or admins may log in; a member
 * of an `adminGroups` group is an admin (as a name in `adminUsers` is).
 */

export interface UsernamePolicy {
  /** Names must match this after normalisation. */
  readonly pattern: RegExp;
  readonly maxLength: number;
  readonly allowedUsers: ReadonlySet<string>;
  readonly blockedUsers: ReadonlySet<string>;
  readonly adminUsers: ReadonlySet<string>;
  readonly allowedGroups?: ReadonlySet<string>;
  readonly adminGroups?: ReadonlySet<string>;
  /** The groups the hub keeps for a (normalised) name; consulted only when the strategy reports none. */
  readonly groupsOf?: (username: string) => readonly string[];
}

export type LoginOutcome =
  | {
      readonly ok: true;
      readonly username: string;
      readonly admin: boolean;
      readonly authState?: Readonly<Record<string, unknown>>;
      /** The strategy's groups, to be made the user's memberships; absent when it reports none. */
      readonly groups?: readonly string[];
    }
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
  const groups = result.groups ?? policy.groupsOf?.(username) ?? [];
  const allowedGroups = policy.allowedGroups ?? new Set<string>();
  const isListedAdmin = policy.adminUsers.has(username) || groups.some((group) => policy.adminGroups?.has(group) === true);
  if (policy.blockedUsers.has(username)) {
    return { ok: false, reason: 'not-allowed', message: DEFAULT_FAILURE_MESSAGES['not-allowed'], attemptedUsername: username };
  }
  const restricted = policy.allowedUsers.size > 0 || allowedGroups.size > 0;
  const allowed = policy.allowedUsers.has(username) || isListedAdmin || groups.some((group) => allowedGroups.has(group));
  if (restricted && !allowed) {
    const message = allowedGroups.size > 0 ? 'This user is not in a group allowed to use the hub; ask an administrator to add you to one.' : DEFAULT_FAILURE_MESSAGES['not-allowed'];
    return { ok: false, reason: 'not-allowed', message, attemptedUsername: username };
  }
  return {
    ok: true,
    username,
    admin: isListedAdmin || result.admin === true,
    ...(result.authState === undefined ? {} : { authState: result.authState }),
    ...(result.groups === undefined ? {} : { groups: result.groups }),
  };
}
