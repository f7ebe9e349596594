import type { UserRow } from '../db/users.ts';
import type { GatehouseConfig } from '../config/schema.ts';
import type { GroupRepository } from '../db/groups.ts';
import type { SpawnChoiceStore } from '../db/spawn-choices.ts';
import type { ServerManager } from './manager.ts';
import { resolveUserOptions } from './user-options.ts';

/**
 * Starts `owner`'s server `serverName` ('' the default) with the spawn options a request carried
 * (the API's JSON body, or the profile form's fields as user options): checked by
 * resolveUserOptions, stored with the server, and remembered for the owner's next form once a start
 * has begun with them (a repeated request while one is starting joins that start, whose options stay
 * those it began with).
 */
export function startWithUserOptions(
  services: {
    readonly config: Pick<GatehouseConfig, 'profiles'>;
    readonly groups: Pick<GroupRepository, 'namesOf'>;
    readonly servers: Pick<ServerManager, 'state' | 'start'>;
    readonly spawnChoices: Pick<SpawnChoiceStore, 'set'>;
  },
  owner: UserRow,
  userOptions: unknown,
  serverName = '',
): void {
  const resolved = resolveUserOptions(services.config, { name: owner.name, groups: services.groups.namesOf(owner.id) }, userOptions);
  const fresh = services.servers.state(owner.name, serverName) === 'stopped';
  services.servers.start(owner, serverName, resolved.userOptions, resolved.overrides);
  if (fresh && services.config.profiles.length > 0) services.spawnChoices.set(owner.id, resolved.userOptions);
}
