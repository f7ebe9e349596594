import type { Spawner } from '@gatehouse/spawner';
import type { ServerRepository } from './server-repository.ts';

/** What deleting a user needs from whoever manages servers: all their servers gone before the user is. */
export interface ServerStopper {
  stopAll(user: { readonly id: number; readonly name: string }): Promise<void>;
}

/**
 * Stops a user's servers from their database records alone, for a process that did not start it (the
 * CLI, beside a running hub or none). The spawner contract makes this possible: everything needed
 * to stop a server is in its persisted handle. A running hub notices the process is gone at its next
 * poll and drops the route; the row itself goes with the user.
 */
export class RecordedServerStopper implements ServerStopper {
  readonly #repository: ServerRepository;
  readonly #spawner: Spawner;

  constructor(repository: ServerRepository, spawner: Spawner) {
    this.#repository = repository;
    this.#spawner = spawner;
  }

  /** The spawner's stop() also releases each server's port claim. */
  async stopAll(user: { readonly id: number; readonly name: string }): Promise<void> {
    const servers = this.#repository.allOf(user.id).filter((row) => row.handle !== undefined);
    await Promise.all(
      servers.map(async (row) => {
        this.#repository.markStopping(user.id, row.serverName);
        if (row.handle !== undefined) await this.#spawner.stop(row.handle);
      }),
    );
  }
}
