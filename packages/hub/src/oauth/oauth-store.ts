import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { hashToken } from '../tokens/token-store.ts';

/**
 * The OAuth2 provider's records: one client per spawned server (its secret is the server's API
 * token, as jupyterhub-singleuser expects) and single-use authorization codes, stored hashed.
 */
export interface OAuthClient {
  readonly id: string;
  readonly userId: number;
  /** The server the client belongs to ('' for the default server). */
  readonly serverName: string;
  readonly redirectUri: string;
}

export interface AuthorizationCode {
  readonly clientId: string;
  readonly userId: number;
  readonly redirectUri: string;
}

/** Codes live this long: the browser follows the redirect at once. */
const CODE_LIFETIME_MS = 60_000;

export class OAuthStore {
  readonly #db: Database;
  readonly #now: () => number;

  constructor(db: Database, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /** Registers (or replaces) the client of a server at spawn. */
  registerClient(client: OAuthClient, secret: string): void {
    this.#db
      .prepare(
        `INSERT INTO oauth_clients (id, user_id, server_name, secret_hash, redirect_uri, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET user_id = excluded.user_id, server_name = excluded.server_name,
           secret_hash = excluded.secret_hash, redirect_uri = excluded.redirect_uri`,
      )
      .run(client.id, client.userId, client.serverName, hashToken(secret), client.redirectUri, this.#now());
  }

  /** Removes one server's client (its codes go with it). */
  removeClient(id: string): void {
    this.#db.prepare('DELETE FROM oauth_clients WHERE id = ?').run(id);
  }

  client(id: string): OAuthClient | undefined {
    const raw = this.#db
      .prepare<[string], { id: string; user_id: number; server_name: string; redirect_uri: string }>('SELECT id, user_id, server_name, redirect_uri FROM oauth_clients WHERE id = ?')
      .get(id);
    return raw === undefined ? undefined : { id: raw.id, userId: raw.user_id, serverName: raw.server_name, redirectUri: raw.redirect_uri };
  }

  /** Whether `secret` is the client's secret (compared as hashes, in constant time). */
  verifyClientSecret(id: string, secret: string): boolean {
    const raw = this.#db.prepare<[string], { secret_hash: string }>('SELECT secret_hash FROM oauth_clients WHERE id = ?').get(id);
    if (raw === undefined) return false;
    const given = Buffer.from(hashToken(secret));
    const expected = Buffer.from(raw.secret_hash);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  issueCode(code: AuthorizationCode): string {
    const value = randomBytes(32).toString('base64url');
    this.#db
      .prepare('INSERT INTO oauth_codes (code_hash, client_id, user_id, redirect_uri, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(hashToken(value), code.clientId, code.userId, code.redirectUri, this.#now() + CODE_LIFETIME_MS);
    return value;
  }

  /** The code's grant, consumed: a second use, or a use after expiry, finds nothing. */
  consumeCode(value: string): AuthorizationCode | undefined {
    const hash = hashToken(value);
    return this.#db.transaction(() => {
      const raw = this.#db
        .prepare<[string], { client_id: string; user_id: number; redirect_uri: string; expires_at: number }>('SELECT * FROM oauth_codes WHERE code_hash = ?')
        .get(hash);
      if (raw === undefined) return undefined;
      this.#db.prepare('DELETE FROM oauth_codes WHERE code_hash = ?').run(hash);
      if (raw.expires_at <= this.#now()) return undefined;
      return { clientId: raw.client_id, userId: raw.user_id, redirectUri: raw.redirect_uri };
    });
  }

  pruneExpiredCodes(): void {
    this.#db.prepare('DELETE FROM oauth_codes WHERE expires_at <= ?').run(this.#now());
  }
}
