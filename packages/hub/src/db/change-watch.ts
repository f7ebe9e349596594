import type { Db } from './database.ts';

/**
 * Tells whether anything in the database may have changed: a write by this hub (SQLite's
 * `total_changes()` of our connection) or a commit by another process, such as `gatehouse passwd`
 * or `gatehouse userdel` (`PRAGMA data_version`). Both are read with one statement, at most once per
 * event-loop turn: every request that starts in a later turn than a commit sees the change, and a
 * client cannot send a request after observing a commit and have it served in the same turn.
 * Caches of what the database says (PrincipalCache) are exact when keyed on `generation()`.
 */
export class DatabaseChangeWatch {
  readonly #versions;
  #generation = 0;
  #lastChanges = -1;
  #lastDataVersion = -1;
  #checkedThisTurn = false;
  readonly #endTurn = () => {
    this.#checkedThisTurn = false;
  };

  constructor(db: Db) {
    this.#versions = db.prepare<[], [number, number]>('SELECT total_changes(), (SELECT data_version FROM pragma_data_version)').raw();
  }

  /** A number that differs from any earlier one whenever the database may have changed since. */
  generation(): number {
    if (this.#checkedThisTurn) return this.#generation;
    this.#checkedThisTurn = true;
    setImmediate(this.#endTurn);
    const [changes, dataVersion] = this.#versions.get() as [number, number];
    if (changes !== this.#lastChanges || dataVersion !== this.#lastDataVersion) {
      this.#lastChanges = changes;
      this.#lastDataVersion = dataVersion;
      this.#generation += 1;
    }
    return this.#generation;
  }
}
