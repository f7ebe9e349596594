import { readdirSync } from 'node:fs';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { portBlock } from '../proxy/helpers.ts';
import { waitFor } from '../support/processes.ts';
import { useCliHubs, userWithServer, useReliabilityHub } from './helpers.ts';

/**
 * Slow clients cannot use up the hub: headers must arrive within http.headersTimeout, and beyond
 * http.maxConnections the oldest connection serving no request is closed, so 2,000 slowloris
 * connections leave the hub's file descriptors bounded and real requests answered.
 */

const PORTS = portBlock(23);
const SLOW_CLIENTS = 2_000;
const MAX_CONNECTIONS = 300;
const sockets: net.Socket[] = [];
afterAll(() => {
  for (const socket of sockets) socket.destroy();
});

/** A client that starts a request and never finishes its headers. */
function slowloris(baseUrl: string): Promise<net.Socket> {
  const { hostname, port } = new URL(baseUrl);
  const socket = net.connect(Number(port), hostname);
  sockets.push(socket);
  socket.on('error', () => undefined); // closed by the hub: that is the point
  return new Promise((resolve) => {
    socket.once('connect', () => socket.write('GET /hub/api/ HTTP/1.1\r\nHost: gatehouse.test\r\nX-Slow: ', () => resolve(socket)));
    socket.once('close', () => resolve(socket));
  });
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

describe('http.headersTimeout', () => {
  const fixture = useReliabilityHub(() => ({ http: { headersTimeout: 1, maxConnections: 100, shutdownGrace: 5 } }));

  it('closes a connection whose headers do not arrive in time, with 408', async () => {
    const { hostname, port } = new URL(fixture.hub.baseUrl);
    const socket = net.connect(Number(port), hostname);
    sockets.push(socket);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.write('GET /hub/api/ HTTP/1.1\r\nHost: gatehouse.test\r\nX-Slow: ');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await waitFor('the hub to close the slow connection', () => socket.destroyed || socket.readableEnded, 8_000);
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});
