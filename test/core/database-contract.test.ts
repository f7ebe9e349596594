import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, openDatabase, type Database } from '@gatehouse/hub';
import { isDatabaseBusy } from '../../packages/hub/src/db/open.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

/**
 * What the stores rely on from a `Database` (packages/hub/src/db/database.ts), checked on the SQLite
 * implementation over a real file, with a second connection playing the other process (the CLI).
 */

afterAll(cleanupTempDirs);

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const connection of open.splice(0)) connection.close();
});

function fixture(): { db: Database; other: BetterSqlite3.Database } {
  const dir = tempDir();
  const db = openDatabase(dir);
  const other = new BetterSqlite3(path.join(dir, DATABASE_FILE));
  open.push(other, { close: () => db.open && db.close() });
  db.prepare('CREATE TABLE t (v INTEGER)').run();
  return { db, other };
}

const count = (db: Database) => (db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;

describe('Database (SQLite implementation)', () => {
  it('runs statements with positional and named parameters, and counts changes', () => {
    const { db } = fixture();
    expect(db.prepare('INSERT INTO t (v) VALUES (?), (?)').run(1, 2).changes).toBe(2);
    expect(db.prepare<{ v: number }>('UPDATE t SET v = v + 10 WHERE v = @v').run({ v: 1 }).changes).toBe(1);
    expect(db.prepare<[], { v: number }>('SELECT v FROM t ORDER BY v').all()).toEqual([{ v: 2 }, { v: 11 }]);
    expect(db.prepare<[number], { v: number }>('SELECT v FROM t WHERE v = ?').get(99)).toBeUndefined();
  });

  it('commits a transaction whole, or nothing of it when the work throws (nested too)', () => {
    const { db } = fixture();
    expect(db.transaction(() => db.prepare('INSERT INTO t (v) VALUES (1)').run().changes)).toBe(1);
    expect(() =>
      db.transaction(() => {
        db.prepare('INSERT INTO t (v) VALUES (2)').run();
        db.transaction(() => db.prepare('INSERT INTO t (v) VALUES (3)').run());
        throw new Error('changed my mind');
      }),
    ).toThrow('changed my mind');
    expect(count(db)).toBe(1);
  });

  it('skips a write, without waiting, while another connection holds the write lock', () => {
    const { db, other } = fixture();
    other.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    expect(db.writableNow()).toBe(false);
    expect(db.writeIfFree(() => db.prepare('INSERT INTO t (v) VALUES (1)').run())).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000); // the opening lock wait is 5 s
    other.exec('ROLLBACK');
    expect(db.writableNow()).toBe(true);
    expect(db.writeIfFree(() => db.prepare('INSERT INTO t (v) VALUES (1)').run())).toBe(true);
    expect(count(db)).toBe(1);
    // Errors that are not the lock are the caller's.
    expect(() => db.writeIfFree(() => db.prepare('INSERT INTO missing (v) VALUES (1)').run())).toThrow(/no such table/);
  });

  it('waits for a held lock at most as long as told, then throws an error isDatabaseBusy recognises', () => {
    const { db, other } = fixture();
    db.limitLockWait(50);
    other.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    let thrown: unknown;
    try {
      db.prepare('INSERT INTO t (v) VALUES (1)').run();
    } catch (error) {
      thrown = error;
    }
    const waited = performance.now() - started;
    other.exec('ROLLBACK');
    expect(isDatabaseBusy(thrown)).toBe(true);
    expect(isDatabaseBusy(new Error('SQLITE_BUSY'))).toBe(false);
    expect(waited).toBeGreaterThanOrEqual(40);
    expect(waited).toBeLessThan(2_000);
  });

  it('changes its change stamp on its own writes and on commits by another connection, and only then', () => {
    const { db, other } = fixture();
    const first = db.changeStamp();
    db.prepare('SELECT COUNT(*) FROM t').get();
    expect(db.changeStamp()).toBe(first);
    db.prepare('INSERT INTO t (v) VALUES (1)').run();
    const afterOwn = db.changeStamp();
    expect(afterOwn).not.toBe(first);
    other.prepare('INSERT INTO t (v) VALUES (2)').run();
    const afterOther = db.changeStamp();
    expect(afterOther).not.toBe(afterOwn);
    other.exec('BEGIN; INSERT INTO t (v) VALUES (3); ROLLBACK');
    expect(db.changeStamp()).toBe(afterOther);
  });

  it('says whether it is open', () => {
    const { db } = fixture();
    expect(db.open).toBe(true);
    db.close();
    expect(db.open).toBe(false);
  });
});
