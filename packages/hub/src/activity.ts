import type { UserRepository } from './db/users.ts';
import type { ServerRepository } from './servers/server-repository.ts';
import type { TokenStore } from './tokens/token-store.ts';

/**
 * Last-activity bookkeeping without a database write per request: the proxy and the API note
 * activity in memory (a Map set), and a timer writes it all in one transaction.
 */
export class ActivityRecorder {
  readonly #users: UserRepository;
  readonly #servers: ServerRepository;
  readonly #tokens: TokenStore;
  readonly #now: () => number;
  readonly #byUser = new Map<string, number>();
  readonly #byServer = new Map<number, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(users: UserRepository, servers: ServerRepository, tokens: TokenStore, now: () => number = Date.now) {
    this.#users = users;
    this.#servers = servers;
    this.#tokens = tokens;
    this.#now = now;
  }

  /** A request reached `username`'s server (or the user reported activity). */
  recordServer(userId: number, username: string, at = this.#now()): void {
    this.#byServer.set(userId, Math.max(at, this.#byServer.get(userId) ?? 0));
    this.recordUser(username, at);
  }

  recordUser(username: string, at = this.#now()): void {
    this.#byUser.set(username, Math.max(at, this.#byUser.get(username) ?? 0));
  }

  flush(): void {
    const iso = (entries: Map<string, number> | Map<number, number>) => new Map([...entries].map(([key, at]) => [key, new Date(at).toISOString()]));
    if (this.#byUser.size > 0) this.#users.recordActivity(iso(this.#byUser) as Map<string, string>);
    if (this.#byServer.size > 0) this.#servers.recordActivity(iso(this.#byServer) as Map<number, string>);
    this.#byUser.clear();
    this.#byServer.clear();
    this.#tokens.flushActivity();
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => this.flush(), intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and, unless told otherwise (the database is already gone), writes the last batch. */
  stop(options: { flush: boolean } = { flush: true }): void {
    clearInterval(this.#timer);
    if (options.flush) this.flush();
  }
}
