import { LoginThrottle, throttledFailure, throttleKeys, type ThrottleKeys, type ThrottleSettings, type ThrottleStore } from '@gatehouse/authenticators';
import type { UserRow } from '../db/users.ts';
import { gatehouseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SecretBox } from '../secret-box.ts';
import { hashRecoveryCodes, matchRecoveryCode, newRecoveryCodes } from './recovery-codes.ts';
import { asTotpCode, matchingStep, newTotpSecret, otpauthUri } from './totp-codes.ts';
import type { TotpStore } from './totp-store.ts';

/** Who must use a second factor (config `totp.requiredFor`); anyone may opt in. */
export type TotpRequirement = 'nobody' | 'admins' | 'everyone';

export interface TotpEnrolment {
  /** Base32, for typing into an app by hand. */
  readonly secret: string;
  readonly otpauthUri: string;
}

export type CodeCheck =
  | { readonly ok: true; readonly via: 'totp' | 'recovery-code' }
  | { readonly ok: false; readonly reason: 'invalid' | 'replayed' | 'throttled' | 'expired'; readonly message: string; readonly retryAfterSeconds?: number };

export interface SecondFactorOptions {
  readonly store: TotpStore;
  readonly box: SecretBox;
  readonly throttleStore: ThrottleStore;
  /** The same settings as the password lock (the local authenticator's, else the defaults). */
  readonly throttle: ThrottleSettings;
  readonly requiredFor: TotpRequirement;
  readonly issuer: string;
  readonly logger: Logger;
  readonly now: () => number;
}

const MESSAGES = {
  invalid: 'That code is not valid. Check the time on your device and try again.',
  replayed: 'That code has already been used. Wait for the next one.',
  expired: 'Your sign-in has expired. Please sign in again.',
} as const;

/** Thrown inside a transaction to undo a step already recorded when the login it completes is gone. */
class LoginGone extends Error {}

/**
 * TOTP as a second factor, written once for the login page, the account page, the API and the CLI:
 * enrolment (confirmed by a first valid code), checking a code or a recovery code, and removal.
 * Failures count against the per-account lock the password check uses (key `account:NAME`, so a
 * locked account is locked for passwords too) and against `totp:NAME`, which a correct password
 * does not clear: knowing the password never buys more guesses at the code. Secrets are sealed
 * with the hub's SecretBox and never logged.
 */
export class SecondFactor {
  readonly #options: SecondFactorOptions;
  readonly #throttle: LoginThrottle;

  constructor(options: SecondFactorOptions) {
    this.#options = options;
    this.#throttle = new LoginThrottle(() => options.throttleStore, options.throttle, () => new Date(options.now()));
  }

  /** True when the user has confirmed a second factor. */
  isActive(user: UserRow): boolean {
    return this.#options.store.get(user.id)?.confirmedAt != null;
  }

  /** True when config makes this user use one, enrolled or not. */
  isRequired(user: UserRow): boolean {
    const { requiredFor } = this.#options;
    return requiredFor === 'everyone' || (requiredFor === 'admins' && user.admin);
  }

  /** Whether a login of this user must pass the second factor before a session begins. */
  isNeeded(user: UserRow): boolean {
    return this.isActive(user) || this.isRequired(user);
  }

  unusedRecoveryCodes(user: UserRow): number {
    return this.#options.store.unusedRecoveryCodes(user.id).length;
  }

  /** A new, not yet active secret (replacing an unconfirmed one); GATEHOUSE_ERR_TOTP_ACTIVE if one is active. */
  beginEnrolment(user: UserRow): TotpEnrolment {
    const secret = newTotpSecret();
    if (!this.#options.store.beginEnrolment(user.id, this.#options.box.seal(secret))) {
      throw gatehouseError('GATEHOUSE_ERR_TOTP_ACTIVE', 'a second factor is already active: remove it first');
    }
    return this.#enrolment(user, secret);
  }

  /** The enrolment waiting for its first code, if any (so a reloaded page shows the same QR code). */
  pendingEnrolment(user: UserRow): TotpEnrolment | undefined {
    const record = this.#options.store.get(user.id);
    if (record === undefined || record.confirmedAt !== null) return undefined;
    const secret = this.#options.box.open(record.sealedSecret);
    return secret === undefined ? undefined : this.#enrolment(user, secret);
  }

  /** Activates the pending enrolment with its first valid code; returns the recovery codes (shown once). */
  async confirmEnrolment(user: UserRow, input: string, address?: string): Promise<{ ok: true; recoveryCodes: string[] } | Extract<CodeCheck, { ok: false }>> {
    const record = this.#options.store.get(user.id);
    if (record === undefined || record.confirmedAt !== null) {
      throw gatehouseError(record === undefined ? 'GATEHOUSE_ERR_TOTP_NOT_SET_UP' : 'GATEHOUSE_ERR_TOTP_ACTIVE');
    }
    const secret = this.#secretOf(record.sealedSecret);
    return this.#throttled(user.name, address, async () => {
      const code = asTotpCode(input);
      const step = code === undefined ? undefined : matchingStep(secret, code, this.#options.now());
      if (step === undefined) return this.#failed(user.name, address, 'invalid');
      const recoveryCodes = newRecoveryCodes();
      const hashes = await hashRecoveryCodes(recoveryCodes);
      const confirmed = this.#options.store.atomically(() => {
        if (!this.#options.store.confirm(user.id, step, new Date(this.#options.now()))) return false;
        this.#options.store.replaceRecoveryCodes(user.id, hashes);
        return true;
      });
      if (!confirmed) throw gatehouseError('GATEHOUSE_ERR_TOTP_ACTIVE');
      this.#succeeded(user.name);
      this.#options.logger.info({ username: user.name }, 'second factor enrolled');
      return { ok: true as const, recoveryCodes };
    });
  }

  /**
   * Checks a TOTP code (±1 step, never a step at or before the last accepted) or an unused recovery
   * code. `complete` runs in the same transaction as the use of the code and may refuse (the pending
   * login is gone): then the code stays unused.
   */
  async check(user: UserRow, input: string, address: string | undefined, complete: () => boolean = () => true): Promise<CodeCheck> {
    const record = this.#options.store.get(user.id);
    if (record === undefined || record.confirmedAt === null) throw gatehouseError('GATEHOUSE_ERR_TOTP_NOT_SET_UP', 'this user has no active second factor');
    const secret = this.#secretOf(record.sealedSecret);
    return this.#throttled(user.name, address, async () => {
      const code = asTotpCode(input);
      let outcome: 'used' | 'replayed' | 'invalid';
      let via: 'totp' | 'recovery-code' = 'totp';
      if (code !== undefined) {
        const step = matchingStep(secret, code, this.#options.now());
        outcome = step === undefined ? 'invalid' : this.#use(() => this.#options.store.acceptStep(user.id, step), complete);
      } else {
        via = 'recovery-code';
        const id = await matchRecoveryCode(input, this.#options.store.unusedRecoveryCodes(user.id));
        outcome = id === undefined ? 'invalid' : this.#use(() => this.#options.store.useRecoveryCode(id, new Date(this.#options.now())), complete);
      }
      if (outcome !== 'used') return this.#failed(user.name, address, outcome);
      this.#succeeded(user.name);
      if (via === 'recovery-code') this.#options.logger.info({ username: user.name, left: this.unusedRecoveryCodes(user) }, 'recovery code used');
      return { ok: true as const, via };
    }).catch((error: unknown) => {
      if (error instanceof LoginGone) return { ok: false as const, reason: 'expired' as const, message: MESSAGES.expired };
      throw error;
    });
  }

  /** A new set of recovery codes after a valid current code; the old set is void. */
  async replaceRecoveryCodes(user: UserRow, input: string, address?: string): Promise<{ ok: true; recoveryCodes: string[] } | Extract<CodeCheck, { ok: false }>> {
    const checked = await this.check(user, input, address);
    if (!checked.ok) return checked;
    const recoveryCodes = newRecoveryCodes();
    this.#options.store.replaceRecoveryCodes(user.id, await hashRecoveryCodes(recoveryCodes));
    this.#options.logger.info({ username: user.name }, 'new recovery codes');
    return { ok: true, recoveryCodes };
  }

  /** The user's own removal, after a valid current code (or recovery code). */
  async removeOwn(user: UserRow, input: string, address?: string): Promise<CodeCheck> {
    const checked = await this.check(user, input, address);
    if (checked.ok) {
      this.#options.store.remove(user.id);
      this.#options.logger.info({ username: user.name, actor: user.name }, 'second factor removed');
    }
    return checked;
  }

  /** An admin's reset (page, API, CLI): the secret and recovery codes go, and the code lock lifts. */
  reset(user: UserRow, actor: string): boolean {
    const removed = this.#options.store.remove(user.id);
    this.#throttle.clear(totpKeys(user.name).account);
    this.#options.logger.info({ username: user.name, actor, removed }, 'second factor reset');
    return removed;
  }

  #enrolment(user: UserRow, secret: string): TotpEnrolment {
    return { secret, otpauthUri: otpauthUri(secret, user.name, this.#options.issuer) };
  }

  #secretOf(sealed: string): string {
    const secret = this.#options.box.open(sealed);
    // The cookie secret changed since enrolment: nobody can pass; an admin must reset it.
    if (secret === undefined) throw gatehouseError('GATEHOUSE_ERR_INTERNAL', 'a TOTP secret cannot be opened with this hub\'s key');
    return secret;
  }

  /** One conditional write (`use`) and `complete`, together or not at all. */
  #use(use: () => boolean, complete: () => boolean): 'used' | 'replayed' {
    return this.#options.store.atomically(() => {
      if (!use()) return 'replayed' as const;
      if (!complete()) throw new LoginGone();
      return 'used' as const;
    });
  }

  async #throttled<T>(username: string, address: string | undefined, work: () => Promise<T | Extract<CodeCheck, { ok: false }>>): Promise<T | Extract<CodeCheck, { ok: false }>> {
    const keys = totpKeys(username, address);
    return this.#throttle.exclusive(keys, async () => {
      const locked = this.#lockedFor(username, keys);
      if (locked > 0) return lockedOut(locked);
      return work();
    });
  }

  #lockedFor(username: string, keys: ThrottleKeys): number {
    return Math.max(this.#throttle.retryAfterSeconds(keys), this.#throttle.retryAfterSeconds({ account: passwordAccountKey(username) }));
  }

  #failed(username: string, address: string | undefined, reason: 'invalid' | 'replayed'): Extract<CodeCheck, { ok: false }> {
    const keys = totpKeys(username, address);
    this.#throttle.recordFailure(keys);
    this.#throttle.recordFailure({ account: passwordAccountKey(username) });
    this.#options.logger.warn({ username, reason, remoteAddress: address }, 'second factor refused');
    const locked = this.#lockedFor(username, keys);
    return locked > 0 ? lockedOut(locked) : { ok: false, reason, message: MESSAGES[reason] };
  }

  #succeeded(username: string): void {
    this.#throttle.clear(totpKeys(username).account);
    this.#throttle.clear(passwordAccountKey(username));
  }
}

function totpKeys(username: string, address?: string): ThrottleKeys {
  return { account: `totp:${username}`, ...(address === undefined ? {} : { address: `address:${address}` }) };
}

/** The key the local authenticator's password lock uses. */
function passwordAccountKey(username: string): string {
  return throttleKeys(username).account;
}

function lockedOut(seconds: number): Extract<CodeCheck, { ok: false }> {
  const failure = throttledFailure(seconds);
  return { ok: false, reason: 'throttled', message: failure.message as string, retryAfterSeconds: seconds };
}
