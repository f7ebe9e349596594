import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserLikeClient } from '../support/browser-like-client.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { cleanupTempDirs } from '../support/temp.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ adminUsers: ['root'], stopServersOnShutdown: true });
});
afterAll(async () => {
  await hub.close();
  cleanupTempDirs();
});

function sample(text: string, metric: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(metric));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('/hub/metrics', () => {
  it('is refused to anonymous callers and to non-admins', async () => {
    expect((await new BrowserLikeClient(hub.baseUrl).get('/hub/metrics')).status).toBe(401);
    const alice = await loginWithForm(hub.baseUrl, 'alice');
    expect((await alice.get('/hub/metrics')).status).toBe(403);
  });

  it('counts logins, spawns, running servers and proxied requests in Prometheus text', async () => {
    const admin = await loginWithForm(hub.baseUrl, 'root');
    const before = (await admin.get('/hub/metrics')).body;
    const alice = await loginWithForm(hub.baseUrl, 'alice');
    const user = hub.services.users.get('alice');
    if (user === undefined) throw new Error('alice was not created');
    hub.services.servers.start(user);
    expect(await hub.services.servers.settled('alice')).toBe('running');
    expect((await alice.get('/user/alice/api/ping')).status).toBe(200);
    expect((await new BrowserLikeClient(hub.baseUrl).get('/user/alice/api/ping')).status).toBe(302);

    const response = await admin.get('/hub/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const after = response.body;
    expect(sample(after, 'gatehouse_logins_total{result="success"}')).toBe(sample(before, 'gatehouse_logins_total{result="success"}') + 1);
    expect(sample(after, 'gatehouse_proxied_requests_total{outcome="forwarded"}')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'gatehouse_proxied_requests_total{outcome="unauthenticated"}')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'gatehouse_spawn_duration_seconds_count{outcome="ready"}')).toBe(1);
    expect(sample(after, 'gatehouse_running_servers')).toBe(1);
    expect(after).toContain('gatehouse_hub_request_duration_seconds_bucket');
    await hub.services.servers.stop(user);
    expect(sample((await admin.get('/hub/metrics')).body, 'gatehouse_running_servers')).toBe(0);
  });
});

describe('metrics: false', () => {
  it('serves no /hub/metrics and counts nothing, while proxying still works', async () => {
    const quiet = await startTestHub({ adminUsers: ['root'], stopServersOnShutdown: true, metrics: false });
    try {
      const admin = await loginWithForm(quiet.baseUrl, 'root');
      expect((await admin.get('/hub/metrics')).status).toBe(404);
      const user = quiet.services.users.get('root');
      if (user === undefined) throw new Error('root was not created');
      quiet.services.servers.start(user);
      expect(await quiet.services.servers.settled('root')).toBe('running');
      expect((await admin.get('/user/root/api/ping')).status).toBe(200);
      const registry = await quiet.services.metrics.registry.metrics();
      expect(registry).not.toContain('gatehouse_process_');
      expect(sample(registry, 'gatehouse_proxied_requests_total{outcome="forwarded"}')).toBe(0);
      expect(registry).not.toContain('gatehouse_hub_request_duration_seconds_bucket{');
    } finally {
      await quiet.close();
    }
  });
});
