import type { UserRow } from '../db/users.ts';
import type { TokenStore } from './token-store.ts';

/** Setup links are valid this long. */
const SETUP_LINK_SECONDS = 24 * 60 * 60;

/** Mints a one-time setup code for `user` (older ones die) and returns its path. */
export function mintSetupPath(tokens: TokenStore, user: UserRow): string {
  tokens.revokeAllFor(user.id, ['setup']);
  const { token } = tokens.mint({ userId: user.id, kind: 'setup', scopes: [], note: 'password setup link', expiresInSeconds: SETUP_LINK_SECONDS });
  return `/hub/setup?code=${encodeURIComponent(token)}`;
}
