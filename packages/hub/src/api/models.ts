import type { UserRow } from '../db/users.ts';
import type { HubServices } from '../services.ts';
import { formatScope, type Scope } from '../scopes.ts';
import type { ServerManager, ServerState } from '../servers/manager.ts';
import { progressUrl, servicePrefix } from '../servers/environment.ts';
import type { ServerRepository } from '../servers/server-repository.ts';
import type { TokenRow } from '../tokens/token-store.ts';

/** JupyterHub's REST models, so tools written for its API work against Gatehouse. */

export interface ServerModel {
  name: string;
  ready: boolean;
  pending: 'spawn' | 'stop' | null;
  stopped: boolean;
  url: string;
  progress_url: string;
  started: string | null;
  last_activity: string | null;
  state: Record<string, never>;
  /** The spawn options the server was started with (`{}` on a hub without profiles). */
  user_options: Record<string, unknown>;
}

export interface UserModel {
  kind: 'user';
  name: string;
  admin: boolean;
  groups: string[];
  server: string | null;
  pending: 'spawn' | 'stop' | null;
  created: string;
  last_activity: string | null;
  servers: Record<string, ServerModel>;
}

function pendingOf(state: ServerState): ServerModel['pending'] {
  return state === 'pending' ? 'spawn' : state === 'stopping' ? 'stop' : null;
}

/**
 * JupyterHub's user model. `servers` lists every server that is not stopped, the default one under
 * `''`; with `includeStopped` (JupyterHub's `?include_stopped_servers`) also the stopped named ones.
 * `groups`: the names of the groups the user is in (GroupRepository.namesOf).
 */
export function userModel(user: UserRow, servers: ServerManager, repository: ServerRepository, groups: readonly string[], includeStopped = false): UserModel {
  const serverModels: Record<string, ServerModel> = {};
  for (const row of repository.allOf(user.id)) {
    const state = servers.state(user.name, row.serverName);
    if (state === 'stopped' && !includeStopped) continue;
    serverModels[row.serverName] = {
      name: row.serverName,
      ready: state === 'running',
      pending: pendingOf(state),
      stopped: state === 'stopped',
      url: servicePrefix(user.name, row.serverName),
      progress_url: progressUrl(user.name, row.serverName),
      started: state === 'stopped' ? null : row.startedAt,
      last_activity: row.lastActivity,
      state: {},
      user_options: { ...row.userOptions },
    };
  }
  const defaultState = servers.state(user.name, '');
  return {
    kind: 'user',
    name: user.name,
    admin: user.admin,
    groups: [...groups],
    server: defaultState === 'running' ? servicePrefix(user.name) : null,
    pending: pendingOf(defaultState),
    created: user.createdAt,
    last_activity: user.lastActivity,
    servers: serverModels,
  };
}

/** JupyterHub's group model. */
export interface GroupModel {
  kind: 'group';
  name: string;
  users: string[];
  roles: string[];
  properties: Record<string, never>;
}

export function groupModel(name: string, members: readonly string[]): GroupModel {
  return { kind: 'group', name, users: [...members], roles: [], properties: {} };
}

/** The user model with the user's groups, from the hub's services. */
export function userModelOf(services: Pick<HubServices, 'servers' | 'serverRepository' | 'groups'>, user: UserRow, includeStopped = false): UserModel {
  return userModel(user, services.servers, services.serverRepository, services.groups.namesOf(user.id), includeStopped);
}

export interface TokenModel {
  id: string;
  kind: 'api_token';
  user: string;
  note: string | null;
  scopes: string[];
  created: string;
  expires_at: string | null;
  last_activity: string | null;
  session_id: null;
  oauth_client: string;
}

/** Token ids are `a<number>`, as in JupyterHub. */
export function tokenModel(row: TokenRow, username: string): TokenModel {
  return {
    id: `a${row.id}`,
    kind: 'api_token',
    user: username,
    note: row.note,
    scopes: [...row.scopes],
    created: row.createdAt,
    expires_at: row.expiresAt,
    last_activity: row.lastActivity,
    session_id: null,
    oauth_client: 'Gatehouse',
  };
}

export function parseTokenId(id: string): number | undefined {
  const match = /^a(\d{1,15})$/.exec(id);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export function scopeStrings(scopes: readonly Scope[]): string[] {
  return scopes.map(formatScope);
}
