import { headerText } from './header-identity.ts';
import { headerValues } from './headers.ts';
import type { AuthFailure, LoginRequest } from './types.ts';

/**
 * Group names, one rule for the whole hub (the groups API, the admin page, the config's
 * `allowedGroups`/`adminGroups`, and a front proxy's groups header): 1–64 characters, no control
 * characters, and none of `/` (URL paths), `,` (the header's separator) or `!` (scope filters).
 */
export const GROUP_NAME_MAX_LENGTH = 64;

/** Why `name` is not a valid group name, or undefined when it is. */
export function groupNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the group name is empty';
  if (name.length > GROUP_NAME_MAX_LENGTH) return `the group name is longer than ${GROUP_NAME_MAX_LENGTH} characters`;
  if (name.trim() !== name) return 'the group name begins or ends with a space';
  if (/[\u0000-\u001f\u007f/,!]/u.test(name)) return 'the group name contains a control character, "/", "," or "!"';
  return undefined;
}

export type GroupsClaim = { readonly ok: true; readonly groups: readonly string[] } | AuthFailure;

/**
 * The groups a trusted front proxy lists in `header` (comma-separated; empty or absent: none).
 * Called only after the identity header was believed, so the request is the front proxy's; a
 * repeated header or a second spelling is refused, as for the identity header. Names that break
 * the group-name rule are left out (and reported in `ignored`).
 */
export function groupsFromHeader(request: LoginRequest, header: string): GroupsClaim & { ignored?: string[] } {
  const { values, spellings } = headerValues(request.rawHeaders, header);
  if (values.length > 1 || spellings > 1) {
    return { ok: false, reason: 'ambiguous-header', message: `The ${header} header was sent more than once.` };
  }
  const names = headerText(values[0] ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  const ignored = names.filter((name) => groupNameProblem(name) !== undefined);
  const groups = [...new Set(names.filter((name) => groupNameProblem(name) === undefined))].sort();
  return ignored.length > 0 ? { ok: true, groups, ignored } : { ok: true, groups };
}
