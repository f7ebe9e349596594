import { randomBytes } from 'node:crypto';
import { argon2id, needsRehash } from 'argon2';
import { PasswordHasher } from './password-hasher.ts';

/**
 * argon2id at OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane). Hashing and verifying
 * run in a separate low-priority process (password-hasher.ts), so a storm of logins competes
 * neither with the hub's event loop for CPU nor adds to its memory; what a login costs is one of
 * the hasher's slots for ~tens of milliseconds. Hasher failures reject (PasswordHasherError).
 */
export const ARGON2_PARAMETERS = Object.freeze({ type: argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });

/** The one hasher process of this process, started on first use. */
export const passwordHasher = new PasswordHasher();

/**
 * Passwords are NFKC-normalised before hashing (NIST SP 800-63B §5.1.1.2), so the same password
 * typed on another keyboard or OS, composed differently, still verifies. The hasher hashes its UTF-8 bytes.
 */
function passwordText(password: string): string {
  return password.normalize('NFKC');
}

/** An encoded argon2id hash (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password`, with a fresh salt. */
export async function hashPassword(password: string): Promise<string> {
  return standardParameterOrder(await passwordHasher.hash(passwordText(password), ARGON2_PARAMETERS));
}

/**
 * The reference encoding lists parameters as `m=…,t=…,p=…`; the argon2 package sorts them
 * alphabetically (`m,p,t`), which libargon2-based verifiers (argon2-cffi, PHP) reject.
 */
function standardParameterOrder(encoded: string): string {
  return encoded.replace(/\$m=(\d+),p=(\d+),t=(\d+)\$/, (_match, m: string, p: string, t: string) => `$m=${m},t=${t},p=${p}$`);
}

/**
 * True when `password` matches `encodedHash`; false for a wrong password and for a hash that is not
 * argon2. Rejects with a PasswordHasherError when the hasher cannot answer: that is no verdict.
 */
export async function verifyPassword(encodedHash: string, password: string): Promise<boolean> {
  if (!encodedHash.startsWith('$argon2')) return false;
  return passwordHasher.verify(encodedHash, passwordText(password));
}

/** True when `encodedHash` was made with other parameters than today's (only parses it, in-process). */
export function hashIsOutdated(encodedHash: string): boolean {
  try {
    return needsRehash(encodedHash, ARGON2_PARAMETERS);
  } catch {
    return true;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * A hash of a random password, made once per process, to verify against when the account does not
 * exist: the refusal then costs as long as a wrong password, so timing does not reveal which names exist.
 */
export function hashForUnknownAccounts(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64')).catch((error: unknown) => {
    dummyHash = undefined; // a hasher failure must not stick: the next login tries again
    throw error;
  });
  return dummyHash;
}
