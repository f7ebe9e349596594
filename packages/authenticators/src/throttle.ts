import { optionalInteger, optionsObject } from './options.ts';
import type { AuthFailure, ThrottleStore } from './types.ts';

export interface ThrottleSettings {
  /** Failures within `windowSeconds` that lock an account. */
  readonly maxFailures: number;
  /**
   * The same for one client address; defaults to 4 × `maxFailures`. The address lock stops one
   * client guessing across many accounts; a lower one would lock out a person whose account an
   * admin has just unlocked, or everyone behind one NAT.
   */
  readonly maxFailuresPerAddress: number;
  readonly windowSeconds: number;
  /** How long the lock lasts, counted from the failure that reached the limit. */
  readonly lockoutSeconds: number;
}

export const DEFAULT_THROTTLE = Object.freeze({ maxFailures: 5, windowSeconds: 300, lockoutSeconds: 900 });
const ADDRESS_FACTOR = 4;

export function throttleOption(value: unknown): ThrottleSettings {
  const path = 'authenticator.throttle';
  const checked = optionsObject(value, path, ['maxFailures', 'maxFailuresPerAddress', 'windowSeconds', 'lockoutSeconds']);
  const day = 24 * 60 * 60;
  const maxFailures = optionalInteger(checked['maxFailures'], `${path}.maxFailures`, 1, 1000) ?? DEFAULT_THROTTLE.maxFailures;
  return {
    maxFailures,
    maxFailuresPerAddress: optionalInteger(checked['maxFailuresPerAddress'], `${path}.maxFailuresPerAddress`, 1, 100_000) ?? maxFailures * ADDRESS_FACTOR,
    windowSeconds: optionalInteger(checked['windowSeconds'], `${path}.windowSeconds`, 1, day) ?? DEFAULT_THROTTLE.windowSeconds,
    lockoutSeconds: optionalInteger(checked['lockoutSeconds'], `${path}.lockoutSeconds`, 1, day) ?? DEFAULT_THROTTLE.lockoutSeconds,
  };
}

/** The keys one attempt counts against: the account, and the client address when there is one. */
export interface ThrottleKeys {
  readonly account: string;
  readonly address?: string;
}

export function throttleKeys(username: string, remoteAddress?: string): ThrottleKeys {
  return { account: `account:${username}`, ...(remoteAddress === undefined ? {} : { address: `address:${remoteAddress}` }) };
}

/** "Try again in 14 minutes." — minutes rounded up, so the person never comes back too early. */
export function throttledFailure(retryAfterSeconds: number): AuthFailure {
  const unit = (count: number, name: string) => `${count} ${name}${count === 1 ? '' : 's'}`;
  const wait = retryAfterSeconds < 60 ? unit(retryAfterSeconds, 'second') : unit(Math.ceil(retryAfterSeconds / 60), 'minute');
  return { ok: false, reason: 'throttled', retryAfterSeconds, message: `Too many failed attempts. Try again in ${wait}.` };
}

/**
 * Failure counting over the hub's persistent ThrottleStore (so a restart does not lift a lock),
 * plus an in-process lock per key: attempts on one account or from one address run one at a time,
 * so a burst of parallel guesses cannot all be checked before the first failure is recorded.
 */
export class LoginThrottle {
  readonly #store: () => ThrottleStore;
  readonly #settings: ThrottleSettings;
  readonly #now: () => Date;
  readonly #tails = new Map<string, Promise<void>>();

  constructor(store: () => ThrottleStore, settings: ThrottleSettings, now: () => Date) {
    this.#store = store;
    this.#settings = settings;
    this.#now = now;
  }

  /** Seconds until no key is locked; 0 when none is. */
  retryAfterSeconds(keys: ThrottleKeys): number {
    const account = this.#secondsLocked(keys.account, this.#settings.maxFailures);
    if (keys.address === undefined) return account;
    return Math.max(account, this.#secondsLocked(keys.address, this.#settings.maxFailuresPerAddress));
  }

  recordFailure(keys: ThrottleKeys): void {
    const at = this.#now();
    for (const key of [keys.account, keys.address]) if (key !== undefined) this.#store().recordFailure(key, at);
  }

  clear(key: string): void {
    this.#store().clear(key);
  }

  /** Runs `task` holding the locks of `keys`, always account then address, so two attempts never wait on each other in a cycle. */
  async exclusive<T>(keys: ThrottleKeys, task: () => Promise<T>): Promise<T> {
    const releases: Array<() => void> = [];
    try {
      for (const key of [keys.account, keys.address]) if (key !== undefined) releases.push(await this.#acquire(key));
      return await task();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  #secondsLocked(key: string, limit: number): number {
    const { windowSeconds, lockoutSeconds } = this.#settings;
    const now = this.#now().getTime();
    // Only failures this recent can belong to a lock that has not yet ended.
    const failures = this.#store().failuresSince(key, new Date(now - (windowSeconds + lockoutSeconds) * 1000));
    // The latest failure that completed `limit` failures within the window started the newest lock.
    for (let last = failures.length - 1; last >= limit - 1; last--) {
      const end = (failures[last] as Date).getTime();
      const first = (failures[last - limit + 1] as Date).getTime();
      if (end - first <= windowSeconds * 1000) {
        const lockedUntil = end + lockoutSeconds * 1000;
        return lockedUntil > now ? Math.ceil((lockedUntil - now) / 1000) : 0;
      }
    }
    return 0;
  }

  async #acquire(key: string): Promise<() => void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => held);
    this.#tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }
}
