import type { DatabaseChangeWatch } from '../db/change-watch.ts';
import { resolveTokenPrincipal, sessionPrincipal, type Principal, type PrincipalSources } from './principal.ts';

/** Entries kept at most per kind; beyond this that map starts over (only valid credentials are ever stored). */
const MAX_ENTRIES = 10_000;

interface Entry {
  readonly principal: Principal;
  /** Epoch ms after which the entry must be looked up again (see the class comment). */
  readonly validUntil: number;
}

/**
 * Who a session cookie or an API token on the proxy path belongs to, without hashing it and
 * reading two tables on every proxied request. Exact rather than time-based: both maps are dropped
 * as soon as the database may have changed (DatabaseChangeWatch: a logout, a revoked session or
 * token, a deleted or demoted user, from this hub or from the CLI). A session entry also lapses at
 * the session's own expiry and when SessionStore.lookup() would next refresh its sliding expiry, so
 * lookup() still runs then; a token entry lapses at the token's expiry. Cached token uses are still
 * recorded (TokenStore.noteUse, batched like every use). Unknown or expired credentials are never
 * cached: every one of them is looked up.
 */
export class PrincipalCache {
  readonly #sources: PrincipalSources;
  readonly #watch: DatabaseChangeWatch;
  readonly #now: () => number;
  #sessions = new Map<string, Entry>();
  #tokens = new Map<string, Entry>();
  #generation = -1;

  constructor(sources: PrincipalSources, watch: DatabaseChangeWatch, now: () => number = Date.now) {
    this.#sources = sources;
    this.#watch = watch;
    this.#now = now;
  }

  /** The principal of a live session id, as SessionStore.lookup() and the users table say now. */
  sessionPrincipal(sessionId: string | undefined): Principal | undefined {
    if (sessionId === undefined) return undefined;
    this.#dropIfChanged();
    const cached = this.#sessions.get(sessionId);
    if (cached !== undefined && this.#now() < cached.validUntil) return cached.principal;
    const record = this.#sources.sessions.lookup(sessionId);
    const principal = sessionPrincipal(this.#sources, record?.username);
    // A lookup that wrote (expired row deleted, sliding expiry refreshed) has changed the generation:
    // what it read is still right, but the next request re-reads the watch before trusting the cache.
    if (record === undefined || principal === undefined) {
      this.#sessions.delete(sessionId);
      return undefined;
    }
    this.#sessions = remember(this.#sessions, sessionId, { principal, validUntil: this.#sources.sessions.reusableUntil(record) });
    return principal;
  }

  /** The principal of a live bearer token (api, server, oauth), as TokenStore.resolve() and the users table say now. */
  tokenPrincipal(token: string | undefined): Principal | undefined {
    if (token === undefined) return undefined;
    this.#dropIfChanged();
    const cached = this.#tokens.get(token);
    if (cached !== undefined && this.#now() < cached.validUntil) {
      this.#sources.tokens.noteUse(cached.principal.tokenId as number);
      return cached.principal;
    }
    const resolved = resolveTokenPrincipal(this.#sources, token);
    if (resolved === undefined) {
      this.#tokens.delete(token);
      return undefined;
    }
    this.#tokens = remember(this.#tokens, token, { principal: resolved.principal, validUntil: resolved.expiresAt });
    return resolved.principal;
  }

  #dropIfChanged(): void {
    const generation = this.#watch.generation();
    if (generation === this.#generation) return;
    this.#sessions = new Map();
    this.#tokens = new Map();
    this.#generation = generation;
  }
}

/** `entries` with `key` set, or a fresh map holding only it when `entries` is full. */
function remember(entries: Map<string, Entry>, key: string, entry: Entry): Map<string, Entry> {
  const map = entries.size >= MAX_ENTRIES ? new Map<string, Entry>() : entries;
  map.set(key, entry);
  return map;
}
