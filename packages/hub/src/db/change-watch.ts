import type { Database } from './database.ts';

/**
 * Tells whether anything in the database may have changed: a write by this hub or a commit by
 * another process, such as `gatehouse passwd` or `gatehouse userdel` (Database.changeStamp; in
 * SQLite `total_changes()` and `PRAGMA data_version`). The stamp is read at most once per
 * event-loop turn: every request that starts in a later turn than a commit sees the change, and a
 * client cannot send a request after observing a commit and have it served in the same turn.
 * Caches of what the database says (PrincipalCache) are exact when keyed on `generation()`.
 */
export class DatabaseChangeWatch {
  readonly #db: Database;
  #generation = 0;
  #lastStamp = '';
  #checkedThisTurn = false;
  readonly #endTurn = () => {
    this.#checkedThisTurn = false;
  };

  constructor(db: Database) {
    this.#db = db;
  }

  /** A number that differs from any earlier one whenever the database may have changed since. */
  generation(): number {
    if (this.#checkedThisTurn) return this.#generation;
    this.#checkedThisTurn = true;
    setImmediate(this.#endTurn);
    const stamp = this.#db.changeStamp();
    if (stamp !== this.#lastStamp) {
      this.#lastStamp = stamp;
      this.#generation += 1;
    }
    return this.#generation;
  }
}
