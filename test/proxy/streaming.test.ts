import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { tempDir } from '../support/temp.ts';
import { KeepAliveConnection, keystream, kernelQueued, requestAs, sha256, writeSlices, type Received, type RequestOptions } from './stream-clients.ts';
import { finishFile, isRunning, portBlock, serverPid, sessionCookieOf, startProxyHub, startServer, suiteSpawner, waitFor } from './helpers.ts';

// Streaming through the proxy (user-proxy.ts #forward + response-relay.ts), observed end to end:
// a real hub, real sockets, and a real user server process (fixtures/streaming-server.mjs) that
// reports what it sent, received, and when a response was closed under it.

const FIXTURE = fileURLToPath(new URL('./fixtures/streaming-server.mjs', import.meta.url));
const MiB = 1024 * 1024;
/** alice streams; bob hangs up, carol stops listening, dave is killed: each breaks differently. */
const USERS = ['alice', 'bob', 'carol', 'dave'] as const;
type User = (typeof USERS)[number];

let hub: TestHub;
let markerDir: string;
const cookies = {} as Record<User, string>;

beforeAll(async () => {
  markerDir = tempDir('gatehouse-streaming-');
  const ports = portBlock(18);
  hub = await startProxyHub(ports, {
    spawner: suiteSpawner(ports, { command: [process.execPath, FIXTURE], env: { STREAMING_MARKER_DIR: markerDir } }),
  });
  for (const name of USERS) cookies[name] = `gatehouse-user-session=${sessionCookieOf(await loginWithForm(hub.baseUrl, name))}`;
  await Promise.all(USERS.map((name) => startServer(hub, name)));
});

afterAll(async () => finishFile(hub));

/** A whole response as `user` (see requestAs). */
function request(user: User, target: string, options: RequestOptions = {}): Promise<Received> {
  return requestAs(hub.baseUrl, cookies[user], target, options);
}





/** What the server reports about a large response it is sending (see `big` and `status` in the fixture). */
interface Progress {
  readonly written: number;
  readonly waiting: boolean;
  readonly done: boolean;
  readonly closedEarly: boolean;
  /** Written, but still in the server's own buffers. */
  readonly buffered: number;
}

async function progressOf(id: string): Promise<Progress> {
  const response = await request('alice', `/user/alice/status?id=${id}`);
  expect(response.status, response.body.toString()).toBe(200);
  return JSON.parse(response.body.toString()) as Progress;
}

/** The server's note that a response with `id` was closed before it finished, once it exists. */
async function closedMarker(id: string, timeoutMs = 5_000): Promise<{ kind: string; written?: number; sent?: number; received?: number }> {
  const file = path.join(markerDir, `${id}.closed`);
  await waitFor(`the server to see response ${id} closed`, () => existsSync(file), timeoutMs);
  return JSON.parse(readFileSync(file, 'utf8')) as { kind: string; written?: number; sent?: number; received?: number };
}

/** Ids of the `hold` requests the server has (open or closed). */
async function holding(): Promise<string[]> {
  const response = await request('alice', '/user/alice/hold-status');
  expect(response.status).toBe(200);
  return JSON.parse(response.body.toString()) as string[];
}

/** Bytes the server has received of the upload with `id`. */
async function uploadReceived(id: string): Promise<number> {
  const response = await request('alice', `/user/alice/upload-status?id=${id}`);
  expect(response.status).toBe(200);
  return (JSON.parse(response.body.toString()) as { received: number }).received;
}

/** The hub's answer for a user server that did not answer (as test/proxy/failures.test.ts sees it). */
const upstreamError = (user: string) => ({ status: 502, code: 'GATEHOUSE_ERR_PROXY_UPSTREAM', message: `${user}'s server did not answer.` });

async function expectAliceServed(): Promise<void> {
  const small = await request('alice', '/user/alice/small');
  expect(small).toMatchObject({ status: 200, complete: true });
  expect(small.body.toString()).toBe('small\n');
}

describe('a large response', () => {
  const size = 32 * MiB;

  it.each(['length', 'chunked', 'close'] as const)('arrives complete and byte-exact (%s framing)', async (framing) => {
    const seed = randomUUID();
    const received = await request('alice', `/user/alice/big?size=${size}&seed=${seed}&framing=${framing}`);
    expect(received).toMatchObject({ status: 200, complete: true, length: size });
    expect(received.sha256).toBe(sha256(keystream(seed, size)));
    if (framing === 'length') {
      expect(received.headers['content-length']).toBe(String(size));
    } else {
      // Chunked upstream, or a body that ends where the server's connection does: the hub cannot
      // know the length, and must not invent one.
      expect(received.headers['content-length']).toBeUndefined();
    }
    if (framing === 'chunked') expect(received.headers['transfer-encoding']).toBe('chunked');
  });

  it('arrives complete and byte-exact four at a time, each with its own bytes', async () => {
    const seeds = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const each = 8 * MiB;
    const received = await Promise.all(seeds.map((seed, i) => request('alice', `/user/alice/big?size=${each}&seed=${seed}&framing=${i % 2 === 0 ? 'length' : 'chunked'}`)));
    received.forEach((response, i) => {
      expect(response).toMatchObject({ status: 200, complete: true, length: each });
      expect(response.sha256).toBe(sha256(keystream(seeds[i] as string, each)));
    });
  });
});


describe('backpressure', () => {
  // The client reads 4 MiB at a time, and between two bursts holds its response paused until the
  // whole path is still: the server blocked on 'drain' (or done) and not writing. Then every byte
  // the server has written but the client has not read is somewhere on the way, and all of it is
  // accounted for except what the hub holds in its own memory: the server's buffers (it reports
  // them), the kernel's socket queues on both connections (/proc/net/tcp), the client's buffers.
  // With backpressure the hub holds about one highWaterMark plus a socket read or two (< 0.3 MiB);
  // a hub that kept reading from the server while the client did not would hold tens of MiB (the
  // server would write all 64 MiB at once). The kernel queues themselves are not bounded here:
  // autotuned receive buffers may grow to tcp_rmem's maximum (32 MiB here) on a reused connection.
  const size = 64 * MiB;
  const HUB_HOLDS_AT_MOST = 2 * MiB;

  it('a slow reader gets every byte, the server is held back, and the hub never holds more than 2 MiB of the body', async () => {
    const seed = randomUUID();
    const id = randomUUID();
    const hubPort = Number(new URL(hub.baseUrl).port);
    const serverPort = hub.services.servers.route('alice')?.port ?? 0;
    const stops: Array<{ read: number; ahead: number; kernel: number; hubHolds: number; held: boolean }> = [];
    /** Waits until nothing moves between server and client, then accounts for every byte in between. */
    const still = (res: http.IncomingMessage, read: number) =>
      waitFor('the path from server to client to be still', async () => {
        const before = await progressOf(id);
        if (!before.waiting && !before.done) return false;
        const kernel = kernelQueued(serverPort) + kernelQueued(hubPort, res.socket?.localPort);
        const after = await progressOf(id);
        if (after.written !== before.written || (!after.waiting && !after.done)) return false;
        const client = res.readableLength + (res.socket?.readableLength ?? 0);
        const ahead = after.written - read;
        return { read, ahead, kernel, hubHolds: ahead - after.buffered - kernel - client, held: !after.done };
      });
    let nextStop = 4 * MiB;
    let stallError: unknown;
    const received = await request('alice', `/user/alice/big?size=${size}&seed=${seed}&id=${id}`, {
      onData: (res, read) => {
        if (read < nextStop || read >= size) return;
        nextStop = read + 4 * MiB;
        res.pause();
        still(res, read).then(
          (stop) => {
            stops.push(stop);
            res.resume();
          },
          (error: unknown) => {
            stallError = error;
            res.destroy();
          },
        );
      },
    });
    expect(stallError).toBeUndefined();
    expect(received).toMatchObject({ status: 200, complete: true, length: size });
    expect(received.sha256).toBe(sha256(keystream(seed, size)));
    expect(await progressOf(id)).toMatchObject({ written: size, done: true, closedEarly: false });
    const MiBs = (bytes: number) => `${(bytes / MiB).toFixed(2)} MiB`;
    const report = stops.map((stop) => `read ${MiBs(stop.read)}: server ${MiBs(stop.ahead)} ahead, kernel ${MiBs(stop.kernel)}, hub ${MiBs(stop.hubHolds)}${stop.held ? '' : ' (done)'}`).join('\n');
    expect(stops.length, report).toBeGreaterThanOrEqual(12);
    // The server was blocked by the client's pace, not allowed to run ahead (the last stops may find
    // it done: the rest of the body fits in the kernel's queues).
    expect(stops.filter((stop) => stop.held).length, report).toBeGreaterThanOrEqual(8);
    expect(Math.max(...stops.map((stop) => stop.hubHolds)), report).toBeLessThanOrEqual(HUB_HOLDS_AT_MOST);
  });
});

describe('a browser that goes away', () => {
  it('mid event stream: the server sees its response closed', async () => {
    const id = randomUUID();
    const { hostname, port } = new URL(hub.baseUrl);
    const socket = net.connect(Number(port), hostname);
    const seen = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`closed before two events: ${text}`)));
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if ((text.match(/^event: tick$/gm) ?? []).length >= 2) resolve(text);
      });
      socket.write(`GET /user/alice/events?id=${id} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nCookie: ${cookies.alice}\r\nAccept: text/event-stream\r\n\r\n`);
    });
    socket.removeAllListeners('close');
    socket.destroy();
    expect(seen).toMatch(/^HTTP\/1\.1 200 /);
    expect(seen).toMatch(/^content-type: text\/event-stream/im);
    const marker = await closedMarker(id);
    expect(marker.kind).toBe('events');
  });

  it('with a large download paused mid-body: the server sees its response closed, unfinished', async () => {
    const size = 64 * MiB;
    const id = randomUUID();
    let paused = false;
    const received = request('alice', `/user/alice/big?size=${size}&id=${id}`, {
      onData: (res, read) => {
        if (read < MiB || paused) return;
        paused = true;
        res.pause();
        void waitFor('the server to be held back', async () => (await progressOf(id)).waiting).then(
          () => res.destroy(),
          () => res.destroy(),
        );
      },
    });
    expect(await received).toMatchObject({ status: 200, complete: false });
    const marker = await closedMarker(id);
    expect(marker.kind).toBe('big');
    expect(marker.written).toBeLessThan(size);
    expect(await progressOf(id)).toMatchObject({ done: false, closedEarly: true });
  });
});

describe('a browser that goes away before the answer', () => {
  it('while the server has not answered yet: the server sees the request closed', async () => {
    const id = randomUUID();
    const { hostname, port } = new URL(hub.baseUrl);
    const socket = net.connect(Number(port), hostname);
    socket.on('error', () => undefined);
    socket.write(`GET /user/alice/hold?id=${id} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nCookie: ${cookies.alice}\r\n\r\n`);
    // Only once the request is at the server: otherwise there would be nothing upstream to abort.
    await waitFor('the request to reach the server', async () => (await holding()).includes(id));
    socket.destroy();
    expect((await closedMarker(id)).kind).toBe('hold');
  });

  it('mid-upload: the server sees the request body cut off', async () => {
    const id = randomUUID();
    const size = 8 * MiB;
    const { hostname, port } = new URL(hub.baseUrl);
    const socket = net.connect(Number(port), hostname);
    socket.on('error', () => undefined);
    socket.write(`POST /user/alice/upload?id=${id} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nCookie: ${cookies.alice}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${size}\r\n\r\n`);
    socket.write(keystream(id, MiB));
    await waitFor('the first bytes to reach the server', async () => (await uploadReceived(id)) > 0);
    socket.destroy();
    const marker = await closedMarker(id);
    expect(marker.kind).toBe('upload');
    expect(marker.received).toBeLessThanOrEqual(MiB);
    expect(marker.received).toBeGreaterThan(0);
  });
});

describe('a request body', () => {
  const size = 4 * MiB;

  it.each([
    ['Content-Length', true],
    ['chunked Transfer-Encoding', false],
  ] as const)('reaches the server intact (%s)', async (_framing, withLength) => {
    const body = keystream(randomUUID(), size);
    const received = await request('alice', '/user/alice/upload', {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', ...(withLength ? { 'Content-Length': String(size) } : {}) },
      send: (req) => writeSlices(req, body),
    });
    expect(received).toMatchObject({ status: 200, complete: true });
    const seen = JSON.parse(received.body.toString()) as { length: number; sha256: string; contentLength: string | null; transferEncoding: string | null };
    expect(seen).toMatchObject({ length: size, sha256: sha256(body) });
    if (withLength) expect(seen).toMatchObject({ contentLength: String(size), transferEncoding: null });
    else expect(seen).toMatchObject({ contentLength: null, transferEncoding: 'chunked' });
  });
});

describe('a server that breaks off mid-response', () => {
  const size = MiB;
  const target = (framing: string) => `/user/alice/break?size=${size}&part=${256 * 1024}&framing=${framing}`;

  it.each(['length', 'chunked'] as const)('cuts the browser connection instead of ending the response (%s framing)', async (framing) => {
    const received = await request('alice', target(framing));
    expect(received.status).toBe(200);
    expect(received.complete).toBe(false);
    expect(received.length).toBeLessThan(size);
    // On a keep-alive connection, a response ended short would leave the client waiting for the
    // rest (Content-Length) or look complete (chunked): only a closed connection is honest.
    const connection = new KeepAliveConnection(hub.baseUrl);
    try {
      await expect(connection.request('GET', target(framing), { Cookie: cookies.alice })).rejects.toThrow(/^connection closed mid-body/);
      expect(connection.bodyBytes).toBeLessThan(size);
    } finally {
      connection.close();
    }
  });

  it.each(['length', 'chunked'] as const)('leaves the proxy serving the next requests (%s framing)', async (framing) => {
    for (let i = 0; i < 3; i++) expect((await request('alice', target(framing))).complete).toBe(false);
    for (let i = 0; i < 3; i++) await expectAliceServed();
    const seed = randomUUID();
    const after = await request('alice', `/user/alice/big?size=${size}&seed=${seed}`);
    expect(after).toMatchObject({ status: 200, complete: true, length: size, sha256: sha256(keystream(seed, size)) });
  });
});

describe('a server that does not answer', () => {
  it('hanging up on the request: a clean 502, as JSON and as a page, and the hub keeps serving', async () => {
    const json = await request('bob', '/user/bob/hangup');
    expect(json).toMatchObject({ status: 502, complete: true });
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(json.body.toString())).toEqual(upstreamError('bob'));
    const page = await request('bob', '/user/bob/hangup', { headers: { Accept: 'text/html' } });
    expect(page).toMatchObject({ status: 502, complete: true });
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body.toString()).toContain('GATEHOUSE_ERR_PROXY_UPSTREAM');
    const still = await request('bob', '/user/bob/small');
    expect(still).toMatchObject({ status: 200, complete: true });
    await expectAliceServed();
  });

  it('refusing connections (alive, no longer listening): a clean 502, and the hub keeps serving', async () => {
    expect(await request('carol', '/user/carol/stop-listening')).toMatchObject({ status: 200, complete: true });
    for (let i = 0; i < 2; i++) {
      const refused = await request('carol', '/user/carol/small');
      expect(refused).toMatchObject({ status: 502, complete: true });
      expect(JSON.parse(refused.body.toString())).toEqual(upstreamError('carol'));
    }
    expect(isRunning(serverPid(hub, 'carol'))).toBe(true);
    expect(hub.services.servers.route('carol')).toBeDefined(); // the process lives: the hub still routes to it
    await expectAliceServed();
  });

  it('killed with the request in flight: a clean 502, the route goes, and the hub keeps serving', async () => {
    const killed = await request('dave', '/user/dave/die');
    expect(killed).toMatchObject({ status: 502, complete: true });
    expect(JSON.parse(killed.body.toString())).toEqual(upstreamError('dave'));
    await expectAliceServed();
    await waitFor("dave's route to disappear", () => hub.services.servers.route('dave') === undefined, 5_000);
    const after = await request('dave', '/user/dave/small');
    expect(after.status).toBe(302);
    expect(after.headers.location).toBe('/hub/user/dave/small');
    await expectAliceServed();
  });
});

describe('responses without a body', () => {
  it.each([
    ['HEAD of a Content-Length resource', 'HEAD', 'big?size=12345&framing=length', {}, 200],
    ['HEAD of a chunked resource', 'HEAD', 'big?size=12345&framing=chunked', {}, 200],
    ['204 No Content', 'GET', 'no-content', {}, 204],
    ['304 Not Modified', 'GET', 'etag', { 'If-None-Match': '"v1"' }, 304],
  ] as const)('%s passes through without a body, and the connection stays usable', async (_label, method, route, extra, status) => {
    const connection = new KeepAliveConnection(hub.baseUrl);
    try {
      for (let round = 0; round < 2; round++) {
        const first = await connection.request(method, `/user/alice/${route}`, { Cookie: cookies.alice, ...extra });
        expect(first.status).toBe(status);
        expect(first.body).toBe('');
        expect(first.headers.get('connection')).not.toBe('close');
        if (route.includes('framing=length')) expect(first.headers.get('content-length')).toBe('12345');
        if (status === 304) expect(first.headers.get('etag')).toBe('"v1"');
        const next = await connection.request('GET', '/user/alice/small', { Cookie: cookies.alice });
        expect(next).toMatchObject({ status: 200, body: 'small\n' });
      }
      expect(connection.closed).toBe(false);
    } finally {
      connection.close();
    }
  });
});

describe('an informational response before the answer', () => {
  it('103 Early Hints: the answer still arrives (the hints forwarded or dropped), and the connection stays usable', async () => {
    const received = await request('alice', '/user/alice/early-hints').catch((error: Error) => {
      throw new Error(`no answer through the hub: ${error.message}`);
    });
    expect(received).toMatchObject({ status: 200, complete: true });
    expect(received.body.toString()).toBe('after hints\n');
    const connection = new KeepAliveConnection(hub.baseUrl);
    try {
      for (let round = 0; round < 2; round++) {
        const answer = await connection.request('GET', '/user/alice/early-hints', { Cookie: cookies.alice });
        expect(answer).toMatchObject({ status: 200, body: 'after hints\n' });
        expect(answer.informational.every((status) => status === 103)).toBe(true);
        expect(await connection.request('GET', '/user/alice/small', { Cookie: cookies.alice })).toMatchObject({ status: 200, body: 'small\n' });
      }
    } finally {
      connection.close();
    }
  });
});
