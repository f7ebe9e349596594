import { ServerMap } from './server-map.ts';

/**
 * The last thing that went wrong with a server (user, serverName), for the person who owns it: a start that
 * failed, or a server that exited while it was running. Kept in memory until the next successful
 * start (a hub restart forgets it: the log file keeps the detail).
 */
export interface ServerProblem {
  readonly kind: 'start-failed' | 'exited';
  /** Epoch milliseconds, on the hub's clock. */
  readonly at: number;
  /** What happened, in words; for a failed start the spawner's reason (its last output lines included). */
  readonly reason: string;
}

export class ServerProblems {
  readonly #last = new ServerMap<ServerProblem>();

  constructor(private readonly now: () => number) {}

  record(username: string, serverName: string, kind: ServerProblem['kind'], reason: string): void {
    this.#last.set(username, serverName, { kind, at: this.now(), reason });
  }

  clear(username: string, serverName: string): void {
    this.#last.delete(username, serverName);
  }

  last(username: string, serverName: string): ServerProblem | undefined {
    return this.#last.get(username, serverName);
  }
}
