import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { cleanupTempDirs } from '../support/temp.ts';

/**
 * Regression (closed holes): malformed requests — raw non-UTF-8 bytes, bad percent-encoding in
 * paths, next=, ?token=, ?user=, X-Original-URI, cookies and Authorization — get a 4xx or a
 * redirect, never a 500, on the Koa pages, the API, the proxy and /hub/auth alike.
 */

let hub: TestHub;
let session = '';

beforeAll(async () => {
  hub = await startTestHub({ authRequest: { cookiePaths: ['/site/'] } });
  session = (await loginWithForm(hub.baseUrl, 'bob')).cookie('gatehouse-session')?.value ?? '';
});
afterAll(async () => {
  await hub.close();
  cleanupTempDirs();
});

/** The status line's code of one raw HTTP/1.1 request (bytes as given). */
function rawStatus(request: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(hub.port, '127.0.0.1', () => socket.end(request));
    let out = '';
    socket.on('data', (chunk: Buffer) => (out += chunk.toString('latin1')));
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

const FF = '\u00ff\u00c0'; // written as latin1: the bytes 0xFF 0xC0, invalid UTF-8
const request = (line: string, headers: string[] = []) =>
  Buffer.from(`${line} HTTP/1.1\r\nHost: x\r\n${headers.map((header) => `${header}\r\n`).join('')}Connection: close\r\n\r\n`, 'latin1');

it.each([
  ['GET /user/%ZZ/'],
  [`GET /user/${FF}/`],
  [`GET /hub/${FF}`],
  ['GET /hub/%ZZ'],
  ['GET /hub/login?next=%ZZ'],
  [`GET /hub/login?next=/${FF}`],
  ['GET /hub/login?next=%E0%A4%A'],
  ['GET /hub/home?token=%ZZ%FF'],
  ['GET /user/bob/?token=%ZZ'],
  ['GET /hub/auth?user=%ZZ,%FF'],
  ['GET /hub/api/users/%ZZ/tokens'],
  ['GET /hub/user/%ZZ/x'],
  ['GET http://evil.example/hub/home'],
  ['GET /hub/auth', [`X-Original-URI: /${FF}`]],
  ['GET /hub/auth', [`Cookie: gatehouse-auth=${FF}`]],
  ['GET /hub/auth', [`Authorization: token ${FF}`]],
  ['GET /hub/home', [`Cookie: gatehouse-session=${FF}`]],
  ['GET /user/bob/', [`Authorization: token ${FF}`]],
  ['GET /hub/api/user', [`Authorization: Bearer ${FF}`]],
  ['GET /hub/home', [`Cookie: ${'a=b; '.repeat(2500)}`]],
] as [string, string[]?][])('%s %j: no 500', async (line, headers = []) => {
  const status = await rawStatus(request(line, headers));
  expect(status).toBeGreaterThanOrEqual(200);
  expect(status).toBeLessThan(500);
});

it('a signed-in browser with bad encodings in API paths gets a 4xx', async () => {
  for (const path of ['/hub/api/users/%ZZ', '/hub/api/users/bob/tokens/%ZZ', '/hub/api/users/%C0%AF/totp', '/hub/spawn-pending/%ZZ']) {
    const response = await fetch(`${hub.baseUrl}${path}`, { headers: { cookie: `gatehouse-session=${session}` }, redirect: 'manual' });
    expect(response.status, path).toBeLessThan(500);
  }
});
