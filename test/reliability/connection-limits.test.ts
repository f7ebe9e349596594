import { readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portBlock } from '../proxy/helpers.ts';
import { waitFor } from '../support/processes.ts';
import { tempDir } from '../support/temp.ts';
import { useCliHubs, userWithServer, useReliabilityHub } from './helpers.ts';

/**
 * Slow clients cannot use up the hub: headers must arrive within http.headersTimeout, and beyond
 * http.maxConnections the oldest connection serving no request is closed, so 2,000 slowloris
 * connections leave the hub's file descriptors bounded and real requests answered.
 */

const PORTS = portBlock(6);
const SLOW_CLIENTS = 2_000;
const MAX_CONNECTIONS = 300;
const sockets: net.Socket[] = [];
afterAll(() => {
  for (const socket of sockets) socket.destroy();
});

/** A slow client on TCP, resolved once connected and its partial request written (or once closed). */
function slowloris(baseUrl: string): Promise<net.Socket> {
  const { hostname, port } = new URL(baseUrl);
  const { socket, closed } = slowRequest(() => net.connect(Number(port), hostname));
  return Promise.race([new Promise((resolve) => socket.once('connect', resolve)), closed]).then(() => socket);
}

function openDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

describe('2,000 slowloris connections', () => {
  const startHub = useCliHubs();

  it('leave the hub\'s file descriptors bounded by http.maxConnections, and a normal and a proxied request answered', async () => {
    const hub = await startHub(PORTS, `http: { maxConnections: ${MAX_CONNECTIONS}, headersTimeout: 120 }`);
    const base = hub.baseUrl;
    const token = await userWithServer(hub, 'bob');
    const pid = hub.process.pid as number;
    const idle = openDescriptors(pid);
    for (let opened = 0; opened < SLOW_CLIENTS; opened += 100) {
      await Promise.all(Array.from({ length: 100 }, () => slowloris(base)));
    }
    const descriptors = openDescriptors(pid);
    const stillOpen = sockets.filter((socket) => !socket.destroyed && !socket.readableEnded).length;
    console.info(`after ${SLOW_CLIENTS} slow clients: hub fds ${idle} → ${descriptors}; ${stillOpen} slow connections still open`);
    expect(descriptors).toBeLessThan(idle + MAX_CONNECTIONS + 50);

    const started = performance.now();
    const page = await fetch(`${base}/hub/api/`);
    expect(page.status).toBe(200);
    const proxied = await fetch(`${base}/user/bob/api/ping`, { headers: { authorization: `token ${token}` } });
    expect(proxied.status).toBe(200);
    await proxied.text();
    console.info(`a hub request and a proxied request after them: ${(performance.now() - started).toFixed(0)} ms`);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

/** A client that starts a request on `connect` (TCP or the front-proxy socket) and never finishes its headers. */
function slowRequest(connect: () => net.Socket): { socket: net.Socket; answer: () => string; closed: Promise<void> } {
  const socket = connect();
  sockets.push(socket);
  socket.on('error', () => undefined);
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  socket.write('GET /hub/api/ HTTP/1.1\r\nHost: gatehouse.test\r\nX-Slow: ');
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, answer: () => answer, closed };
}

describe('http.headersTimeout', () => {
  const socketPath = path.join(tempDir('gatehouse-limits-socket-'), 'proxy.sock');
  const fixture = useReliabilityHub(() => ({ http: { headersTimeout: 1, maxConnections: 100, shutdownGrace: 5 }, frontProxy: { socket: { path: socketPath } } }));

  it('closes a connection whose headers do not arrive in time, with 408, on TCP and on the front-proxy socket', async () => {
    const { hostname, port } = new URL(fixture.hub.baseUrl);
    for (const connect of [() => net.connect(Number(port), hostname), () => net.connect(socketPath)]) {
      const slow = slowRequest(connect);
      await waitFor('the hub to close the slow connection', () => slow.socket.destroyed || slow.socket.readableEnded, 8_000);
      await slow.closed;
      expect(slow.answer()).toMatch(/^HTTP\/1\.1 408 /);
    }
  });
});

describe('http.maxConnections on the front-proxy socket', () => {
  const socketPath = path.join(tempDir('gatehouse-limits-socket-'), 'proxy.sock');
  const fixture = useReliabilityHub(() => ({ http: { headersTimeout: 120, maxConnections: 50, shutdownGrace: 5 }, frontProxy: { socket: { path: socketPath } } }));

  it('closes the oldest slow connections beyond the limit, and still answers a request', async () => {
    const slow: Array<ReturnType<typeof slowRequest>> = [];
    for (let i = 0; i < 100; i++) {
      const request = slowRequest(() => net.connect(socketPath));
      await new Promise((resolve) => request.socket.once('connect', resolve));
      slow.push(request);
    }
    await waitFor('the hub to close the 50 oldest', () => slow.slice(0, 50).every((request) => request.socket.destroyed || request.socket.readableEnded));
    expect(slow.slice(50).filter((request) => request.socket.destroyed || request.socket.readableEnded)).toHaveLength(0);
    const response = await fetch(`${fixture.hub.baseUrl}/hub/api/`);
    expect(response.status).toBe(200);
  });
});
