/**
 * A small HTTP client that behaves like a browser with respect to cookies (path-scoped jar,
 * expiry by empty value/past date) and never follows redirects, so tests see every hop.
 */
import { Agent, fetch as undiciFetch } from 'undici';
export interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
  readonly attributes: Readonly<Record<string, string | true>>;
}

export interface ClientResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** Raw Set-Cookie lines of this response. */
  readonly setCookies: string[];
  json<T = unknown>(): T;
}

export function parseSetCookie(line: string): StoredCookie {
  const [pair = '', ...attributeParts] = line.split(';');
  const eq = pair.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const part of attributeParts) {
    const [key = '', ...rest] = part.trim().split('=');
    attributes[key.toLowerCase()] = rest.length > 0 ? rest.join('=') : true;
  }
  const path = typeof attributes['path'] === 'string' ? attributes['path'] : '/';
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), path, attributes };
}

export interface BrowserLikeClientOptions {
  /**
   * Connect from this local address (any 127.x.y.z on Linux), as a person on another machine would
   * arrive from an address of their own; the client then keeps its own connection pool (`close()`).
   */
  readonly localAddress?: string;
}

export class BrowserLikeClient {
  readonly #base: string;
  readonly #cookies = new Map<string, StoredCookie>();
  readonly #agent: Agent | undefined;
  /** Extra headers sent with every request (e.g. a spoofed identity header). */
  defaultHeaders: Record<string, string> = {};

  constructor(baseUrl: string, options: BrowserLikeClientOptions = {}) {
    this.#base = baseUrl.replace(/\/$/, '');
    this.#agent = options.localAddress === undefined ? undefined : new Agent({ connect: { localAddress: options.localAddress } });
  }

  /** Closes the client's own connections (only a client with a `localAddress` has any). */
  async close(): Promise<void> {
    await this.#agent?.close();
  }

  cookies(): StoredCookie[] {
    return [...this.#cookies.values()];
  }

  cookie(name: string, path?: string): StoredCookie | undefined {
    return this.cookies().find((cookie) => cookie.name === name && (path === undefined || cookie.path === path));
  }

  setCookie(name: string, value: string, path = '/'): void {
    this.#cookies.set(`${name};${path}`, { name, value, path, attributes: {} });
  }

  clearCookies(): void {
    this.#cookies.clear();
  }

  cookieHeaderFor(requestPath: string): string {
    return this.cookies()
      .filter((cookie) => requestPath === cookie.path.replace(/\/$/, '') || requestPath.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  async request(method: string, path: string, options: { headers?: Record<string, string>; body?: string; form?: Record<string, string>; json?: unknown } = {}): Promise<ClientResponse> {
    const headers: Record<string, string> = { ...this.defaultHeaders, ...options.headers };
    const cookieHeader = this.cookieHeaderFor(path.split('?')[0] ?? path);
    if (cookieHeader !== '' && headers['cookie'] === undefined) headers['cookie'] = cookieHeader;
    let body = options.body;
    if (options.form !== undefined) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    }
    const init = { method, headers, body, redirect: 'manual' } as const;
    const url = `${this.#base}${path}`;
    const response = this.#agent === undefined ? await fetch(url, init) : await undiciFetch(url, { ...init, dispatcher: this.#agent });
    const text = await response.text();
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) this.#store(parseSetCookie(line));
    return {
      status: response.status,
      headers: response.headers,
      body: text,
      setCookies,
      json<T>() {
        return JSON.parse(text) as T;
      },
    };
  }

  get(path: string, headers?: Record<string, string>): Promise<ClientResponse> {
    return this.request('GET', path, headers === undefined ? {} : { headers });
  }

  #store(cookie: StoredCookie): void {
    const key = `${cookie.name};${cookie.path}`;
    const expires = cookie.attributes['expires'];
    const expired = cookie.value === '' || (typeof expires === 'string' && Date.parse(expires) <= Date.now());
    if (expired) this.#cookies.delete(key);
    else this.#cookies.set(key, cookie);
  }
}

/** The value of a hidden `_xsrf` input in a page. */
export function xsrfFromPage(html: string): string {
  const match = /name="_xsrf" value="([^"]+)"/.exec(html);
  if (match?.[1] === undefined) throw new Error('no _xsrf field in page');
  return match[1];
}
