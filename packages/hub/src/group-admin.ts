import { groupNameProblem } from '@gatehouse/authenticators';
import type { GroupRepository, GroupRow } from './db/groups.ts';
import type { UserRepository, UserRow } from './db/users.ts';
import { gatehouseError } from './errors.ts';
import type { Logger } from './log.ts';

/**
 * Group management written once, for the REST API and the admin page: names follow one rule
 * (groupNameProblem), members must be existing users, and every change is logged with who made it.
 * Memberships that a front proxy's groups header sets are replaced at that user's next login.
 */
export class GroupAdmin {
  constructor(
    private readonly groups: GroupRepository,
    private readonly users: UserRepository,
    private readonly logger: Logger,
  ) {}

  /** The name, or GATEHOUSE_ERR_INVALID_GROUP_NAME saying why not. */
  validName(raw: unknown): string {
    if (typeof raw !== 'string') throw gatehouseError('GATEHOUSE_ERR_INVALID_GROUP_NAME', 'expected a group name string');
    const problem = groupNameProblem(raw);
    if (problem !== undefined) throw gatehouseError('GATEHOUSE_ERR_INVALID_GROUP_NAME', `invalid group name ${JSON.stringify(raw)}: ${problem}`);
    return raw;
  }

  require(name: string): GroupRow {
    const group = this.groups.get(name);
    if (group === undefined) throw gatehouseError('GATEHOUSE_ERR_GROUP_NOT_FOUND', `no group named ${name}`);
    return group;
  }

  /** Creates the group with `members` (existing users); GATEHOUSE_ERR_GROUP_EXISTS when it exists. */
  create(rawName: unknown, members: unknown, actor: string): GroupRow {
    const name = this.validName(rawName);
    const users = this.#existingUsers(members);
    const group = this.groups.create(name);
    if (group === undefined) throw gatehouseError('GATEHOUSE_ERR_GROUP_EXISTS', `the group ${name} already exists`);
    this.groups.addMembers(group.id, users.map((user) => user.id));
    this.logger.info({ group: name, members: users.map((user) => user.name), actor }, 'group created');
    return group;
  }

  delete(name: string, actor: string): void {
    this.require(name);
    this.groups.delete(name);
    this.logger.info({ group: name, actor }, 'group deleted');
  }

  addMembers(name: string, members: unknown, actor: string): void {
    const group = this.require(name);
    const users = this.#existingUsers(members);
    this.groups.addMembers(group.id, users.map((user) => user.id));
    this.logger.info({ group: name, added: users.map((user) => user.name), actor }, 'group members added');
  }

  removeMembers(name: string, members: unknown, actor: string): void {
    const group = this.require(name);
    const users = this.#existingUsers(members);
    this.groups.removeMembers(group.id, users.map((user) => user.id));
    this.logger.info({ group: name, removed: users.map((user) => user.name), actor }, 'group members removed');
  }

  /** `members` as users: a list of names of existing users (400 naming the unknown ones). */
  #existingUsers(members: unknown): UserRow[] {
    if (members === undefined) return [];
    if (!Array.isArray(members) || members.some((name) => typeof name !== 'string')) {
      throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'users: expected a list of usernames');
    }
    const names = [...new Set(members as string[])];
    const unknown = names.filter((name) => this.users.get(name) === undefined);
    if (unknown.length > 0) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', `users: no such user ${unknown.join(', ')}`);
    return names.map((name) => this.users.get(name) as UserRow);
  }
}
