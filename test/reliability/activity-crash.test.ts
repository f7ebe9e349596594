import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { portBlock } from '../proxy/helpers.ts';
import { adminApi, useCliHubs } from './helpers.ts';

/** What POST /hub/api/users/:name/activity acknowledges is in the database before the answer. */

const PORTS = portBlock(7);
const startHub = useCliHubs();

describe('acknowledged activity', () => {
  it('survives kill -9 of the hub right after the 200', async () => {
    const hub = await startHub(PORTS);
    expect((await adminApi(hub.url, 'POST', '/users/alice')).status).toBe(201);
    const at = new Date(Date.now() - 60_000).toISOString();
    const response = await adminApi(hub.url, 'POST', '/users/alice/activity', { last_activity: at });
    expect(response.status).toBe(200);
    await hub.stop('SIGKILL');
    const db = new Database(path.join(hub.dataDir, 'gatehouse.sqlite'), { readonly: true });
    try {
      const row = db.prepare('SELECT last_activity FROM users WHERE name = ?').get('alice') as { last_activity: number | null };
      expect(row.last_activity).toBe(Date.parse(at));
    } finally {
      db.close();
    }
  });
});
