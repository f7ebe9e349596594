import { randomBytes } from 'node:crypto';
import { encodeBase32, hashPassword, verifyPassword } from '@gatehouse/authenticators';

/** Keycloak issues 12; the issue asks for 10. Each carries 80 random bits (≥ 64 asked). */
export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_CODE_BYTES = 10;

/** `k3vq-7x2m-a9pd-w4te`: 16 base32 characters in groups of four, lower case. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    (encodeBase32(randomBytes(RECOVERY_CODE_BYTES), { padding: false }).toLowerCase().match(/.{4}/g) ?? []).join('-'),
  );
}

/** What is hashed and compared: the characters without separators or case. */
export function normaliseRecoveryCode(input: string): string {
  return input.replace(/[\s-]+/g, '').toLowerCase();
}

/** argon2id hashes (the hub's password hasher, in its low-priority child process). */
export function hashRecoveryCodes(codes: readonly string[]): Promise<string[]> {
  return Promise.all(codes.map((code) => hashPassword(normaliseRecoveryCode(code))));
}

/** The id of the stored code `input` matches, if any (every candidate is checked: no early exit by position). */
export async function matchRecoveryCode(input: string, stored: ReadonlyArray<{ id: number; hash: string }>): Promise<number | undefined> {
  const normalised = normaliseRecoveryCode(input);
  if (normalised.length !== 16) return undefined;
  const results = await Promise.all(stored.map(async ({ id, hash }) => ((await verifyPassword(hash, normalised)) ? id : undefined)));
  return results.find((id) => id !== undefined);
}
