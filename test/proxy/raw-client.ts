import net from 'node:net';
import WebSocket from 'ws';
import { expect } from 'vitest';

/**
 * Clients that speak HTTP/1.1 and the WebSocket handshake byte for byte, so that duplicate and oddly
 * spelled headers and unnormalised paths reach the hub exactly as an attacker would send them, and
 * what the demo app received can be read back the same way over both.
 */

/** How the demo app shows its own server token (it never echoes the secret). */
export const SERVER_TOKEN_SHOWN = "token [this server's token]";

/** What the demo app reports about a request it received. */
export interface EchoedRequest {
  readonly user: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly rawHeaders: string[];
}

/** Raw header names the server received, lower-cased, in order (duplicates kept). */
export function receivedNames(echo: Pick<EchoedRequest, 'rawHeaders'>): string[] {
  return echo.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
}

/** Every value received under `name` (any case), from rawHeaders. */
export function receivedValues(echo: Pick<EchoedRequest, 'rawHeaders'>, name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < echo.rawHeaders.length; i += 2) {
    if (echo.rawHeaders[i]?.toLowerCase() === name.toLowerCase()) values.push(echo.rawHeaders[i + 1] as string);
  }
  return values;
}

export type HeaderLine = readonly [string, string];

export interface RawResponse {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: string;
  json<T = unknown>(): T;
}

/** Connects to the host:port of `baseUrl`; the socket is destroyed if the exchange hangs. */
function connectTo(baseUrl: string): net.Socket {
  const { hostname, port } = new URL(baseUrl);
  const socket = net.connect(Number(port), hostname);
  socket.setTimeout(15_000, () => socket.destroy(new Error('raw exchange timed out')));
  return socket;
}

function requestHead(method: string, target: string, lines: readonly HeaderLine[], baseUrl: string, defaults: readonly HeaderLine[]): string {
  const has = (name: string) => lines.some(([key]) => key.toLowerCase() === name);
  const all = [...(has('host') ? [] : [['Host', new URL(baseUrl).host] as const]), ...defaults.filter(([key]) => !has(key.toLowerCase())), ...lines];
  return `${method} ${target} HTTP/1.1\r\n${all.map(([key, value]) => `${key}: ${value}\r\n`).join('')}\r\n`;
}

export function parseHead(head: string): { status: number; headers: Map<string, string> } {
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${line.slice(colon + 1).trim()}` : line.slice(colon + 1).trim());
  }
  return { status: Number(statusLine.split(' ')[1]), headers };
}

/** The body once complete (by Content-Length, chunked terminator, or end of stream), else undefined. */
export function completeBody(headers: Map<string, string>, data: Buffer, ended: boolean): string | undefined {
  const length = headers.get('content-length');
  if (length !== undefined) return data.length >= Number(length) ? data.subarray(0, Number(length)).toString('utf8') : undefined;
  if (headers.get('transfer-encoding')?.includes('chunked')) {
    let offset = 0;
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = data.indexOf('\r\n', offset);
      if (lineEnd === -1) return undefined;
      const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
      if (size === 0) return Buffer.concat(parts).toString('utf8');
      if (data.length < lineEnd + 2 + size + 2) return undefined;
      parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
      offset = lineEnd + 2 + size + 2;
    }
  }
  return ended ? data.toString('utf8') : undefined;
}

/**
 * One HTTP/1.1 request written byte for byte: header lines go out exactly as given (case,
 * underscores, duplicates), and the target is not normalised (`/user/bob/../alice/` stays).
 */
export function rawHttp(baseUrl: string, method: string, target: string, lines: readonly HeaderLine[] = [], body = ''): Promise<RawResponse> {
  const chunked = lines.some(([name]) => name.toLowerCase() === 'transfer-encoding');
  const defaults: HeaderLine[] = [['Connection', 'close'], ...(body === '' || chunked ? [] : [['Content-Length', String(Buffer.byteLength(body))] as const])];
  return new Promise((resolve, reject) => {
    const socket = connectTo(baseUrl);
    let data = Buffer.alloc(0);
    let head: { status: number; headers: Map<string, string> } | undefined;
    const check = (ended: boolean) => {
      if (head === undefined) {
        const end = data.indexOf('\r\n\r\n');
        if (end === -1) return ended ? reject(new Error(`connection closed before a response: ${data.toString()}`)) : undefined;
        head = parseHead(data.subarray(0, end).toString('latin1'));
        data = data.subarray(end + 4);
      }
      const text = method === 'HEAD' ? '' : completeBody(head.headers, data, ended);
      if (text === undefined) return ended ? reject(new Error('connection closed mid-body')) : undefined;
      socket.destroy();
      const { status, headers } = head;
      resolve({ status, headers, body: text, json: <T>() => JSON.parse(text) as T });
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      check(false);
    });
    socket.on('end', () => check(true));
    socket.on('error', reject);
    socket.write(requestHead(method, target, lines, baseUrl, defaults) + body);
  });
}

/** The first text frame of a server-to-client (unmasked) WebSocket stream, once complete. */
function firstTextFrame(data: Buffer): string | undefined {
  if (data.length < 2) return undefined;
  let length = (data[1] as number) & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    offset = 10;
  }
  return data.length >= offset + length ? data.subarray(offset, offset + length).toString('utf8') : undefined;
}

export interface DemoHello {
  readonly type: 'hello';
  readonly user: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/**
 * A WebSocket handshake written byte for byte (extra header lines exactly as given), returning
 * the status and, after a 101, the demo app's first message.
 */
export function rawWebSocket(
  baseUrl: string,
  target: string,
  lines: readonly HeaderLine[] = [],
): Promise<{ status: number; headers: Map<string, string>; hello?: DemoHello }> {
  const defaults: HeaderLine[] = [
    ['Connection', 'Upgrade'],
    ['Upgrade', 'websocket'],
    ['Sec-WebSocket-Version', '13'],
    ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
  ];
  return new Promise((resolve, reject) => {
    const socket = connectTo(baseUrl);
    let data = Buffer.alloc(0);
    let head: { status: number; headers: Map<string, string> } | undefined;
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (head === undefined) {
        const end = data.indexOf('\r\n\r\n');
        if (end === -1) return;
        head = parseHead(data.subarray(0, end).toString('latin1'));
        data = data.subarray(end + 4);
        if (head.status !== 101) {
          socket.destroy();
          return resolve(head);
        }
      }
      const text = firstTextFrame(data);
      if (text === undefined) return;
      socket.destroy();
      resolve({ ...head, hello: JSON.parse(text) as DemoHello });
    });
    socket.on('end', () => (head === undefined ? reject(new Error('closed before a handshake response')) : resolve(head)));
    socket.on('error', reject);
    socket.write(requestHead('GET', target, lines, baseUrl, defaults));
  });
}

/**
 * A WebSocket through the `ws` client: resolves with the refusal status, or with the open socket
 * and its first message (the caller closes it).
 */
export function openWebSocket(url: string, headers: Record<string, string> = {}): Promise<{ status: number; socket?: WebSocket; hello?: DemoHello }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, handshakeTimeout: 10_000 });
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      socket.terminate();
      resolve({ status: res.statusCode ?? 0 });
    });
    socket.once('message', (data) => resolve({ status: 101, socket, hello: JSON.parse(data.toString()) as DemoHello }));
    socket.once('error', (error) => reject(error));
  });
}

export function wsUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/^http/, 'ws')}${path}`;
}

export type Transport = 'http' | 'websocket';

/** What a user server received, seen the same way whether it came over HTTP or a WebSocket upgrade. */
export interface Received {
  readonly user: string;
  /** Lower-cased header names (raw, with duplicates, for HTTP; Node's merged names for WebSocket). */
  readonly names: string[];
  values(name: string): string[];
}

/** Sends `lines` to `owner`'s demo app through the hub and returns what the app saw (expects success). */
export async function receive(baseUrl: string, owner: string, transport: Transport, lines: readonly HeaderLine[]): Promise<Received> {
  if (transport === 'http') {
    const response = await rawHttp(baseUrl, 'GET', `/user/${owner}/api/headers`, lines);
    expect(response.status, response.body).toBe(200);
    const echo = response.json<EchoedRequest>();
    return { user: echo.user, names: receivedNames(echo), values: (name) => receivedValues(echo, name) };
  }
  const { status, hello } = await rawWebSocket(baseUrl, `/user/${owner}/ws`, lines);
  expect(status).toBe(101);
  const headers = hello?.headers ?? {};
  return {
    user: hello?.user ?? '',
    names: Object.keys(headers),
    values: (name) => [headers[name.toLowerCase()] ?? []].flat(),
  };
}

/** Names compare case-insensitively and with `_` equal to `-`, as CGI-style servers see them. */
export function canonical(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}
