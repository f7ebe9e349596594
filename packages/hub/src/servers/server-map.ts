/**
 * State kept per server, keyed by (username, serverName) — the unit of everything the hub runs. Two
 * levels of Map, so a lookup on the proxy's path builds no composite key and a user's servers are
 * found together.
 */
export class ServerMap<T> {
  readonly #byUser = new Map<string, Map<string, T>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(username: string, serverName: string): T | undefined {
    return this.#byUser.get(username)?.get(serverName);
  }

  has(username: string, serverName: string): boolean {
    return this.#byUser.get(username)?.has(serverName) ?? false;
  }

  set(username: string, serverName: string, value: T): void {
    let servers = this.#byUser.get(username);
    if (servers === undefined) this.#byUser.set(username, (servers = new Map()));
    if (!servers.has(serverName)) this.#size++;
    servers.set(serverName, value);
  }

  delete(username: string, serverName: string): boolean {
    const servers = this.#byUser.get(username);
    if (servers === undefined || !servers.delete(serverName)) return false;
    this.#size--;
    if (servers.size === 0) this.#byUser.delete(username);
    return true;
  }

  /** The names of `username`'s servers that have an entry. */
  namesOf(username: string): string[] {
    return [...(this.#byUser.get(username)?.keys() ?? [])];
  }

  /** [username, serverName, value] for every entry (a snapshot: safe to change the map meanwhile). */
  entries(): Array<[string, string, T]> {
    return [...this.#byUser].flatMap(([username, servers]) => [...servers].map(([serverName, value]): [string, string, T] => [username, serverName, value]));
  }

  values(): T[] {
    return this.entries().map(([, , value]) => value);
  }
}
