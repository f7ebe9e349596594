import { ActivityKinds, serverKey, type ActivityKind } from './activity-kinds.ts';
import type { UserRepository } from './db/users.ts';
import { activityKey, type ServerRepository } from './servers/server-repository.ts';
import type { TokenStore } from './tokens/token-store.ts';

/**
 * Last-activity bookkeeping without a database write per proxied request: the proxy notes activity
 * in memory (a Map set), and a timer writes it all in one transaction. A batch that cannot be
 * written (the database is locked by another process) stays pending for the next tick. Activity a
 * client reports through the API is written before the API answers: what is acknowledged survives
 * a crash of the hub.
 */
export class ActivityRecorder {
  readonly #users: UserRepository;
  readonly #servers: ServerRepository;
  readonly #tokens: TokenStore;
  readonly #now: () => number;
  #byUser = new Map<string, number>();
  /** By activityKey(userId, serverName). */
  #byServer = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  /** The same activity by kind, in memory only: what the culler judges (activity-kinds.ts). */
  readonly kinds = new ActivityKinds();

  constructor(users: UserRepository, servers: ServerRepository, tokens: TokenStore, now: () => number = Date.now) {
    this.#users = users;
    this.#servers = servers;
    this.#tokens = tokens;
    this.#now = now;
  }

  /** A request (or, with kind 'websocket', browser messages) reached one of `username`'s servers: noted for the next batch. */
  recordServer(userId: number, username: string, serverName: string, at = this.#now(), kind: ActivityKind = 'http', messages = 0): void {
    note(this.#byServer, activityKey(userId, serverName), at);
    this.kinds.note(serverKey(username, serverName), kind, at, messages);
    this.recordUser(username, at);
  }

  recordUser(username: string, at = this.#now()): void {
    note(this.#byUser, username, at);
  }

  /**
   * Activity reported through the API: the user's latest time, and each named server's own (by server
   * name), committed now (throws when the database refuses the write).
   */
  commit(userId: number, username: string, userAt: number, servers: ReadonlyMap<string, number>): void {
    const byServer = new Map([...servers].map(([serverName, at]): [string, number] => [activityKey(userId, serverName), at]));
    this.#write(new Map([[username, userAt]]), byServer);
    for (const [serverName, at] of servers) this.kinds.note(serverKey(username, serverName), 'report', at);
  }

  /** Writes the pending batch; on failure it stays pending (merged with newer activity) and the error is thrown. */
  flush(): void {
    const byUser = this.#byUser;
    const byServer = this.#byServer;
    this.#byUser = new Map();
    this.#byServer = new Map();
    try {
      this.#write(byUser, byServer);
    } catch (error) {
      for (const [name, at] of byUser) note(this.#byUser, name, at);
      for (const [id, at] of byServer) note(this.#byServer, id, at);
      throw error;
    }
    this.#tokens.flushActivity();
  }

  /** Flushes every `intervalMs`; a failed flush is reported to `onFailure` and retried on the next tick. */
  start(intervalMs: number, onFailure: (error: unknown) => void): void {
    this.#timer = setInterval(() => {
      try {
        this.flush();
      } catch (error) {
        onFailure(error);
      }
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and, unless told otherwise (the database is already gone), writes the last batch. */
  stop(options: { flush: boolean } = { flush: true }): void {
    clearInterval(this.#timer);
    if (options.flush) this.flush();
  }

  #write(byUser: ReadonlyMap<string, number>, byServer: ReadonlyMap<string, number>): void {
    if (byUser.size > 0) this.#users.recordActivity(byUser);
    if (byServer.size > 0) this.#servers.recordActivity(byServer);
  }
}

function note<K>(entries: Map<K, number>, key: K, at: number): void {
  entries.set(key, Math.max(at, entries.get(key) ?? 0));
}
