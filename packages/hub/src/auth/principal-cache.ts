import type { DatabaseChangeWatch } from '../db/change-watch.ts';
import { sessionPrincipal, type Principal, type PrincipalSources } from './principal.ts';

/** Entries kept at most; beyond this the cache starts over (only valid sessions are ever stored). */
const MAX_ENTRIES = 10_000;

interface Entry {
  readonly principal: Principal;
  /** Epoch ms: the session's expiry, or when its sliding expiry is next due to be refreshed. */
  readonly validUntil: number;
}

/**
 * Who a session cookie on the proxy path belongs to, without hashing it and reading two tables on
 * every proxied request. Exact rather than time-based: the whole cache is dropped as soon as the
 * database may have changed (DatabaseChangeWatch: a logout, a revoked session, a deleted or demoted
 * user, from this hub or from the CLI), and an entry lapses at the session's own expiry and when
 * SessionStore.lookup() would next refresh its sliding expiry — so lookup() still runs then.
 * Unknown or expired cookies are never cached: every one of them is looked up.
 */
export class PrincipalCache {
  readonly #sources: PrincipalSources;
  readonly #watch: DatabaseChangeWatch;
  readonly #now: () => number;
  #entries = new Map<string, Entry>();
  #generation = -1;

  constructor(sources: PrincipalSources, watch: DatabaseChangeWatch, now: () => number = Date.now) {
    this.#sources = sources;
    this.#watch = watch;
    this.#now = now;
  }

  /** The principal of a live session id, as SessionStore.lookup() and the users table say now. */
  sessionPrincipal(sessionId: string | undefined): Principal | undefined {
    if (sessionId === undefined) return undefined;
    const generation = this.#watch.generation();
    if (generation !== this.#generation) {
      this.#entries = new Map();
      this.#generation = generation;
    }
    const now = this.#now();
    const cached = this.#entries.get(sessionId);
    if (cached !== undefined && now < cached.validUntil) return cached.principal;
    const record = this.#sources.sessions.lookup(sessionId);
    const principal = sessionPrincipal(this.#sources, record?.username);
    // A lookup that wrote (expired row deleted, sliding expiry refreshed) has changed the generation:
    // what it read is still right, but the next request re-reads the watch before trusting the cache.
    if (record === undefined || principal === undefined) {
      this.#entries.delete(sessionId);
      return undefined;
    }
    if (this.#entries.size >= MAX_ENTRIES) this.#entries = new Map();
    this.#entries.set(sessionId, { principal, validUntil: this.#sources.sessions.reusableUntil(record) });
    return principal;
  }
}
