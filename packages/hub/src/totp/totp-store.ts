import type { Database } from '../db/database.ts';
import { isoFromStoredOrNull } from '../db/stored-time.ts';

/** A user's TOTP record: the secret still sealed (SecretBox), whether it is active, the last step accepted. */
export interface TotpRecord {
  readonly sealedSecret: string;
  /** Null while enrolment waits for its first valid code. */
  readonly confirmedAt: string | null;
  readonly lastStep: number | null;
}

export interface StoredRecoveryCode {
  readonly id: number;
  readonly hash: string;
}

interface RawTotp {
  sealed_secret: string;
  confirmed_at: number | null;
  last_step: number | null;
}

/**
 * Second-factor rows in the hub database. The secret is stored sealed (the caller seals and opens it);
 * recovery codes only as argon2 hashes. Every "use once" rule is a single conditional UPDATE, so
 * two requests racing with the same code, in this process or another, cannot both succeed.
 */
export class TotpStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  get(userId: number): TotpRecord | undefined {
    const raw = this.#db.prepare<[number], RawTotp>('SELECT sealed_secret, confirmed_at, last_step FROM totp_secrets WHERE user_id = ?').get(userId);
    return raw === undefined ? undefined : { sealedSecret: raw.sealed_secret, confirmedAt: isoFromStoredOrNull(raw.confirmed_at), lastStep: raw.last_step };
  }

  /** Starts (or restarts) an enrolment with a new secret; false when an active secret exists. */
  beginEnrolment(userId: number, sealedSecret: string): boolean {
    const result = this.#db
      .prepare(
        `INSERT INTO totp_secrets (user_id, sealed_secret) VALUES (?, ?)
         ON CONFLICT(user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, last_step = NULL WHERE confirmed_at IS NULL`,
      )
      .run(userId, sealedSecret);
    return result.changes === 1;
  }

  /** Activates a pending enrolment with the step of its first code; false if already active or gone. */
  confirm(userId: number, step: number, at: Date): boolean {
    return this.#db.prepare('UPDATE totp_secrets SET confirmed_at = ?, last_step = ? WHERE user_id = ? AND confirmed_at IS NULL').run(at.getTime(), step, userId).changes === 1;
  }

  /** The replay guard: records `step` as used only when it is later than every step used before. */
  acceptStep(userId: number, step: number): boolean {
    return (
      this.#db.prepare('UPDATE totp_secrets SET last_step = ? WHERE user_id = ? AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < ?)').run(step, userId, step)
        .changes === 1
    );
  }

  /** Removes the secret and every recovery code; true when there was a secret. */
  remove(userId: number): boolean {
    return this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM totp_recovery_codes WHERE user_id = ?').run(userId);
      return this.#db.prepare('DELETE FROM totp_secrets WHERE user_id = ?').run(userId).changes > 0;
    });
  }

  /** A new set of recovery-code hashes; the old set is void. */
  replaceRecoveryCodes(userId: number, hashes: readonly string[]): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM totp_recovery_codes WHERE user_id = ?').run(userId);
      const insert = this.#db.prepare('INSERT INTO totp_recovery_codes (user_id, hash) VALUES (?, ?)');
      for (const hash of hashes) insert.run(userId, hash);
    });
  }

  unusedRecoveryCodes(userId: number): StoredRecoveryCode[] {
    return this.#db.prepare<[number], StoredRecoveryCode>('SELECT id, hash FROM totp_recovery_codes WHERE user_id = ? AND used_at IS NULL ORDER BY id').all(userId);
  }

  /** Marks a recovery code used; false when it already was (or is gone). */
  useRecoveryCode(id: number, at: Date): boolean {
    return this.#db.prepare('UPDATE totp_recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL').run(at.getTime(), id).changes === 1;
  }

  /** Runs `work` in one transaction: a use and the pending login it completes succeed or fail together. */
  atomically<T>(work: () => T): T {
    return this.#db.transaction(work);
  }
}
