import type { Database } from './database.ts';

/** Remembered spawn options (the profile form's last choice), per user. */
export class SpawnChoiceStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  get(userId: number): Record<string, string> | undefined {
    const raw = this.#db.prepare<[number], { options: string }>('SELECT options FROM spawn_choices WHERE user_id = ?').get(userId);
    return raw === undefined ? undefined : (JSON.parse(raw.options) as Record<string, string>);
  }

  set(userId: number, options: Readonly<Record<string, string>>): void {
    this.#db
      .prepare('INSERT INTO spawn_choices (user_id, options, updated_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET options = excluded.options, updated_at = excluded.updated_at')
      .run(userId, JSON.stringify(options), Date.now());
  }
}
