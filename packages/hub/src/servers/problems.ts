/**
 * The last thing that went wrong with a user's server, for the person who owns it: a start that
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
  readonly #last = new Map<string, ServerProblem>();

  constructor(private readonly now: () => number) {}

  record(username: string, kind: ServerProblem['kind'], reason: string): void {
    this.#last.set(username, { kind, at: this.now(), reason });
  }

  clear(username: string): void {
    this.#last.delete(username);
  }

  last(username: string): ServerProblem | undefined {
    return this.#last.get(username);
  }
}
