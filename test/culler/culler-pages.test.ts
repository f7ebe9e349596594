import { afterEach, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import { startWithUserOptions } from '../../packages/hub/src/servers/start-options.ts';
import { loginWithForm } from '../support/login.ts';
import { ensureUser, finishFile, portBlock, startProxyHub, startServer, waitFor } from '../proxy/helpers.ts';

// What people see of the culler (home and admin pages) and its `users` / `adminUsers` options, with
// the bundled demo app as the server. The pages use the hub's own clock, moved forward by the test.

let hubs: TestHub[] = [];
afterEach(async () => {
  await finishFile(...hubs);
  hubs = [];
});

async function hubWith(overrides: Parameters<typeof startProxyHub>[1], realClock = false): Promise<TestHub> {
  const hub = await startProxyHub(portBlock(24), overrides, { realClock });
  hubs.push(hub);
  return hub;
}

describe('the pages', () => {
  it('home says when an idle server will be stopped; admin lists the cull and why', async () => {
    const hub = await hubWith({ adminUsers: ['root'], cull: { timeout: 3600 } });
    await startServer(hub, 'alice');
    const alice = await loginWithForm(hub.baseUrl, 'alice');
    const home = (await alice.get('/hub/home')).body;
    expect(home).toMatch(/<p class="notice" id="cull-notice">Servers with no activity for 1 h are stopped\. If yours stays idle it will be stopped <time[^>]*>in (59 min|1 h)<\/time>\.<\/p>/);

    hub.clock.advance(3601_000);
    expect(await hub.services.culler.sweep()).toMatchObject({ servers: 1, culledServers: 1 });
    expect(hub.services.servers.state('alice')).toBe('stopped');
    expect((await alice.get('/hub/home')).body).not.toContain('cull-notice');

    const root = await loginWithForm(hub.baseUrl, 'root');
    const admin = (await root.get('/hub/admin')).body;
    expect(admin).toContain('Idle culler: last culls');
    expect(admin).toMatch(/<td><strong>alice<\/strong>'s server<\/td>\s*<td>idle<\/td>\s*<td>idle for 360\d s \(timeout 3600 s; last activity: none since it started\)<\/td>/);
  });

  it('say nothing of culling when it is off', async () => {
    const hub = await hubWith({ adminUsers: ['root'] });
    await startServer(hub, 'alice');
    expect((await (await loginWithForm(hub.baseUrl, 'alice')).get('/hub/home')).body).not.toContain('cull-notice');
    expect((await (await loginWithForm(hub.baseUrl, 'root')).get('/hub/admin')).body).not.toContain('Idle culler');
  });
});

describe('per-profile limits', () => {
  it("stops a server by the limit of the profile it was started with, and others by the top-level one", async () => {
    const profiles = [
      { slug: 'quick', displayName: 'Quick' },
      { slug: 'steady', displayName: 'Steady' },
    ];
    const hub = await hubWith({ profiles, cull: { timeout: 3600, profiles: { quick: { timeout: 60 } } } });
    for (const [name, profile] of [['alice', 'quick'], ['bob', 'steady']] as const) {
      startWithUserOptions(hub.services, ensureUser(hub, name), { profile });
      expect(await hub.services.servers.settled(name)).toBe('running');
    }
    expect(hub.services.culler.plan('alice')?.limits).toEqual({ timeout: 60, maxAge: 0 });
    expect(hub.services.culler.plan('bob')?.limits).toEqual({ timeout: 3600, maxAge: 0 });

    hub.clock.advance(61_000);
    expect(await hub.services.culler.sweep()).toMatchObject({ servers: 2, culledServers: 1 });
    expect(hub.services.servers.state('alice')).toBe('stopped');
    expect(hub.services.servers.state('bob')).toBe('running');
    expect(hub.services.culler.recentCulls()).toEqual([expect.objectContaining({ username: 'alice', explanation: expect.stringContaining('(timeout 60 s;') })]);
  });
});

describe('users: true', () => {
  it('asks the database only for the users past the shortest limit (their own limits then decide)', async () => {
    const hub = await hubWith({ cull: { timeout: 3600, users: true } });
    const now = Date.now();
    ensureUser(hub, 'idle');
    ensureUser(hub, 'busy');
    hub.services.users.recordActivity(new Map([['idle', now - 7200_000], ['busy', now]]));
    const inactive = hub.services.users.listInactive(new Date(now - 3600_000).toISOString(), new Date(0).toISOString());
    expect(inactive.map((user) => user.name)).toEqual(['idle']);
  });

  it('with adminUsers: false deletes idle users with no server, never admins', async () => {
    const hub = await hubWith({ adminUsers: ['root'], cull: { timeout: 2, every: 1, users: true, adminUsers: false } }, true);
    ensureUser(hub, 'gina');
    await waitFor('gina to be deleted', () => hub.services.users.get('gina') === undefined, 20_000);
    const sweeps = hub.services.culler.sweeps;
    await waitFor('three more sweeps', () => hub.services.culler.sweeps >= sweeps + 3, 20_000);
    expect(hub.services.users.get('root')?.admin).toBe(true);
    expect(hub.services.culler.recentCulls()).toEqual([expect.objectContaining({ what: 'user', username: 'gina', reason: 'idle' })]);
    expect(await hub.services.metrics.registry.getSingleMetricAsString('gatehouse_culls_total')).toMatch(/what="user",reason="idle",dry_run="false"\} 1/);
  });

  it('with adminUsers: true (the default) deletes idle admins too, but not a user whose server runs', async () => {
    const hub = await hubWith({ adminUsers: ['root'], cull: { timeout: 2, every: 1, users: true, maxAge: 0 } }, true);
    await startServer(hub, 'alice');
    // alice's idle server is culled first; until then she is not a candidate.
    await waitFor('root to be deleted', () => hub.services.users.get('root') === undefined, 20_000);
    await waitFor('alice to be deleted after her server', () => hub.services.users.get('alice') === undefined, 20_000);
    const order = hub.services.culler.recentCulls().map((cull) => `${cull.what} ${cull.username}`).reverse();
    expect(order.indexOf("server alice")).toBeLessThan(order.indexOf('user alice'));
  });
});
