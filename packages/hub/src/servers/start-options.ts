import type { UserRow } from '../db/users.ts';
import type { HubServices } from '../services.ts';
import { resolveUserOptions } from './user-options.ts';

/**
 * Starts `owner`'s server with the spawn options a request carried (the API's JSON body, or the
 * profile form's fields as user options): checked by resolveUserOptions, then remembered for the
 * owner's next form once the start has begun.
 */
export function startWithUserOptions(services: Pick<HubServices, 'config' | 'groups' | 'servers' | 'spawnChoices'>, owner: UserRow, userOptions: unknown): void {
  const resolved = resolveUserOptions(services.config, { name: owner.name, groups: services.groups.namesOf(owner.id) }, userOptions);
  services.servers.start(owner, resolved.overrides);
  if (services.config.profiles.length > 0) services.spawnChoices.set(owner.id, resolved.userOptions);
}
