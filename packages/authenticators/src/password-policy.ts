import { COMMON_PASSWORDS } from './common-passwords.ts';
import { normaliseUsername } from './login-pipeline.ts';

/**
 * What a new password must be (NIST SP 800-63B: length and a blocklist, no composition rules).
 * Lengths count characters (code points) after NFKC, the form in which the password is hashed.
 */

export const DEFAULT_MIN_PASSWORD_LENGTH = 8;
/** Long enough for any passphrase, short enough that hashing it is not a denial of service. */
export const MAX_PASSWORD_LENGTH = 1024;

/** Why `password` may not be used by `username`, as a sentence for the person choosing it; undefined when it may. */
export function passwordProblem(password: string, username: string, minLength: number): string | undefined {
  const normalised = password.normalize('NFKC');
  const length = [...normalised].length;
  if (length < minLength) return `The password must be at least ${minLength} characters long.`;
  if (length > MAX_PASSWORD_LENGTH) return `The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`;
  if (COMMON_PASSWORDS.has(normalised.toLowerCase())) {
    return 'This password is one of the most common passwords, which attackers try first. Choose another.';
  }
  if (normaliseUsername(normalised) === normaliseUsername(username)) return 'The password must not be the same as the username.';
  return undefined;
}

/** True when no account can have this password, so there is no point hashing it (it may be huge). */
export function passwordTooLong(password: string): boolean {
  return [...password.normalize('NFKC')].length > MAX_PASSWORD_LENGTH;
}
