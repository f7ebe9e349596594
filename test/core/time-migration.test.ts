import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE, MIGRATIONS, openDatabase, schemaVersion } from '@gatehouse/hub';
import { UserRepository } from '../../packages/hub/src/db/users.ts';
import { ServerRepository } from '../../packages/hub/src/servers/server-repository.ts';
import { TokenStore } from '../../packages/hub/src/tokens/token-store.ts';
import { TotpStore } from '../../packages/hub/src/totp/totp-store.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

afterAll(cleanupTempDirs);

const timesMigration = MIGRATIONS.find((m) => m.description === 'times as epoch milliseconds in every table');
const before = (timesMigration?.version ?? 0) - 1;

/** Every column the schema has for a time (named `*_at` or `at`, or `last_activity`), by table. */
function timeColumns(db: Database.Database): Array<{ table: string; column: string; type: string }> {
  const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all();
  return tables.flatMap(({ name }) =>
    db
      .prepare<[], { name: string; type: string }>(`SELECT name, type FROM pragma_table_info('${name}')`)
      .all()
      .filter((column) => /(^|_)at$|^last_activity$/.test(column.name))
      .map((column) => ({ table: name, column: column.name, type: column.type })),
  );
}

describe('migration to epoch-millisecond times', () => {
  it('exists', () => {
    expect(timesMigration).toBeDefined();
  });

  it('converts the text times a previous hub wrote, on a real file, and keeps every row and reference', () => {
    const dir = tempDir();
    // The previous schema, with rows as the previous hub wrote them (ISO-8601 text and epoch ms).
    const old = openDatabase(dir, { targetVersion: before });
    expect(schemaVersion(old)).toBe(before);
    old.close();
    const raw = new Database(path.join(dir, DATABASE_FILE));
    raw.pragma('foreign_keys = ON');
    const iso = '2026-11-30T12:34:56.789Z';
    const later = '2026-12-01T00:00:00.001Z';
    raw.exec(`
      INSERT INTO users (name, admin, created_at, last_activity) VALUES ('alice', 1, '${iso}', '${later}');
      INSERT INTO users (name, admin, created_at) VALUES ('gone', 0, '${iso}');
      DELETE FROM users WHERE name = 'gone';
      INSERT INTO accounts (username, password_hash, status, created_at) VALUES ('alice', 'h', 'active', '${iso}');
      INSERT INTO sessions (id_hash, username, data, created_at, last_seen_at) VALUES ('s', 'alice', '{}', 1764506096789, 1764506096789);
      INSERT INTO servers (user_id, name, status, host, port, started_at, last_activity) VALUES (1, '', 'running', '127.0.0.1', 40001, '${iso}', NULL);
      INSERT INTO ports (port, owner, claimed_at) VALUES (40001, 'alice', '${iso}');
      INSERT INTO tokens (user_id, kind, prefix, hash, scopes, created_at, expires_at, last_activity)
        VALUES (1, 'api', 'gh_abcd', 'hash', '["inherit"]', '${iso}', '${later}', NULL);
      INSERT INTO oauth_clients (id, user_id, secret_hash, redirect_uri, created_at) VALUES ('c', 1, 'x', '/user/alice/oauth_callback', '${iso}');
      INSERT INTO oauth_codes (code_hash, client_id, user_id, redirect_uri, expires_at) VALUES ('k', 'c', 1, '/r', 1764506096789);
      INSERT INTO totp_secrets (user_id, sealed_secret, confirmed_at, last_step) VALUES (1, 'sealed', '${iso}', 7);
      INSERT INTO totp_recovery_codes (user_id, hash, used_at) VALUES (1, 'r1', '${later}'), (1, 'r2', NULL);
      INSERT INTO login_failures (key, at) VALUES ('alice', 1764506096789);
    `);
    raw.close();

    const backups: string[] = [];
    const db = openDatabase(dir, { onBackup: (file) => backups.push(file) });
    try {
      expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)?.version);
      const isoMs = Date.parse(iso);
      const laterMs = Date.parse(later);
      const row = (sql: string) => db.prepare(sql).get();
      expect(row('SELECT created_at, last_activity, typeof(created_at) AS t FROM users')).toEqual({ created_at: isoMs, last_activity: laterMs, t: 'integer' });
      expect(row('SELECT created_at FROM accounts')).toEqual({ created_at: isoMs });
      expect(row('SELECT started_at, last_activity FROM servers')).toEqual({ started_at: isoMs, last_activity: null });
      expect(row('SELECT claimed_at FROM ports')).toEqual({ claimed_at: isoMs });
      expect(row('SELECT created_at, expires_at, last_activity FROM tokens')).toEqual({ created_at: isoMs, expires_at: laterMs, last_activity: null });
      expect(row('SELECT created_at FROM oauth_clients')).toEqual({ created_at: isoMs });
      expect(row('SELECT confirmed_at, last_step FROM totp_secrets')).toEqual({ confirmed_at: isoMs, last_step: 7 });
      expect(db.prepare('SELECT hash, used_at FROM totp_recovery_codes ORDER BY id').all()).toEqual([{ hash: 'r1', used_at: laterMs }, { hash: 'r2', used_at: null }]);
      expect(row('SELECT created_at, last_seen_at FROM sessions')).toEqual({ created_at: 1764506096789, last_seen_at: 1764506096789 });

      // The stores read the converted rows back as the times they were.
      const alice = new UserRepository(db).get('alice');
      expect(alice).toMatchObject({ createdAt: iso, lastActivity: later });
      expect(new ServerRepository(db).get(alice?.id ?? 0)).toMatchObject({ startedAt: iso, lastActivity: null, handle: { port: 40001 } });
      expect(new TokenStore(db).listFor(alice?.id ?? 0)).toMatchObject([{ createdAt: iso, expiresAt: later, lastActivity: null }]);
      expect(new TotpStore(db).get(alice?.id ?? 0)).toMatchObject({ confirmedAt: iso, lastStep: 7 });

      // A deleted user's id is still never reused, and deleting a user still cascades everywhere.
      const next = new UserRepository(db).create('bob', false);
      expect(next.id).toBe(3);
      db.prepare("DELETE FROM users WHERE name = 'alice'").run();
      for (const table of ['sessions', 'servers', 'tokens', 'oauth_clients', 'oauth_codes', 'totp_secrets', 'totp_recovery_codes']) {
        expect(row(`SELECT COUNT(*) AS n FROM ${table}`), table).toEqual({ n: 0 });
      }
    } finally {
      db.close();
    }
    expect(backups).toHaveLength(1);
  });

  it('leaves no time column that is not INTEGER', () => {
    const dir = tempDir();
    openDatabase(dir).close();
    const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
    try {
      const columns = timeColumns(db);
      expect(columns.length).toBeGreaterThanOrEqual(17);
      expect(columns.filter((column) => column.type !== 'INTEGER')).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('stops, naming itself, on a stored time that is not a time, and leaves the database as it was', () => {
    const dir = tempDir();
    const old = openDatabase(dir, { targetVersion: before });
    old.prepare("INSERT INTO users (name, admin, created_at) VALUES ('alice', 0, 'not a time')").run();
    old.close();
    expect(() => openDatabase(dir)).toThrow(expect.objectContaining({ code: 'GATEHOUSE_ERR_MIGRATION', message: expect.stringContaining('times as epoch milliseconds') }));
    const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(before);
      expect(db.prepare('SELECT created_at FROM users').get()).toEqual({ created_at: 'not a time' });
    } finally {
      db.close();
    }
  });
});
