import { throttleOption, type ThrottleSettings } from '@gatehouse/authenticators';
import type { GatehouseConfig } from '../config/schema.ts';
import { SqliteThrottleStore } from '../db/accounts.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import type { SecretBox } from '../secret-box.ts';
import { SecondFactor } from './second-factor.ts';
import { TotpStore } from './totp-store.ts';

/** The lock settings of the password check when the authenticator has one (LocalAuthenticator), else the defaults. */
function lockSettings(config: GatehouseConfig): ThrottleSettings {
  const own = (config.authenticator as { throttle?: Partial<ThrottleSettings> }).throttle;
  return own !== undefined && typeof own.maxFailures === 'number' ? (own as ThrottleSettings) : throttleOption(undefined);
}

/** The hub's (or a CLI command's) SecondFactor over its database. */
export function secondFactorFor(config: GatehouseConfig, db: Database, box: SecretBox, logger: Logger, now: () => number = Date.now): SecondFactor {
  return new SecondFactor({
    store: new TotpStore(db),
    box,
    throttleStore: new SqliteThrottleStore(db),
    throttle: lockSettings(config),
    requiredFor: config.totp.requiredFor,
    issuer: config.totp.issuer,
    logger,
    now,
  });
}
