import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/**
 * RFC 6238 codes through the otpauth library: HMAC-SHA-1, 6 digits, 30-second steps, and one step
 * of clock drift either way (what Authelia and Keycloak accept). Secrets are 160 random bits, the
 * length RFC 4226 §4 recommends, written in base32 without padding as authenticator apps expect.
 */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
const SECRET_BYTES = 20;
const DRIFT_STEPS = 1;

export function newTotpSecret(): string {
  return new Secret({ buffer: randomBytes(SECRET_BYTES).buffer }).base32;
}

function totpFor(secret: string, account = '', issuer = ''): TOTP {
  return new TOTP({ issuer, label: account, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, secret: Secret.fromBase32(secret) });
}

/** `otpauth://totp/Issuer:alice?secret=…&issuer=Issuer&algorithm=SHA1&digits=6&period=30`. */
export function otpauthUri(secret: string, account: string, issuer: string): string {
  return totpFor(secret, account, issuer).toString();
}

/** The time step of `at` (ms since the epoch): the counter a code for that moment is made from. */
export function timeStep(at: number): number {
  return Math.floor(at / 1000 / TOTP_PERIOD_SECONDS);
}

/** A well-formed TOTP code: exactly six digits (spaces a person typed are removed first). */
export function asTotpCode(input: string): string | undefined {
  const code = input.replace(/\s+/g, '');
  return /^\d{6}$/.test(code) ? code : undefined;
}

/**
 * The time step `code` belongs to when it is valid at `at` within ±1 step, else undefined. The caller
 * must still refuse a step at or before the last one accepted (the replay guard is in the database).
 */
export function matchingStep(secret: string, code: string, at: number): number | undefined {
  const delta = totpFor(secret).validate({ token: code, timestamp: at, window: DRIFT_STEPS });
  return delta === null ? undefined : timeStep(at) + delta;
}
