import type { Spawner } from '@gatehouse/spawner';
import type { ServerRepository } from './server-repository.ts';

/** What deleting a user needs from whoever manages servers: their servers gone before the user is. */
export interface ServerStopper {
  stop(user: { readonly id: number; readonly name: string }): Promise<void>;
}

/**
 * Stops a user's server from its database record alone, for a process that did not start it (the
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

  async stop(user: { readonly id: number; readonly name: string }): Promise<void> {
    const handle = this.#repository.get(user.id)?.handle;
    if (handle === undefined) return;
    this.#repository.markStopping(user.id);
    await this.#spawner.stop(handle);
    this.#repository.release(handle.port);
  }
}
