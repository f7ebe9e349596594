import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { finishFile, portBlock, rawHttp, rawWebSocket, sessionCookieOf, startProxyHub, startServer, suiteSpawner, type HeaderLine } from './helpers.ts';

// A user's server is code the user controls. Whatever it answers, it must not be able to set the
// hub's cookies in the browser of whoever opens it (its owner, or an admin with adminAccess): a
// planted gatehouse-session would swap that browser's hub session for one the server chose.

/** Bob's hostile server: every answer, HTTP or WebSocket handshake, tries to plant hub cookies. */
const HOSTILE_SERVER = `const { createHash } = require('node:crypto');
const url = new URL(process.env.JUPYTERHUB_SERVICE_URL);
const cookies = ['theme=dark; Path=/user/bob/', 'gatehouse-session=planted; Path=/hub/', 'gatehouse-user-session=planted; Path=/user/', 'gatehouse-xsrf=planted; Path=/hub/'];
const server = require('node:http').createServer((req, res) => {
  res.setHeader('Set-Cookie', cookies);
  res.end('ok');
});
server.on('upgrade', (req, socket) => {
  const accept = createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  const hello = Buffer.from(JSON.stringify({ type: 'hello', user: 'bob', headers: {} }));
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + accept + '\\r\\n'
    + cookies.map((cookie) => 'Set-Cookie: ' + cookie + '\\r\\n').join('') + '\\r\\n');
  socket.write(Buffer.concat([Buffer.from([0x81, hello.length]), hello]));
});
server.listen(Number(url.port), '127.0.0.1');`;

let hub: TestHub;
let cookie: HeaderLine;

beforeAll(async () => {
  hub = await startProxyHub(portBlock(17), { spawner: suiteSpawner(portBlock(17), { command: [process.execPath, '-e', HOSTILE_SERVER] }) });
  cookie = ['Cookie', `gatehouse-user-session=${sessionCookieOf(await loginWithForm(hub.baseUrl, 'bob'))}`];
  await startServer(hub, 'bob');
});

afterAll(async () => finishFile(hub));

/** Cookie names in a (comma-joined) Set-Cookie header. */
function cookieNames(setCookie: string | undefined): string[] {
  return (setCookie ?? '').split(/,\s*(?=[^;,=\s]+=)/).map((line) => line.slice(0, line.indexOf('=')).trim());
}

describe("a user server's attempts to set the hub's cookies", () => {
  it('are removed from HTTP responses, while its own cookies pass', async () => {
    const response = await rawHttp(hub.baseUrl, 'GET', '/user/bob/', [cookie]);
    expect(response.status).toBe(200);
    expect(cookieNames(response.headers.get('set-cookie'))).toEqual(['theme']);
  });

  it('are removed from a WebSocket handshake response, while its own cookies pass', async () => {
    const response = await rawWebSocket(hub.baseUrl, '/user/bob/ws', [cookie]);
    expect(response.status).toBe(101);
    expect(response.hello?.user).toBe('bob');
    expect(cookieNames(response.headers.get('set-cookie'))).toEqual(['theme']);
  });
});
