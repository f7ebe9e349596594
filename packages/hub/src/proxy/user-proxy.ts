import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import { Pool, type Dispatcher } from 'undici';
import type { PrincipalCache } from '../auth/principal-cache.ts';
import type { PrincipalSources } from '../auth/principal.ts';
import type { ActivityRecorder } from '../activity.ts';
import type { FrontProxyTrust } from '../http/front-proxy.ts';
import type { Logger } from '../log.ts';
import type { ProxyCounter, ProxyCounters } from '../metrics.ts';
import type { Route, ServerManager } from '../servers/manager.ts';
import { boundProxySessionId, mayAccessServer, proxyCookieConflict, proxyPrincipal, userFromPath } from './access.ts';
import type { SessionBinding } from '../http/session-binding.ts';
import { PROXY_SESSION_COOKIE } from '../http/session.ts';
import { withoutTokenParam } from '../http/token-in-query.ts';
import { createHeaderRules, forwardedHeaders, stripHubSetCookies, type HeaderRules } from './headers.ts';
import { ResponseRelay } from './response-relay.ts';
import { redirect, refuseUpgrade, sendProxyError } from './responses.ts';
import { UpstreamFailureLog } from './upstream-failures.ts';
import { watchBrowserMessages } from './websocket-messages.ts';

export interface UserProxyDeps {
  readonly sources: PrincipalSources;
  /** Session and token principals for the proxy path (exact: invalidated by any database change). */
  readonly sessionPrincipals: PrincipalCache;
  readonly servers: ServerManager;
  readonly activity: ActivityRecorder;
  readonly logger: Logger;
  readonly adminAccess: boolean;
  readonly trustedHeaders: readonly string[];
  readonly frontProxy: FrontProxyTrust;
  /** Ties the proxy cookie to the hub session (see boundProxySessionId). */
  readonly sessionBinding: SessionBinding;
  readonly counters: ProxyCounters;
  /** Seconds to wait for a user server's response headers, and between its body chunks; 0: no limit. */
  readonly timeouts: { readonly headers: number; readonly idle: number };
  /** Requests a server did not answer are logged once per server per this interval, with a count. */
  readonly failureLogIntervalMs: number;
}

type Decision = { kind: 'forward'; route: Route } | { kind: 'handled' };

/**
 * The authenticating reverse proxy for `/user/<name>/…`: every request and every WebSocket
 * handshake is authenticated and authorised before a byte reaches the user's server.
 * HTTP goes through an undici Pool per server (pooled keep-alive connections) with dispatch() and a
 * ResponseRelay (the cheapest CPU per request of the variants measured in bench/results.md, ahead of
 * stream(), request() + pipeline() and http-proxy); WebSocket upgrades go through http-proxy, which
 * only pipes sockets.
 */
export class UserProxy {
  readonly #deps: UserProxyDeps;
  readonly #readSession = (cookieHeader: string | undefined) => boundProxySessionId(cookieHeader, this.#deps.sessionBinding);
  readonly #rules: HeaderRules;
  readonly #pools = new Map<string, Pool>();
  readonly #ws = httpProxy.createProxyServer({ ws: true, xfwd: false, changeOrigin: false });
  readonly #failures: UpstreamFailureLog;
  /** Upgrades on their way to a server: whose messages count once the server accepts (101). */
  readonly #upgrading = new WeakMap<IncomingMessage, Route>();

  constructor(deps: UserProxyDeps) {
    this.#deps = deps;
    this.#failures = new UpstreamFailureLog(deps.logger, deps.failureLogIntervalMs);
    this.#rules = createHeaderRules(deps.trustedHeaders, deps.frontProxy.secretHeader);
    deps.servers.onRouteRemoved((route) => this.#closePool(route));
    // The server's handshake response (101 or a refusal) must not set the hub's cookies either.
    this.#ws.on('proxyReqWs', (proxyReq, req, socket) => {
      proxyReq.once('upgrade', (proxyRes) => {
        stripHubSetCookies(proxyRes.headers);
        // A handshake is not activity (a tab reconnecting is nobody working); the browser's messages are.
        const route = this.#upgrading.get(req);
        if (route !== undefined) watchBrowserMessages(socket, (count) => deps.activity.recordServer(route.userId, route.username, undefined, 'websocket', count));
      });
      proxyReq.once('response', (proxyRes) => stripHubSetCookies(proxyRes.headers));
    });
    this.#ws.on('error', (error, _req, socket) => {
      deps.logger.debug({ err: error }, 'websocket proxy error');
      if (socket !== undefined && 'destroy' in socket) (socket as Duplex).destroy();
    });
  }

  /** Handles an HTTP request whose path starts with /user/. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const decision = this.#decide(req, res);
    if (decision.kind === 'handled') return;
    this.#forward(req, res, decision.route);
  }

  /** Handles a WebSocket upgrade whose path starts with /user/. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const owner = userFromPath(req.url ?? '');
    const principal = proxyPrincipal(this.#deps.sessionPrincipals, req, this.#readSession);
    const counters = this.#deps.counters;
    if (owner === undefined || principal === undefined) return refuse(counters.unauthenticated, socket, 401);
    if (!mayAccessServer(principal, owner, this.#deps.adminAccess)) return refuse(counters.forbidden, socket, 403);
    if (!sameOrigin(req)) return refuse(counters.forbidden, socket, 403); // cross-site WebSocket hijacking
    const route = this.#deps.servers.route(owner);
    if (route === undefined) return refuse(counters.notRunning, socket, 503);
    counters.forwarded.inc();
    this.#upgrading.set(req, route);
    const headers = forwardedHeaders(req, this.#rules, this.#context(req, route, true));
    req.headers = headers;
    this.#ws.ws(req, socket, head, { target: `http://${route.host}:${route.port}` });
  }

  #context(req: IncomingMessage, route: Route, upgrade: boolean) {
    const clientAddress = req.socket.remoteAddress ?? '';
    return { clientAddress, fromTrustedProxy: this.#deps.frontProxy.trusts(req), authorization: route.authorization, upgrade };
  }

  #decide(req: IncomingMessage, res: ServerResponse): Decision {
    const url = req.url ?? '/';
    const owner = userFromPath(url);
    if (owner === undefined) {
      sendProxyError(req, res, 'GATEHOUSE_ERR_NOT_FOUND');
      return { kind: 'handled' };
    }
    if (req.method === 'GET' && url.includes('token=') && this.#redirectTokenLogin(res, url)) return { kind: 'handled' };
    const principal = proxyPrincipal(this.#deps.sessionPrincipals, req, this.#readSession);
    const counters = this.#deps.counters;
    if (principal === undefined) {
      counters.unauthenticated.inc();
      if (proxyCookieConflict(req.headers.cookie, this.#deps.sessionBinding)) {
        // A redirect to the login page would loop (the hub session is fine): say why, drop the copies we can name.
        res.setHeader('set-cookie', clearedProxyCookies(url));
        sendProxyError(req, res, 'GATEHOUSE_ERR_COOKIE_CONFLICT', CONFLICT_MESSAGE);
        return { kind: 'handled' };
      }
      if (req.method === 'GET' || req.method === 'HEAD') redirect(res, `/hub/login?next=${encodeURIComponent(url)}`);
      else sendProxyError(req, res, 'GATEHOUSE_ERR_UNAUTHENTICATED');
      return { kind: 'handled' };
    }
    if (!mayAccessServer(principal, owner, this.#deps.adminAccess)) {
      counters.forbidden.inc();
      const exists = this.#deps.sources.users.get(owner) !== undefined;
      sendProxyError(req, res, exists ? 'GATEHOUSE_ERR_FORBIDDEN' : 'GATEHOUSE_ERR_USER_NOT_FOUND', exists ? `You may not open ${owner}'s server.` : undefined, principal.user);
      return { kind: 'handled' };
    }
    const route = this.#deps.servers.route(owner);
    if (route === undefined) {
      counters.notRunning.inc();
      // The hub's page for a server that is not running: start button, or progress while pending.
      if (req.method === 'GET' || req.method === 'HEAD') redirect(res, `/hub${url}`);
      else sendProxyError(req, res, 'GATEHOUSE_ERR_SERVER_NOT_RUNNING', `${owner}'s server is not running.`, principal.user);
      return { kind: 'handled' };
    }
    this.#deps.activity.recordServer(route.userId, route.username);
    counters.forwarded.inc();
    return { kind: 'forward', route };
  }

  /**
   * `?token=<hub token>` on a first page request: the hub's login sets the session and comes back
   * here without the token. Other `token` parameters (a Jupyter server's own) are left alone.
   */
  #redirectTokenLogin(res: ServerResponse, url: string): boolean {
    const token = new URL(url, 'http://gatehouse.invalid').searchParams.get('token');
    const row = token === null ? undefined : this.#deps.sources.tokens.resolve(token);
    if (token === null || row === undefined || !(row.kind === 'launch' || (row.kind === 'api' && row.scopes.includes('inherit')))) return false;
    const params = new URLSearchParams({ next: withoutTokenParam(url), token });
    redirect(res, `/hub/login?${params.toString()}`);
    return true;
  }

  #pool(route: Route): Pool {
    const key = `${route.host}:${route.port}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      const { headers, idle } = this.#deps.timeouts;
      pool = new Pool(`http://${key}`, { connections: 128, keepAliveTimeout: 30_000, headersTimeout: headers * 1000, bodyTimeout: idle * 1000 });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  #closePool(route: Route): void {
    const key = `${route.host}:${route.port}`;
    const pool = this.#pools.get(key);
    if (pool === undefined) return;
    this.#pools.delete(key);
    pool.destroy().catch(() => undefined);
  }

  /** Forwards through the server's pooled keep-alive connections; ResponseRelay writes the answer back. */
  #forward(req: IncomingMessage, res: ServerResponse, route: Route): void {
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    const request: Dispatcher.DispatchOptions = {
      path: req.url ?? '/',
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: forwardedHeaders(req, this.#rules, this.#context(req, route, false)),
      body: hasBody ? req : null,
    };
    this.#pool(route).dispatch(
      request,
      new ResponseRelay(res, (error) => {
        this.#deps.counters.upstreamError.inc();
        this.#failures.record(route.username, error);
        if ((error as NodeJS.ErrnoException).code === 'UND_ERR_HEADERS_TIMEOUT') {
          sendProxyError(req, res, 'GATEHOUSE_ERR_PROXY_TIMEOUT', `${route.username}'s server did not answer within proxyTimeouts.headers.`);
        } else {
          sendProxyError(req, res, 'GATEHOUSE_ERR_PROXY_UPSTREAM', `${route.username}'s server did not answer.`);
        }
      }),
    );
  }

  /** Lets requests in flight finish (up to `graceMs`), then closes every upstream connection. */
  async close(graceMs = 5_000): Promise<void> {
    this.#ws.close();
    this.#failures.close();
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(
      pools.map(async (pool) => {
        const timer = setTimeout(() => void pool.destroy().catch(() => undefined), graceMs);
        await pool.close().catch(() => undefined);
        clearTimeout(timer);
      }),
    );
  }
}

const CONFLICT_MESSAGE =
  'Your browser sent a second session cookie that this hub did not set (a page on another port of this host can set one). ' +
  'It was not used. Go back to the hub home page; if this persists, sign out and sign in again.';

/** Set-Cookie lines expiring the proxy cookie at /user/ and at every prefix of `url`'s path below it. */
function clearedProxyCookies(url: string): string[] {
  const pathname = url.split('?')[0] ?? '';
  const paths = new Set(['/user/']);
  for (let at = pathname.indexOf('/', 6); at !== -1 && paths.size < 16; at = pathname.indexOf('/', at + 1)) {
    paths.add(pathname.slice(0, at + 1));
    paths.add(pathname.slice(0, at));
  }
  return [...paths].map((path) => `${PROXY_SESSION_COOKIE}=; Path=${path}; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`);
}

function refuse(counter: ProxyCounter, socket: Duplex, status: number): void {
  counter.inc();
  refuseUpgrade(socket, status);
}

/** A WebSocket handshake's Origin, when present, must name the host it is sent to. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser: cookies were not sent ambiently
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
