import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { portBlock } from '../proxy/helpers.ts';
import { waitFor } from '../support/processes.ts';
import { CLI_ADMIN_TOKEN, useCliHubs, userWithServer } from './helpers.ts';
import { KeepAliveClient, type KeepAliveRequest } from './keep-alive-client.ts';

/**
 * SIGTERM while keep-alive clients send back to back: every request the hub received is answered
 * (with Connection: close), every other one meets a clean close before it was read — no reset, no
 * answer cut off, and no POST that took effect without its answer.
 */

const PORTS = portBlock(9);
const startHub = useCliHubs();
/** Client connections a test opened, ended after the file whatever happened. */
const opened: Array<{ destroy(): void }> = [];
afterAll(() => {
  for (const connection of opened) connection.destroy();
});

function request(method: string, target: string, token: string, body?: string): string {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: gatehouse.test', `Authorization: token ${token}`];
  if (body !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`;
}

describe('graceful shutdown', () => {
  it('answers what it received and closes keep-alive connections cleanly, POSTs included', async () => {
    const hub = await startHub(PORTS);
    const base = hub.baseUrl;
    const bobToken = await userWithServer(hub, 'bob');
    const kinds: Array<(client: number, index: number) => KeepAliveRequest> = [
      (client, index) => ({ label: `ka${client}x${index}`, bytes: request('POST', `/hub/api/users/ka${client}x${index}`, CLI_ADMIN_TOKEN, '{}') }),
      () => ({ label: 'read', bytes: request('GET', '/hub/api/users/admin', CLI_ADMIN_TOKEN) }),
      () => ({ label: 'proxied-post', bytes: request('POST', '/user/bob/api/headers', bobToken, '{"hello":1}') }),
      () => ({ label: 'proxied-get', bytes: request('GET', '/user/bob/api/ping', bobToken) }),
    ];
    const clients: KeepAliveClient[] = [];
    for (let c = 0; c < 8; c++) clients.push(new KeepAliveClient(base, (index) => (kinds[c % kinds.length] as (typeof kinds)[number])(c, index)));
    opened.push(...clients);
    await waitFor('every client sending back to back', () => clients.every((client) => client.answered >= 10), 30_000);
    const exited = once(hub.process, 'exit');
    hub.process.kill('SIGTERM');
    await Promise.all(clients.map((client) => client.finished));
    expect(await exited, hub.output().slice(-3000)).toEqual([0, null]);

    const exchanges = clients.flatMap((client) => client.exchanges);
    const endings = clients.map((client) => client.exchanges.at(-1)).map((last) => (last?.outcome === 'answered' ? `answered${last.connectionClose === true ? ' with Connection: close' : ''}` : last?.outcome));
    console.info(`${exchanges.length} requests; how each client's last one ended: ${endings.join('; ')}`);
    expect(exchanges.filter((exchange) => exchange.outcome === 'reset' || exchange.outcome === 'cut-mid-answer')).toEqual([]);
    for (const exchange of exchanges.filter((candidate) => candidate.outcome === 'answered')) {
      expect(exchange.status, exchange.label).toBe(exchange.label.startsWith('ka') ? 201 : 200);
    }
    // A client's last request was answered with Connection: close, or closed before it was read.
    for (const client of clients) {
      const last = client.exchanges.at(-1);
      expect(last?.outcome === 'closed-before-answer' || last?.connectionClose === true, JSON.stringify(last)).toBe(true);
    }
    const db = new Database(path.join(hub.dataDir, 'gatehouse.sqlite'), { readonly: true });
    const users = new Set((db.prepare('SELECT name FROM users').all() as Array<{ name: string }>).map((row) => row.name));
    db.close();
    for (const exchange of exchanges.filter((candidate) => candidate.label.startsWith('ka'))) {
      expect(users.has(exchange.label), `${exchange.label}: ${exchange.outcome}`).toBe(exchange.outcome === 'answered');
    }
  });

  /** A POST whose headers the hub has taken (it answered 100 Continue) and whose body has not been sent. */
  async function postAwaitingBody(base: string, name: string): Promise<{ sendBody(): void; answer: Promise<string> }> {
    const { hostname, port } = new URL(base);
    const socket = net.connect(Number(port), hostname);
    opened.push(socket);
    let received = '';
    const answer = new Promise<string>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
    socket.write(`POST /hub/api/users/${name} HTTP/1.1\r\nHost: gatehouse.test\r\nAuthorization: token ${CLI_ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n`);
    await waitFor('the hub to take the request (100 Continue)', () => received.startsWith('HTTP/1.1 100 Continue'));
    return { sendBody: () => socket.write('{}'), answer };
  }

  it('finishes a request whose body is still on its way when SIGTERM comes, then exits', async () => {
    const hub = await startHub(PORTS, 'http: { shutdownGrace: 30 }');
    const pending = await postAwaitingBody(hub.baseUrl, 'late');
    const exited = once(hub.process, 'exit');
    hub.process.kill('SIGTERM');
    await waitFor('the hub to begin stopping', () => hub.output().includes('Stopping:'));
    pending.sendBody();
    const answer = await pending.answer;
    expect(answer).toMatch(/HTTP\/1\.1 201 Created\r\n/);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(await exited, hub.output().slice(-3000)).toEqual([0, null]);
  });

  it('ends at once on a second signal (SIGTERM, then SIGINT) while a request holds the shutdown', async () => {
    const hub = await startHub(PORTS, 'http: { shutdownGrace: 30 }');
    await postAwaitingBody(hub.baseUrl, 'never');
    const exited = once(hub.process, 'exit');
    hub.process.kill('SIGTERM');
    await waitFor('the hub to begin stopping', () => hub.output().includes('Stopping:'));
    hub.process.kill('SIGINT');
    const started = Date.now();
    expect(await exited).toEqual([null, 'SIGINT']);
    expect(Date.now() - started, 'well before the 30 s shutdown grace').toBeLessThan(15_000);
  });
});

