import type { UserRow } from '../db/users.ts';
import type { HubServices } from '../services.ts';
import { formatScope, type Scope } from '../auth/scopes.ts';
import type { ServerManager } from '../servers/manager.ts';
import { servicePrefix } from '../servers/environment.ts';
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
  user_options: Record<string, string>;
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

/**
 * `groups`: the names of the groups the user is in (GroupRepository.namesOf); `userOptions`: the
 * options of their latest start (SpawnChoiceStore), shown on a server that is starting or running.
 */
export function userModel(
  user: UserRow,
  servers: ServerManager,
  repository: ServerRepository,
  groups: readonly string[],
  userOptions: Readonly<Record<string, string>> = {},
): UserModel {
  const state = servers.state(user.name);
  const pending = state === 'pending' ? 'spawn' : state === 'stopping' ? 'stop' : null;
  const url = servicePrefix(user.name);
  const row = state === 'stopped' ? undefined : repository.get(user.id);
  const serverModels: Record<string, ServerModel> = {};
  if (state !== 'stopped') {
    serverModels[''] = {
      name: '',
      ready: state === 'running',
      pending,
      stopped: false,
      url,
      progress_url: `/hub/api/users/${encodeURIComponent(user.name)}/server/progress`,
      started: row?.startedAt ?? null,
      last_activity: row?.lastActivity ?? null,
      state: {},
      user_options: { ...userOptions },
    };
  }
  return {
    kind: 'user',
    name: user.name,
    admin: user.admin,
    groups: [...groups],
    server: state === 'running' ? url : null,
    pending,
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
export function userModelOf(services: Pick<HubServices, 'servers' | 'serverRepository' | 'groups' | 'spawnChoices'>, user: UserRow): UserModel {
  const running = services.servers.state(user.name) !== 'stopped';
  const userOptions = running ? services.spawnChoices.get(user.id) : undefined;
  return userModel(user, services.servers, services.serverRepository, services.groups.namesOf(user.id), userOptions);
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
