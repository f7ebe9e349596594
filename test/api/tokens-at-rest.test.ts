import { createHash } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '@gatehouse/hub';
import { loginWithForm } from '../support/login.ts';
import { api, expectApiError, filesContaining, tokenFor, useApiHub } from './helpers.ts';

/** Tokens at rest are a prefix and a hash; expiry and revocation bite on the next request; use is recorded. */

const env = useApiHub(['alice']);

interface TokenModel {
  id: string;
  token: string;
  expires_at: string | null;
  last_activity: string | null;
}

async function createToken(body: Record<string, unknown> = {}): Promise<TokenModel> {
  const response = await api(env.hub.baseUrl, 'POST', '/users/alice/tokens', { token: env.token('alice'), json: body });
  expect(response.status, response.text).toBe(201);
  return response.json<TokenModel>();
}

/** The database, read as another process would read it (read-only, through the WAL). */
function readDatabase<T>(read: (db: Database.Database) => T): T {
  const db = new Database(path.join(env.hub.dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

describe('tokens at rest', () => {
  it('keep only a short prefix and the SHA-256 of each token: no usable token in any row or any file', async () => {
    const made = [await createToken({ note: 'one' }), await createToken({ note: 'two', expires_in: 600 }), await createToken({ scopes: ['read:users!user=alice'] })];
    const browser = await loginWithForm(env.hub.baseUrl, 'alice');
    const sessionId = browser.cookie('gatehouse-session')?.value ?? '';
    expect(sessionId.length).toBeGreaterThanOrEqual(32);
    env.hub.services.activity.flush();

    const rows = readDatabase((db) => db.prepare('SELECT id, prefix, hash FROM tokens').all() as Array<{ id: number; prefix: string; hash: string }>);
    for (const { id, token } of made) {
      const row = rows.find((candidate) => `a${candidate.id}` === id);
      expect(row, id).toBeDefined();
      expect(row?.prefix).toBe(token.slice(0, 7));
      expect(row?.hash).toBe(createHash('sha256').update(token).digest('base64url'));
    }
    const everyValue = readDatabase((db) => {
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((table) => table.name);
      return tables.flatMap((table) => (db.prepare(`SELECT * FROM "${table}"`).all() as Array<Record<string, unknown>>).flatMap((row) => Object.values(row).map(String)));
    });
    // The scan sees what is stored (the prefix and the hash are there), so its silence below means something.
    expect(filesContaining(env.hub.dataDir, made[0]?.token.slice(0, 7) ?? '-').length).toBeGreaterThan(0);
    expect(filesContaining(env.hub.dataDir, rows[0]?.hash ?? '-').length).toBeGreaterThan(0);
    for (const secret of [...made.map((model) => model.token), env.token('alice'), sessionId]) {
      const body = secret.replace(/^gh_/, '');
      expect(everyValue.filter((value) => value.includes(body.slice(0, 16)))).toEqual([]);
      // The database file, its WAL, the cookie secret, server logs: every byte in the data dir.
      expect(filesContaining(env.hub.dataDir, body.slice(4, 24))).toEqual([]);
    }
    expect(env.hub.logs.text).not.toContain(env.token('alice').slice(7));
    for (const { token } of made) expect(env.hub.logs.text).not.toContain(token.slice(7));
  });
});

describe('expiry', () => {
  it('ends a token with expires_in when its time is up, and it leaves the list', async () => {
    const { id, token, expires_at } = await createToken({ expires_in: 60 });
    expect(Date.parse(expires_at ?? '') - env.hub.clock.now).toBeLessThanOrEqual(60_000);
    expect((await api(env.hub.baseUrl, 'GET', '/users/alice', { token })).status).toBe(200);
    env.hub.clock.advance(59_000);
    expect((await api(env.hub.baseUrl, 'GET', '/users/alice', { token })).status).toBe(200);
    env.hub.clock.advance(1_001);
    expectApiError(await api(env.hub.baseUrl, 'GET', '/users/alice', { token }), 401, 'GATEHOUSE_ERR_UNAUTHENTICATED');
    expectApiError(await api(env.hub.baseUrl, 'GET', '/user', { token }), 403);
    const listed = await api(env.hub.baseUrl, 'GET', '/users/alice/tokens', { token: env.token('alice') });
    expect(listed.json<{ api_tokens: Array<{ id: string }> }>().api_tokens.map((model) => model.id)).not.toContain(id);
  });

  it('does not end a token without expires_in', async () => {
    const { token, expires_at } = await createToken();
    expect(expires_at).toBeNull();
    env.hub.clock.advance(400 * 24 * 3600 * 1000);
    expect((await api(env.hub.baseUrl, 'GET', '/users/alice', { token })).status).toBe(200);
  });
});

describe('revocation', () => {
  it('ends a token at once, and a revoked id is gone (404)', async () => {
    const { id, token } = await createToken();
    expect((await api(env.hub.baseUrl, 'GET', '/users/alice', { token })).status).toBe(200);
    expect((await api(env.hub.baseUrl, 'DELETE', `/users/alice/tokens/${id}`, { token: env.token('alice') })).status).toBe(204);
    expectApiError(await api(env.hub.baseUrl, 'GET', '/users/alice', { token }), 401);
    expectApiError(await api(env.hub.baseUrl, 'GET', `/users/alice/tokens/${id}`, { token: env.token('alice') }), 404, 'GATEHOUSE_ERR_NOT_FOUND');
    expectApiError(await api(env.hub.baseUrl, 'DELETE', `/users/alice/tokens/${id}`, { token: env.token('alice') }), 404);
  });

  it("cannot reach another user's token through one's own name", async () => {
    const adminOwn = tokenFor(env.hub, 'admin');
    const adminId = (await api(env.hub.baseUrl, 'GET', '/user', { token: adminOwn })).json()['token_id'] as string;
    expectApiError(await api(env.hub.baseUrl, 'GET', `/users/alice/tokens/${adminId}`, { token: env.token('alice') }), 404);
    expectApiError(await api(env.hub.baseUrl, 'DELETE', `/users/alice/tokens/${adminId}`, { token: env.token('alice') }), 404);
    expect((await api(env.hub.baseUrl, 'GET', '/users/admin', { token: adminOwn })).status).toBe(200);
  });

  it('lets a token revoke itself', async () => {
    const { id, token } = await createToken();
    expect((await api(env.hub.baseUrl, 'DELETE', `/users/alice/tokens/${id}`, { token })).status).toBe(204);
    expectApiError(await api(env.hub.baseUrl, 'GET', '/users/alice', { token }), 401);
  });
});

describe("a token's last activity", () => {
  it('is recorded when the token is used (batched, written by the flush)', async () => {
    const { id, token, last_activity } = await createToken();
    expect(last_activity).toBeNull();
    env.hub.clock.advance(5_000);
    const usedAt = new Date(env.hub.clock.now).toISOString();
    expect((await api(env.hub.baseUrl, 'GET', '/users/alice', { token })).status).toBe(200);
    env.hub.services.activity.flush();
    const fetched = await api(env.hub.baseUrl, 'GET', `/users/alice/tokens/${id}`, { token: env.token('alice') });
    expect(fetched.json<TokenModel>().last_activity).toBe(usedAt);
    const stored = readDatabase((db) => db.prepare('SELECT last_activity FROM tokens WHERE id = ?').get(Number(id.slice(1))) as { last_activity: number });
    expect(stored.last_activity).toBe(env.hub.clock.now); // epoch ms, as every time column (docs/database.md)
  });
});
