import type { Database } from './database.ts';

export interface GroupRow {
  readonly id: number;
  readonly name: string;
  readonly createdAt: string;
}

interface RawGroup {
  id: number;
  name: string;
  /** Epoch milliseconds, as every time column. */
  created_at: number;
}

function toGroup(raw: RawGroup): GroupRow {
  return { id: raw.id, name: raw.name, createdAt: new Date(raw.created_at).toISOString() };
}

/**
 * Groups and who is in them (JupyterHub's groups). Members are users by id, so renaming or deleting
 * a user needs nothing here (deleting cascades). Names are checked by the callers (groupNameProblem).
 */
export class GroupRepository {
  readonly #db: Database;
  /** Prepared once: the idle culler asks for every candidate user's groups on each sweep. */
  readonly #namesOf;

  constructor(db: Database) {
    this.#db = db;
    this.#namesOf = db.prepare<[number], { name: string }>(
      'SELECT g.name FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = ? ORDER BY g.name',
    );
  }

  get(name: string): GroupRow | undefined {
    const raw = this.#db.prepare<[string], RawGroup>('SELECT id, name, created_at FROM groups WHERE name = ?').get(name);
    return raw === undefined ? undefined : toGroup(raw);
  }

  /** Creates the group; undefined when one of that name exists. */
  create(name: string): GroupRow | undefined {
    const raw = this.#db
      .prepare<[string, number], RawGroup>('INSERT INTO groups (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING RETURNING id, name, created_at')
      .get(name, Date.now());
    return raw === undefined ? undefined : toGroup(raw);
  }

  delete(name: string): boolean {
    return this.#db.prepare('DELETE FROM groups WHERE name = ?').run(name).changes > 0;
  }

  /** Groups by name. */
  list(options: { offset?: number; limit?: number } = {}): GroupRow[] {
    return this.#db
      .prepare<[number, number], RawGroup>('SELECT id, name, created_at FROM groups ORDER BY name LIMIT ? OFFSET ?')
      .all(options.limit ?? -1, options.offset ?? 0)
      .map(toGroup);
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM groups').get() as { n: number }).n;
  }

  /** Names of the group's members, sorted. */
  memberNames(groupId: number): string[] {
    return this.#db
      .prepare<[number], { name: string }>('SELECT u.name FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = ? ORDER BY u.name')
      .all(groupId)
      .map((row) => row.name);
  }

  /** Names of the groups `userId` is in, sorted. */
  namesOf(userId: number): string[] {
    return this.#namesOf.all(userId).map((row) => row.name);
  }

  addMembers(groupId: number, userIds: readonly number[]): void {
    const insert = this.#db.prepare('INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING');
    this.#db.transaction(() => userIds.forEach((userId) => insert.run(groupId, userId)));
  }

  removeMembers(groupId: number, userIds: readonly number[]): void {
    const remove = this.#db.prepare('DELETE FROM group_members WHERE group_id = ? AND user_id = ?');
    this.#db.transaction(() => userIds.forEach((userId) => remove.run(groupId, userId)));
  }

  /**
   * Makes `userId` a member of exactly `names` (creating missing groups), in one transaction: what
   * an authenticator that reports groups (a front proxy's groups header) says at each login.
   */
  setMemberships(userId: number, names: readonly string[]): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM group_members WHERE user_id = ?').run(userId);
      for (const name of names) {
        const group = this.get(name) ?? (this.create(name) as GroupRow);
        this.addMembers(group.id, [userId]);
      }
    });
  }
}
