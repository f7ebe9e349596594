import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE, MIGRATIONS, openDatabase } from '@gatehouse/hub';
import { ServerRepository } from '../../packages/hub/src/servers/server-repository.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

/**
 * The hub's port registry (the spawner's PortRegistry) on a real SQLite file: a claim is per
 * (host, port), so servers on different hosts may share a port number while two spawns on one host
 * never do; and the migration carries the claims of a database from before that.
 */

afterAll(() => cleanupTempDirs());

function freshRepository(): { repository: ServerRepository; close: () => void } {
  const db = openDatabase(tempDir('gatehouse-port-claims-'));
  return { repository: new ServerRepository(db), close: () => db.close() };
}

describe('port claims per (host, port)', () => {
  it('let two hosts claim the same port number, never one host twice', () => {
    const { repository, close } = freshRepository();
    try {
      expect(repository.claim('10.0.0.1', 8888, 'alice')).toBe(true);
      expect(repository.claim('10.0.0.2', 8888, 'bob')).toBe(true);
      expect(repository.claim('10.0.0.1', 8888, 'carol')).toBe(false);
      // Releasing one host's claim leaves the other's.
      repository.release('10.0.0.1', 8888);
      expect(repository.claim('10.0.0.2', 8888, 'carol')).toBe(false);
      expect(repository.claim('10.0.0.1', 8888, 'carol')).toBe(true);
    } finally {
      close();
    }
  });

  it('let two servers on different hosts record the same port, and release only the matching one', () => {
    const db = openDatabase(tempDir('gatehouse-port-rows-'));
    try {
      const rows = new ServerRepository(db);
      const handle = (host: string) => ({ host, port: 8888, credential: 'none' as const, state: { job: host } });
      const alice = (db.prepare("INSERT INTO users (name, created_at) VALUES ('alice', '2026-01-01T00:00:00Z') RETURNING id").get() as { id: number }).id;
      for (const [serverName, host] of [['a', '10.0.0.1'], ['b', '10.0.0.2']] as const) {
        rows.insertPending(alice, serverName, 'sealed', {});
        expect(rows.claim(host, 8888, `alice/${serverName}`)).toBe(true);
        rows.recordLaunch(alice, serverName, handle(host));
      }
      expect(rows.allOf(alice).map((row) => row.handle?.host)).toEqual(['10.0.0.1', '10.0.0.2']);
      rows.release('10.0.0.1', 8888);
      expect(rows.get(alice, 'a')?.handle).toBeUndefined();
      expect(rows.get(alice, 'b')?.handle).toMatchObject({ host: '10.0.0.2', port: 8888 });
      // A claim no server record refers to is dropped at restart; a recorded one is kept.
      expect(rows.claim('10.0.0.3', 9999, 'gone')).toBe(true);
      expect(rows.releaseOrphanedPorts()).toBe(1);
      expect(rows.claim('10.0.0.2', 8888, 'intruder')).toBe(false);
    } finally {
      db.close();
    }
  });

  it('keep the claims of a database from before, on the host of the server that holds them', () => {
    const dir = tempDir('gatehouse-port-migration-');
    const old = new Database(path.join(dir, DATABASE_FILE));
    for (const migration of MIGRATIONS.filter((m) => m.version <= 6)) old.exec(migration.sql);
    old.pragma('user_version = 6');
    old.prepare("INSERT INTO users (id, name, created_at) VALUES (1, 'alice', '2026-01-01T00:00:00Z')").run();
    old.prepare("INSERT INTO servers (user_id, name, status, host, port, state, started_at) VALUES (1, '', 'running', '127.0.0.1', 20001, '{}', '2026-01-01T00:00:00Z')").run();
    old.prepare("INSERT INTO ports (port, owner, claimed_at) VALUES (20001, 'alice', '2026-01-01T00:00:00Z'), (20002, 'bob', '2026-01-01T00:00:00Z')").run();
    old.close();

    const db = openDatabase(dir);
    try {
      const repository = new ServerRepository(db);
      expect(repository.get(1)).toMatchObject({ status: 'running', serverName: '', handle: { host: '127.0.0.1', port: 20001 }, userOptions: {} });
      expect(repository.claim('127.0.0.1', 20001, 'intruder')).toBe(false);
      expect(repository.claim('127.0.0.1', 20002, 'intruder')).toBe(false);
      expect(repository.claim('10.0.0.9', 20001, 'elsewhere')).toBe(true);
    } finally {
      db.close();
    }
  });
});
