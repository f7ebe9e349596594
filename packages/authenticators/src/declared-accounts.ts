import { normaliseUsername } from './login-pipeline.ts';
import { PluginOptionsError, type AccountStore, type PluginLogger } from './types.ts';

/**
 * Accounts declared in hub.config.ts, for admins who provision hubs with configuration management:
 * `accounts: { alice: '$argon2id$…' }`, each hash printed by `gatehouse hash-password` (the way
 * Jupyter Server takes a hashed password in its config). The config is the source of truth: at every
 * start each declared account exists, is active, and has the declared hash.
 */

const ARGON2ID_HASH = /^\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/** Checks the option at construction; names are normalised like logins are. */
export function declaredAccountsOption(value: unknown, key: string): ReadonlyMap<string, string> {
  if (value === undefined) return new Map();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PluginOptionsError(key, "expected an object of username: hash, e.g. { alice: '$argon2id$…' }");
  }
  const accounts = new Map<string, string>();
  for (const [name, hash] of Object.entries(value)) {
    if (typeof hash !== 'string' || !ARGON2ID_HASH.test(hash)) {
      throw new PluginOptionsError(`${key}.${name}`, 'expected an argon2id hash as printed by `gatehouse hash-password`');
    }
    const username = normaliseUsername(name);
    if (username === '' || username !== name) throw new PluginOptionsError(`${key}.${name}`, `expected the username as people type it, in lower case (${username})`);
    accounts.set(username, hash);
  }
  return accounts;
}

/** Makes the store agree with the declared accounts (create, activate, set the hash); never deletes others. */
export function applyDeclaredAccounts(accounts: ReadonlyMap<string, string>, store: AccountStore, logger: PluginLogger): void {
  for (const [username, passwordHash] of accounts) {
    const existing = store.get(username);
    if (existing === undefined) store.create({ username, passwordHash, status: 'active' });
    else {
      if (existing.passwordHash !== passwordHash) store.setPasswordHash(username, passwordHash);
      if (existing.status !== 'active') store.setStatus(username, 'active');
    }
  }
  if (accounts.size > 0) logger.info({ accounts: [...accounts.keys()] }, 'accounts declared in the config applied');
}
