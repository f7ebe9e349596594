import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, openDatabase, schemaVersion, DATABASE_FILE } from '@gatehouse/hub';
import { startTestHub } from '../support/hub.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

afterAll(cleanupTempDirs);

const latest = MIGRATIONS.at(-1)?.version ?? 0;

/** A PRAGMA of the database file, read through a second connection (the hub's is behind its Database interface). */
function readPragma(dir: string, name: string): unknown {
  const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
  try {
    return db.pragma(name, { simple: true });
  } finally {
    db.close();
  }
}

describe('database', () => {
  it('creates the schema in WAL mode at the latest version', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    try {
      expect(schemaVersion(db)).toBe(latest);
      expect(readPragma(dir, 'journal_mode')).toBe('wal');
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((row) => (row as { name: string }).name);
      expect(tables).toEqual(expect.arrayContaining(['users', 'servers', 'tokens', 'sessions', 'accounts']));
    } finally {
      db.close();
    }
  });

  it('migrates an existing database, keeping its rows, after backing it up', () => {
    const dir = tempDir();
    const old = openDatabase(dir, { targetVersion: 1 });
    expect(schemaVersion(old)).toBe(1);
    old.prepare("INSERT INTO users (name, admin, created_at) VALUES ('alice', 1, '2026-01-01T00:00:00.000Z')").run();
    old.prepare("INSERT INTO accounts (username, password_hash, status, created_at) VALUES ('alice', 'h', 'active', '2026-01-01')").run();
    old.close();

    const backups: string[] = [];
    const db = openDatabase(dir, { onBackup: (file) => backups.push(file) });
    try {
      expect(schemaVersion(db)).toBe(latest);
      expect(db.prepare('SELECT name, admin FROM users').all()).toEqual([{ name: 'alice', admin: 1 }]);
      expect(db.prepare('SELECT username FROM accounts').all()).toEqual([{ username: 'alice' }]);
    } finally {
      db.close();
    }
    expect(backups).toHaveLength(1);
    const backup = new Database(backups[0] as string, { readonly: true });
    try {
      expect(backup.pragma('user_version', { simple: true })).toBe(1);
      expect(backup.prepare('SELECT name FROM users').all()).toEqual([{ name: 'alice' }]);
    } finally {
      backup.close();
    }
  });

  it('never hands a deleted user\'s id to a new user, and keeps every row that refers to users through the rebuild', () => {
    const dir = tempDir();
    const old = openDatabase(dir, { targetVersion: 5 });
    const insertUser = old.prepare("INSERT INTO users (name, admin, created_at) VALUES (?, 0, '2026-01-01T00:00:00.000Z') RETURNING id");
    const aliceId = (insertUser.get('alice') as { id: number }).id;
    old.prepare("INSERT INTO sessions (id_hash, username, data, created_at, last_seen_at) VALUES ('h', 'alice', '{}', 1, 1)").run();
    old.prepare("INSERT INTO tokens (user_id, kind, prefix, hash, scopes, created_at) VALUES (?, 'api', 'p', 'x', '[]', 'now')").run(aliceId);
    old.close();
    const db = openDatabase(dir);
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 1 });
      expect(db.prepare('SELECT user_id FROM tokens').get()).toEqual({ user_id: aliceId });
      expect(db.prepare('PRAGMA foreign_keys').get()).toEqual({ foreign_keys: 1 });
      const bobId = (db.prepare("INSERT INTO users (name, admin, created_at) VALUES ('bob', 0, 'now') RETURNING id").get() as { id: number }).id;
      db.prepare("DELETE FROM users WHERE name = 'bob'").run();
      const carolId = (db.prepare("INSERT INTO users (name, admin, created_at) VALUES ('carol', 0, 'now') RETURNING id").get() as { id: number }).id;
      expect(carolId).toBeGreaterThan(bobId);
      // Deleting alice still cascades to what refers to her.
      db.prepare("DELETE FROM users WHERE name = 'alice'").run();
      expect(db.prepare('SELECT COUNT(*) AS n FROM tokens').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it('does not back up a brand-new database or one already current', () => {
    const dir = tempDir();
    openDatabase(dir).close();
    openDatabase(dir).close();
    expect(readdirSync(dir).filter((name) => name.endsWith('.bak'))).toEqual([]);
  });
});

describe('data directory and cookie secret', () => {
  it('creates the data dir 0700 and the cookie secret 0600', async () => {
    const dataDir = path.join(tempDir(), 'nested', 'data');
    const hub = await startTestHub({ dataDir });
    try {
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const secretFile = path.join(dataDir, 'cookie_secret');
      expect(statSync(secretFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(secretFile, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(path.join(dataDir, DATABASE_FILE)).mode & 0o777).toBe(0o600);
    } finally {
      await hub.close();
    }
  });

  it('keeps the same secret across restarts', async () => {
    const dataDir = tempDir();
    const first = await startTestHub({ dataDir });
    await first.close();
    const secret = readFileSync(path.join(dataDir, 'cookie_secret'), 'utf8');
    const second = await startTestHub({ dataDir });
    await second.close();
    expect(readFileSync(path.join(dataDir, 'cookie_secret'), 'utf8')).toBe(secret);
  });

  for (const mode of [0o640, 0o604, 0o666]) {
    it(`refuses to start when the cookie secret is mode ${mode.toString(8)}, and says how to fix it`, async () => {
      const dataDir = tempDir();
      const first = await startTestHub({ dataDir });
      await first.close();
      const secretFile = path.join(dataDir, 'cookie_secret');
      chmodSync(secretFile, mode);
      await expect(startTestHub({ dataDir })).rejects.toMatchObject({
        code: 'GATEHOUSE_ERR_SECRET_PERMISSIONS',
        message: expect.stringContaining(`chmod 600 ${secretFile}`),
      });
    });
  }
});
