import { createCipheriv, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import net from 'node:net';

/**
 * The clients of streaming.test.ts: whole-response reads over node:http (hashing what arrives), a
 * keep-alive connection that frames responses itself, and what the kernel holds in TCP queues.
 */

const MiB = 1024 * 1024;

/** The body the server sends for `seed` (its keystream(), computed independently here). */
export function keystream(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A response as a client saw it: `complete` only if the message ended properly (all of its framing). */
export interface Received {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly length: number;
  readonly sha256: string;
  readonly body: Buffer;
  readonly complete: boolean;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Writes the request body (the request is ended afterwards). */
  readonly send?: (req: http.ClientRequest) => Promise<void>;
  /** Sees every body chunk (after it was counted); may pause the response. */
  readonly onData?: (res: http.IncomingMessage, read: number) => void;
}

/**
 * One request from a fresh connection (node:http, Connection: close) with the session `cookie`; resolves once the
 * response is over, whether it completed or was cut (a request that gets no response rejects).
 */
export function requestAs(baseUrl: string, cookie: string, target: string, options: RequestOptions = {}): Promise<Received> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: target, method: options.method ?? 'GET', agent: false, headers: { Cookie: cookie, ...options.headers } });
    req.setTimeout(15_000, () => req.destroy(new Error(`no progress on ${target} for 15 s`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let length = 0;
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        length += chunk.length;
        if (kept < MiB) {
          chunks.push(chunk);
          kept += chunk.length;
        }
        options.onData?.(res, length);
      });
      res.on('error', () => undefined); // 'aborted': reported as complete: false below
      res.on('close', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, length, sha256: hash.digest('hex'), body: Buffer.concat(chunks), complete: res.complete }),
      );
    });
    if (options.send === undefined) req.end();
    else options.send(req).then(() => req.end(), (error: unknown) => req.destroy(error as Error));
  });
}

/** One keep-alive connection, requests sent one at a time; a response's body is framed as HTTP/1.1 says. */
export class KeepAliveConnection {
  readonly #socket: net.Socket;
  #data = Buffer.alloc(0);
  #closed = false;
  #timedOut = false;
  #wake: (() => void) | undefined;
  /** Body bytes of the current response received so far. */
  bodyBytes = 0;

  constructor(baseUrl: string) {
    const { hostname, port } = new URL(baseUrl);
    this.#socket = net.connect(Number(port), hostname);
    // Idle for 5 s in the middle of an exchange means hung: reported as such, never as a close.
    this.#socket.setTimeout(5_000, () => {
      this.#timedOut = true;
      this.#socket.destroy();
    });
    this.#socket.on('data', (chunk: Buffer) => {
      this.#data = Buffer.concat([this.#data, chunk]);
      this.#wake?.();
    });
    this.#socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
    this.#socket.on('error', () => undefined);
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#socket.destroy();
  }

  async #until<T>(what: string, parse: () => T | undefined): Promise<T> {
    for (;;) {
      const value = parse();
      if (value !== undefined) return value;
      if (this.#timedOut) throw new Error(`timed out (5 s idle) waiting for ${what}`);
      if (this.#closed) throw new Error(`connection closed ${what}; unparsed: ${JSON.stringify(this.#data.toString('latin1').slice(0, 200))}`);
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #take(length: number): Buffer {
    const taken = this.#data.subarray(0, length);
    this.#data = this.#data.subarray(length);
    return taken;
  }

  async #head(): Promise<{ status: number; headers: Map<string, string> }> {
    const head = await this.#until('before a response head', () => {
      const end = this.#data.indexOf('\r\n\r\n');
      return end === -1 ? undefined : this.#take(end + 4).toString('latin1');
    });
    const [statusLine = '', ...headerLines] = head.slice(0, -4).split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
    if (!Number.isInteger(status)) throw new Error(`not a status line: ${JSON.stringify(statusLine)}`);
    const headers = new Map<string, string>();
    for (const line of headerLines) headers.set(line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim());
    return { status, headers };
  }

  /** One request and its final response (informational 1xx heads before it are collected, not returned as the answer). */
  async request(method: string, target: string, headers: Record<string, string>): Promise<{ status: number; headers: Map<string, string>; body: string; informational: number[] }> {
    if (this.#data.length > 0) throw new Error(`bytes before a request was sent: ${JSON.stringify(this.#data.toString('latin1'))}`);
    const lines = Object.entries({ Host: 'gatehouse.test', ...headers }).map(([name, value]) => `${name}: ${value}\r\n`);
    this.#socket.write(`${method} ${target} HTTP/1.1\r\n${lines.join('')}\r\n`);
    this.bodyBytes = 0;
    const informational: number[] = [];
    let head = await this.#head();
    while (head.status >= 100 && head.status < 200) {
      informational.push(head.status);
      head = await this.#head();
    }
    const { status, headers: map } = head;
    let body = '';
    if (method === 'HEAD' || status === 204 || status === 304) {
      body = '';
    } else if (map.get('transfer-encoding') === 'chunked') {
      for (;;) {
        const size = await this.#until('mid-body', () => {
          const end = this.#data.indexOf('\r\n');
          return end === -1 ? undefined : parseInt(this.#take(end + 2).toString('latin1'), 16);
        });
        const chunk = await this.#until('mid-body', () => {
          this.bodyBytes = body.length + Math.min(size, this.#data.length);
          return this.#data.length >= size + 2 ? this.#take(size + 2) : undefined;
        });
        if (size === 0) break;
        body += chunk.subarray(0, size).toString('latin1');
      }
    } else {
      const length = Number(map.get('content-length'));
      if (!Number.isInteger(length)) throw new Error(`a ${status} response without framing on a keep-alive connection`);
      body = (
        await this.#until('mid-body', () => {
          this.bodyBytes = Math.min(length, this.#data.length);
          return this.#data.length >= length ? this.#take(length) : undefined;
        })
      ).toString('latin1');
    }
    return { status, headers: map, body, informational };
  }
}

/** Writes `body` in 64 KiB slices, waiting for 'drain' whenever the socket says so. */
export async function writeSlices(req: http.ClientRequest, body: Buffer): Promise<void> {
  for (let offset = 0; offset < body.length; offset += 64 * 1024) {
    if (!req.write(body.subarray(offset, offset + 64 * 1024))) await new Promise((resolve) => req.once('drain', resolve));
  }
}

/**
 * Bytes the kernel holds for TCP connections (send queue + receive queue, both ends), from
 * /proc/net/tcp{,6}: those with an endpoint on port `port`, or only the one between `port` and
 * `peerPort`.
 */
export function kernelQueued(port: number, peerPort?: number): number {
  let total = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(1) : [];
    for (const line of lines) {
      const [, local = '', remote = '', state = '', queues = ''] = line.trim().split(/\s+/);
      if (state === '0A') continue; // listening: its queue is the accept backlog
      const localPort = parseInt(local.split(':')[1] ?? '', 16);
      const remotePort = parseInt(remote.split(':')[1] ?? '', 16);
      const ends = [localPort, remotePort];
      if (!ends.includes(port) || (peerPort !== undefined && !ends.includes(peerPort))) continue;
      const [tx = '0', rx = '0'] = queues.split(':');
      total += parseInt(tx, 16) + parseInt(rx, 16);
    }
  }
  return total;
}
