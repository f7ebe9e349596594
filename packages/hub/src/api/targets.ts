import type { ScopeTarget } from '../scopes.ts';
import type { HubServices } from '../services.ts';

/** A user (or one server of theirs) as a scope target, with their groups so `!group=` filters apply. */
export function userTarget(services: Pick<HubServices, 'users' | 'groups'>, name: string, server?: string): ScopeTarget {
  const user = services.users.get(name);
  const groups = user === undefined ? [] : services.groups.namesOf(user.id);
  return server === undefined ? { user: name, groups } : { user: name, server, groups };
}
