import http, { type IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';

/**
 * Requests with header lines exactly as given, over TCP or a unix socket, and what their answers show:
 * for the spoofing tests, which send what nginx would never forward.
 */

/** The address the README used to tell nginx to connect from: now it proves nothing. */
export const ATTACKER_ADDRESS = '127.0.0.2';
export const SESSION_COOKIE = 'gatehouse-session';
/** How the demo app shows the hub-issued server token it received (it never echoes the secret). */
export const SERVER_TOKEN_SHOWN = "token [this server's token]";

export type HeaderLine = readonly [string, string];

export interface SentResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly setCookies: string[];
  readonly body: string;
}

/**
 * One HTTP/1.1 request with header lines exactly as given (case, underscores, repeats), from
 * `localAddress` when set. Connection: close, so no socket outlives the test.
 */
export function send(
  url: string,
  options: { method?: string; headers?: readonly HeaderLine[]; localAddress?: string; socketPath?: string; body?: string } = {},
): Promise<SentResponse> {
  const target = new URL(url);
  const lines: HeaderLine[] = [['Host', target.host], ['Connection', 'close'], ...(options.headers ?? [])];
  if (options.body !== undefined) lines.push(['Content-Length', String(Buffer.byteLength(options.body))]);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers: lines.flat(),
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
        ...(options.socketPath === undefined ? {} : { socketPath: options.socketPath }),
        timeout: 15_000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, setCookies: response.headers['set-cookie'] ?? [], body }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url}`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Whether Set-Cookie lines start a hub session (a non-empty gatehouse-session). */
export function startsSession(setCookies: readonly string[]): boolean {
  return setCookies.some((line) => line.startsWith(`${SESSION_COOKIE}=`) && !line.startsWith(`${SESSION_COOKIE}=;`));
}

/** Cookie header echoing back what the hub set (as an attacker's script would). */
export function cookiesFrom(setCookies: readonly string[]): string {
  return setCookies.map((line) => line.split(';')[0] as string).join('; ');
}

/** The demo app's WebSocket greeting: who it thinks the user is and the headers it received. */
interface DemoHello {
  readonly user: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** Opens a WebSocket through `url`, returns the demo app's first message, closes the socket. */
export function demoHello(url: string, headers: Record<string, string>): Promise<DemoHello> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, handshakeTimeout: 10_000 });
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      reject(new Error(`WebSocket refused with ${response.statusCode}`));
    });
    socket.once('message', (data) => {
      socket.close();
      resolve(JSON.parse(data.toString()) as DemoHello);
    });
    socket.once('error', reject);
  });
}

/** Header names compare case-insensitively and with `_` equal to `-`, as CGI-style servers see them. */
export function sameHeader(a: string, b: string): boolean {
  const canonical = (name: string) => name.toLowerCase().replaceAll('_', '-');
  return canonical(a) === canonical(b);
}
