import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { isoFromStored, isoFromStoredOrNull } from '../db/stored-time.ts';

/**
 * API tokens: 256 random bits, shown once. The database keeps a short prefix (to recognise a token
 * in lists) and the SHA-256 of the whole token — enough for lookup, useless to a thief. A plain hash
 * is right here: the input is random, not a password, so there is nothing to brute-force.
 */

export type TokenKind =
  /** Made by a person or a script (page, API, `gatehouse token`). */
  | 'api'
  /** A spawned server's own JUPYTERHUB_API_TOKEN. */
  | 'server'
  /** Issued through OAuth to a single-user server for one browser user. */
  | 'oauth'
  /** One-time launch token for `gatehouse start --open` and first-admin setup. */
  | 'launch'
  /** One-time link where a person sets the password of an account that has none (admin-made, first admin). */
  | 'setup';

export interface TokenRow {
  readonly id: number;
  readonly userId: number;
  readonly kind: TokenKind;
  readonly prefix: string;
  readonly scopes: readonly string[];
  readonly note: string | null;
  readonly serverName: string | null;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastActivity: string | null;
}

interface RawToken {
  id: number;
  user_id: number;
  kind: TokenKind;
  prefix: string;
  scopes: string;
  note: string | null;
  server_name: string | null;
  created_at: number;
  expires_at: number | null;
  last_activity: number | null;
}

const TOKEN_PREFIX = 'gh_';
const COLUMNS = 'id, user_id, kind, prefix, scopes, note, server_name, created_at, expires_at, last_activity';

function toToken(raw: RawToken): TokenRow {
  return {
    id: raw.id,
    userId: raw.user_id,
    kind: raw.kind,
    prefix: raw.prefix,
    scopes: JSON.parse(raw.scopes) as string[],
    note: raw.note,
    serverName: raw.server_name,
    createdAt: isoFromStored(raw.created_at),
    expiresAt: isoFromStoredOrNull(raw.expires_at),
    lastActivity: isoFromStoredOrNull(raw.last_activity),
  };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export interface MintOptions {
  readonly userId: number;
  readonly kind: TokenKind;
  readonly scopes: readonly string[];
  readonly note?: string | undefined;
  readonly serverName?: string | undefined;
  readonly expiresInSeconds?: number | undefined;
  /** Use this value instead of a random one (GATEHOUSE_TOKEN); callers check its strength. */
  readonly value?: string | undefined;
}

export class TokenStore {
  readonly #db: Database;
  readonly #now: () => number;
  readonly #byHash;
  /** Last use, batched: written by `flushActivity`, never per request. */
  readonly #pendingActivity = new Map<number, number>();

  constructor(db: Database, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
    this.#byHash = db.prepare<[string], RawToken>(`SELECT ${COLUMNS} FROM tokens WHERE hash = ?`);
  }

  /** Creates a token and returns it once, in the clear, with its record. */
  mint(options: MintOptions): { token: string; row: TokenRow } {
    const token = options.value ?? `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const createdAt = this.#now();
    const expiresAt = options.expiresInSeconds === undefined ? null : createdAt + options.expiresInSeconds * 1000;
    const raw = this.#db
      .prepare<unknown[], RawToken>(
        `INSERT INTO tokens (user_id, kind, prefix, hash, scopes, note, server_name, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
      )
      .get(
        options.userId,
        options.kind,
        token.slice(0, TOKEN_PREFIX.length + 4),
        hashToken(token),
        JSON.stringify(options.scopes),
        options.note ?? null,
        options.serverName ?? null,
        createdAt,
        expiresAt,
      ) as RawToken;
    return { token, row: toToken(raw) };
  }

  /** The live token record for a presented token, or undefined (unknown, expired). Expired ones are deleted. */
  resolve(token: string): TokenRow | undefined {
    if (token.length < 16 || token.length > 512) return undefined;
    const raw = this.#byHash.get(hashToken(token));
    if (raw === undefined) return undefined;
    if (raw.expires_at !== null && raw.expires_at <= this.#now()) {
      this.#db.writeIfFree(() => this.revoke(raw.id)); // expired either way; housekeeping deletes it otherwise
      return undefined;
    }
    this.#pendingActivity.set(raw.id, this.#now());
    return toToken(raw);
  }

  /** Records a use of a token already resolved (the proxy's cached principals), batched like resolve(). */
  noteUse(id: number): void {
    this.#pendingActivity.set(id, this.#now());
  }

  get(id: number): TokenRow | undefined {
    const raw = this.#db.prepare<[number], RawToken>(`SELECT ${COLUMNS} FROM tokens WHERE id = ?`).get(id);
    return raw === undefined ? undefined : toToken(raw);
  }

  listFor(userId: number, kinds: readonly TokenKind[] = ['api']): TokenRow[] {
    const placeholders = kinds.map(() => '?').join(', ');
    return this.#db
      .prepare<unknown[], RawToken>(`SELECT ${COLUMNS} FROM tokens WHERE user_id = ? AND kind IN (${placeholders}) ORDER BY id`)
      .all(userId, ...kinds)
      .map(toToken);
  }

  revoke(id: number): boolean {
    this.#pendingActivity.delete(id);
    return this.#db.prepare('DELETE FROM tokens WHERE id = ?').run(id).changes > 0;
  }

  /** Revokes a user's tokens of the given kinds (all kinds when omitted); returns how many. */
  revokeAllFor(userId: number, kinds?: readonly TokenKind[], serverName?: string): number {
    const clauses = ['user_id = ?'];
    const params: unknown[] = [userId];
    if (kinds !== undefined) {
      clauses.push(`kind IN (${kinds.map(() => '?').join(', ')})`);
      params.push(...kinds);
    }
    if (serverName !== undefined) {
      clauses.push('server_name = ?');
      params.push(serverName);
    }
    return this.#db.prepare(`DELETE FROM tokens WHERE ${clauses.join(' AND ')}`).run(...params).changes;
  }

  /** Writes the batched last-use times in one transaction; on failure they stay pending and the error is thrown. */
  flushActivity(): void {
    if (this.#pendingActivity.size === 0) return;
    const updates = [...this.#pendingActivity];
    this.#pendingActivity.clear();
    const update = this.#db.prepare('UPDATE tokens SET last_activity = ? WHERE id = ?');
    try {
      this.#db.transaction(() => {
        for (const [id, at] of updates) update.run(at, id);
      });
    } catch (error) {
      // Not written (the database is locked): kept for the next flush unless a newer use replaced it.
      for (const [id, at] of updates) if (!this.#pendingActivity.has(id)) this.#pendingActivity.set(id, at);
      throw error;
    }
  }

  pruneExpired(): number {
    return this.#db.prepare('DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ?').run(this.#now()).changes;
  }
}
