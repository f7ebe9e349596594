import type { AccountRecord, AccountResult, AccountStore } from './types.ts';

/**
 * Account operations that mean the same for every account-keeping strategy (LocalAuthenticator,
 * RemoteUserLocalAuthenticator); only the password rules differ between them.
 */

export function noSuchAccount(username: string): AccountResult {
  return { ok: false, field: 'username', message: `There is no account named ${username}.` };
}

/** Creates the account, or says that it exists (also when a concurrent request created it first). */
export function createAccount(
  accounts: AccountStore,
  username: string,
  passwordHash: string | null,
  status: AccountRecord['status'],
): AccountResult {
  const exists: AccountResult = { ok: false, field: 'username', message: `An account named ${username} already exists.` };
  if (accounts.get(username) !== undefined) return exists;
  try {
    accounts.create({ username, passwordHash, status });
  } catch (error) {
    if (accounts.get(username) !== undefined) return exists;
    throw error;
  }
  return { ok: true };
}

export function approveAccount(accounts: AccountStore, username: string): AccountResult {
  const account = accounts.get(username);
  if (account === undefined) return noSuchAccount(username);
  if (account.status !== 'active') accounts.setStatus(username, 'active');
  return { ok: true };
}
