import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@gatehouse/hub';
import { ServerListing, type ServerListingQuery } from '../../packages/hub/src/db/server-listing.ts';
import { UserRepository } from '../../packages/hub/src/db/users.ts';
import { activityKey, ServerRepository } from '../../packages/hub/src/servers/server-repository.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

/** The admin table's query on a real SQLite file: which rows, in which order, which page. */

afterAll(cleanupTempDirs);

function hubDatabase() {
  const db = openDatabase(tempDir());
  const users = new UserRepository(db);
  const servers = new ServerRepository(db);
  const ids = Object.fromEntries(['ann', 'bob', 'cy_d', 'cy%e', 'dan'].map((name) => [name, users.create(name, false).id]));
  const running = (name: string, server: string, at?: number) => {
    const id = ids[name] as number;
    servers.insertPending(id, server, 'sealed', { profile: 'small' });
    servers.markRunning(id, server, { host: '127.0.0.1', port: 10_000 + Object.keys(ids).indexOf(name) * 10 + server.length, credential: 'token-header', state: {} });
    if (at !== undefined) servers.recordActivity(new Map([[activityKey(id, server), at]]));
  };
  running('bob', '', 3000);
  running('ann', 'lab', 1000);
  servers.insertPending(ids['dan'] as number, 'scratch', 'sealed', {});
  servers.markStopped(ids['dan'] as number, 'scratch');
  users.recordActivity(new Map([['dan', 2000]]));
  return { db, listing: new ServerListing(db) };
}

const all: ServerListingQuery = { search: '', sort: 'user', direction: 'asc', offset: 0, limit: 50 };
const keys = (rows: ReturnType<ServerListing['page']>) => rows.map((row) => `${row.user.name}/${row.serverName}:${row.status}`);

describe('ServerListing', () => {
  it("lists every user's default server and each named server, by user then server", () => {
    const { db, listing } = hubDatabase();
    expect(keys(listing.page(all))).toEqual(['ann/:stopped', 'ann/lab:running', 'bob/:running', 'cy%e/:stopped', 'cy_d/:stopped', 'dan/:stopped', 'dan/scratch:stopped']);
    expect(listing.count('')).toBe(7);
    expect(listing.page(all).find((row) => row.serverName === 'lab')?.userOptions).toEqual({ profile: 'small' });
    db.close();
  });

  it('sorts by status (running first), by server, by last activity (never-active last), both ways', () => {
    const { db, listing } = hubDatabase();
    expect(keys(listing.page({ ...all, sort: 'status' })).slice(0, 2)).toEqual(['ann/lab:running', 'bob/:running']);
    expect(keys(listing.page({ ...all, sort: 'status', direction: 'desc' })).slice(-2)).toEqual(['ann/lab:running', 'bob/:running']);
    expect(keys(listing.page({ ...all, sort: 'server', direction: 'desc' })).slice(0, 2)).toEqual(['dan/scratch:stopped', 'ann/lab:running']);
    // bob's server at 3000, dan (no server) by his own activity at 2000, ann's lab at 1000; the rest never.
    expect(keys(listing.page({ ...all, sort: 'activity', direction: 'desc' })).slice(0, 3)).toEqual(['bob/:running', 'dan/:stopped', 'ann/lab:running']);
    expect(keys(listing.page({ ...all, sort: 'activity', direction: 'asc' })).slice(0, 3)).toEqual(['ann/lab:running', 'dan/:stopped', 'bob/:running']);
    expect(listing.page({ ...all, sort: 'activity' }).at(-1)?.lastActivity).toBeNull();
    db.close();
  });

  it('searches user and server names, with % and _ taken literally', () => {
    const { db, listing } = hubDatabase();
    expect(keys(listing.page({ ...all, search: 'lab' }))).toEqual(['ann/lab:running']);
    expect(keys(listing.page({ ...all, search: 'dan' }))).toEqual(['dan/:stopped', 'dan/scratch:stopped']);
    expect(keys(listing.page({ ...all, search: 'cy_' }))).toEqual(['cy_d/:stopped']);
    expect(keys(listing.page({ ...all, search: '%' }))).toEqual(['cy%e/:stopped']);
    expect(listing.count('cy')).toBe(2);
    db.close();
  });

  it('pages with offset and limit, and picks the rows a bulk action needs', () => {
    const { db, listing } = hubDatabase();
    expect(keys(listing.page({ ...all, offset: 5, limit: 50 }))).toEqual(['dan/:stopped', 'dan/scratch:stopped']);
    expect(keys(listing.page({ ...all, offset: 2, limit: 1 }))).toEqual(['bob/:running']);
    expect(keys(listing.matching('', ['running', 'pending']))).toEqual(['ann/lab:running', 'bob/:running']);
    expect(keys(listing.matching('an', ['stopped']))).toEqual(['ann/:stopped', 'dan/:stopped', 'dan/scratch:stopped']);
    db.close();
  });
});
