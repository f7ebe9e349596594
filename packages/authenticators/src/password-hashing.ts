import { randomBytes } from 'node:crypto';
import { argon2id, hash, needsRehash, verify } from 'argon2';

/**
 * argon2id at OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane). The hashing runs in
 * libuv's thread pool inside the native addon, so a login never blocks the event loop; what it
 * costs is one pool thread for ~tens of milliseconds per attempt.
 */
export const ARGON2_PARAMETERS = Object.freeze({ type: argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });

/**
 * Passwords are NFKC-normalised before hashing (NIST SP 800-63B §5.1.1.2), so the same password
 * typed on another keyboard or OS, composed differently, still verifies.
 */
function passwordBytes(password: string): Buffer {
  return Buffer.from(password.normalize('NFKC'), 'utf8');
}

/** An encoded argon2id hash (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password`, with a fresh salt. */
export async function hashPassword(password: string): Promise<string> {
  return standardParameterOrder(await hash(passwordBytes(password), ARGON2_PARAMETERS));
}

/**
 * The reference encoding lists parameters as `m=…,t=…,p=…`; the argon2 package sorts them
 * alphabetically (`m,p,t`), which libargon2-based verifiers (argon2-cffi, PHP) reject.
 */
function standardParameterOrder(encoded: string): string {
  return encoded.replace(/\$m=(\d+),p=(\d+),t=(\d+)\$/, (_match, m: string, p: string, t: string) => `$m=${m},t=${t},p=${p}$`);
}

/** True when `password` matches `encodedHash`; false for a wrong password and for a hash that is not argon2. */
export async function verifyPassword(encodedHash: string, password: string): Promise<boolean> {
  if (!encodedHash.startsWith('$argon2')) return false;
  try {
    return await verify(encodedHash, passwordBytes(password));
  } catch {
    return false;
  }
}

/** True when `encodedHash` was made with other parameters than today's, so it should be replaced after a login. */
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
  dummyHash ??= hashPassword(randomBytes(32).toString('base64'));
  return dummyHash;
}
