import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import { api, closeHub, ensureUser, finishFile, isRunning, mintToken, portBlock, rawHttp, serverPid, startProxyHub, startServer, suiteSpawner, waitFor } from './helpers.ts';

// User servers that stop answering: frozen (SIGSTOP), stalled mid-response, or resetting every
// connection. Requests to them end with the hub's answer instead of hanging, the poll notices a
// server that no longer answers at all, and the log says so once per interval, not once per request.

const PORTS = portBlock(25);

/** A server with a route that stalls after the first chunk, one that trickles an event stream, and one that resets the connection. */
const MISBEHAVING_SERVER = [
  process.execPath,
  '-e',
  `const url = new URL(process.env.JUPYTERHUB_SERVICE_URL);
require('node:http').createServer((req, res) => {
  if (req.url.endsWith('/stall')) { res.writeHead(200, { 'content-type': 'text/plain' }); res.write('first\\n'); return; }
  if (req.url.endsWith('/trickle')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let n = 0;
    const timer = setInterval(() => { res.write('data: ' + n + '\\n\\n'); if (++n === 10) { clearInterval(timer); res.end(); } }, 250);
    return;
  }
  if (req.url.endsWith('/reset')) return req.socket.destroy();
  res.end('ok');
}).listen(Number(url.port), '127.0.0.1');`,
];

let hub: TestHub | undefined;

afterEach(async () => {
  await closeHub(hub);
  hub = undefined;
});

afterAll(async () => finishFile());

async function hubWith(overrides: Parameters<typeof startProxyHub>[1]): Promise<{ hub: TestHub; token: string }> {
  hub = await startProxyHub(PORTS, { spawner: suiteSpawner(PORTS, { command: MISBEHAVING_SERVER }), ...overrides });
  return { hub, token: mintToken(hub, 'alice').token };
}

function fetchAs(current: TestHub, token: string, path: string, accept = 'application/json'): Promise<Response> {
  return fetch(`${current.baseUrl}${path}`, { headers: { Authorization: `token ${token}`, Accept: accept }, signal: AbortSignal.timeout(20_000) });
}

interface LogLine {
  readonly msg: string;
  readonly username?: string;
  readonly failures?: number;
  readonly codes?: string[];
  readonly err?: unknown;
}

function logLines(current: TestHub, msg: string): LogLine[] {
  return current.logs.lines.map((line) => JSON.parse(line) as LogLine).filter((line) => line.msg.startsWith(msg));
}

describe('proxyTimeouts', () => {
  it('cuts a response whose body stalls for longer than proxyTimeouts.idle, but not an event stream that keeps sending', async () => {
    const { hub: current, token } = await hubWith({ proxyTimeouts: { headers: 2, idle: 2 }, serverUnresponsiveTimeout: 0 });
    await startServer(current, 'alice');

    const trickle = await fetchAs(current, token, '/user/alice/trickle');
    expect(trickle.status).toBe(200);
    expect((await trickle.text()).match(/^data: \d$/gm)).toHaveLength(10); // 2.5 s in all, never 2 s silent

    const stalled = await fetchAs(current, token, '/user/alice/stall');
    expect(stalled.status).toBe(200);
    const startedAt = performance.now();
    await expect(stalled.text()).rejects.toThrow(); // the connection is cut, not left hanging
    expect(performance.now() - startedAt).toBeLessThan(10_000);
  });

  it('answers 504 with the hub error page when a frozen server sends no headers within proxyTimeouts.headers', async () => {
    const { hub: current, token } = await hubWith({ proxyTimeouts: { headers: 1, idle: 1 }, serverUnresponsiveTimeout: 0 });
    await startServer(current, 'alice');
    const pid = serverPid(current, 'alice');
    process.kill(pid, 'SIGSTOP');

    const startedAt = performance.now();
    const json = await fetchAs(current, token, '/user/alice/api/anything');
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(900);
    expect(json.status).toBe(504);
    expect(await json.json()).toEqual({ status: 504, code: 'GATEHOUSE_ERR_PROXY_TIMEOUT', message: "alice's server did not answer within proxyTimeouts.headers." });
    const page = await fetchAs(current, token, '/user/alice/tree', 'text/html');
    expect(page.status).toBe(504);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('GATEHOUSE_ERR_PROXY_TIMEOUT');
    // Stopping a frozen server works too: it is woken to act on its SIGTERM.
    await current.services.servers.stop(ensureUser(current, 'alice'));
    expect(isRunning(pid)).toBe(false);
  });
});

describe('the responsiveness probe', () => {
  it('stops a server that stays alive but answers nothing for serverUnresponsiveTimeout, and leaves a healthy one alone', async () => {
    const { hub: current, token } = await hubWith({ serverUnresponsiveTimeout: 3 });
    await startServer(current, 'alice');
    await startServer(current, 'bob');
    const alicePid = serverPid(current, 'alice');
    const bobPid = serverPid(current, 'bob');
    process.kill(alicePid, 'SIGSTOP');

    await waitFor("alice's frozen server to be stopped", () => current.services.servers.state('alice') === 'stopped', 15_000);
    expect(isRunning(alicePid)).toBe(false);
    expect((await api(current.baseUrl, 'GET', '/users/alice', token)).json()).toMatchObject({ server: null, pending: null });
    expect(logLines(current, 'server alive but not answering HTTP')).toEqual([expect.objectContaining({ username: 'alice' })]);
    // Bob's server answered every probe meanwhile.
    expect(current.services.servers.state('bob')).toBe('running');
    expect(isRunning(bobPid)).toBe(true);
  });
});

describe('the log of requests a server did not answer', () => {
  it('has one line per server per interval with a count, and no stack for connection errors', async () => {
    const { hub: current, token } = await hubWith({ serverUnresponsiveTimeout: 0 });
    await startServer(current, 'alice');

    const total = 300;
    let sent = 0;
    const startedAt = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const seen: number[] = [];
        while (sent < total) {
          sent++;
          seen.push((await rawHttp(current.baseUrl, 'GET', '/user/alice/reset', [['Authorization', `token ${token}`]])).status);
        }
        return seen;
      }),
    );
    const seconds = (performance.now() - startedAt) / 1000;
    expect(statuses.flat()).toEqual(Array.from({ length: total }, () => 502));

    await waitFor('the failures to be logged', () => logLines(current, 'user server did not answer').reduce((sum, line) => sum + (line.failures ?? 0), 0) === total);
    const lines = logLines(current, 'user server did not answer');
    expect(lines.length).toBeLessThanOrEqual(Math.ceil(seconds / current.services.config.serverPollInterval) + 1);
    for (const line of lines) {
      expect(line).toMatchObject({ username: 'alice', codes: [expect.stringMatching(/^(UND_ERR_SOCKET|ECONNRESET)$/)] });
      expect(line.err).toBeUndefined();
    }
  });
});
