import type { Principal } from './principal.ts';
import { allows } from '../scopes.ts';

/** The hub-wide rule for opening other users' servers (config `adminAccess`). */
export interface ServerAccessPolicy {
  /** Admins may open every user's servers (else only their owners may). */
  readonly adminAccess: boolean;
}

/**
 * May `principal` open (reach through the proxy, or be logged in to by OAuth) `owner`'s server
 * `serverName` ('' is the default server)? The one place this is decided, for pages, API and proxy:
 * the principal must hold `access:servers` for that server, and be its owner — or an admin when
 * `adminAccess` is on.
 */
export function mayOpenServer(principal: Principal, owner: string, serverName: string, policy: ServerAccessPolicy): boolean {
  if (!allows(principal.scopes, 'access:servers', { user: owner, server: serverName })) return false;
  return principal.user.name === owner || (policy.adminAccess && principal.user.admin);
}
