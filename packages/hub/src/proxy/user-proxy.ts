import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import { Pool, type Dispatcher } from 'undici';
import type { PrincipalCache } from '../auth/principal-cache.ts';
import type { Principal, PrincipalSources } from '../auth/principal.ts';
import { mayOpenServer } from '../auth/server-access.ts';
import { whoIsAsking } from '../auth/who-is-asking.ts';
import type { ActivityRecorder } from '../activity.ts';
import type { FrontProxyTrust } from '../auth/front-proxy-trust.ts';
import type { Logger } from '../log.ts';
import type { ProxyCounter, ProxyCounters } from '../metrics.ts';
import type { Route, ServerManager } from '../servers/manager.ts';
import { serverLabel } from '../servers/server-names.ts';
import { boundProxySessionId, proxyCookieConflict, serverPathOf } from './access.ts';
import { PROXY_SESSION_COOKIE, type SessionBinding } from '../auth/session-cookies.ts';
import { withoutTokenParam } from '../http/redirect.ts';
import { createHeaderRules, forwardedHeaders, stripHubSetCookies, type HeaderRules } from './headers.ts';
import { ResponseRelay } from './response-relay.ts';
import { redirect, refuseUpgrade, sendProxyError } from './responses.ts';
import { UpstreamFailureLog } from './upstream-failures.ts';
import { watchBrowserMessages } from './websocket-messages.ts';

export interface UserProxyDeps {
  readonly sources: PrincipalSources;
  /** Session and token principals for the proxy path (exact: invalidated by any database change). */
  readonly principals: PrincipalCache;
  readonly servers: ServerManager;
  readonly activity: ActivityRecorder;
  readonly logger: Logger;
  /** Admins may open others' servers (the ServerAccessPolicy of auth/server-access.ts). */
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

/** What the authorise step found; every kind but `forward` is a refusal the transport answers in its own way. */
type Verdict =
  | { kind: 'forward'; route: Route }
  | { kind: 'not-found' }
  | { kind: 'unauthenticated' | 'cookie-conflict'; owner: string }
  | { kind: 'forbidden' | 'not-running'; owner: string; serverName: string; principal: Principal };

/** A refused WebSocket handshake's status (it has no page to show, and cannot follow a redirect). */
const UPGRADE_STATUS: Record<Exclude<Verdict['kind'], 'forward'>, number> = {
  'not-found': 401,
  unauthenticated: 401,
  'cookie-conflict': 401,
  forbidden: 403,
  'not-running': 503,
};

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
        if (route !== undefined) watchBrowserMessages(socket, (count) => deps.activity.recordServer(route.userId, route.username, route.serverName, undefined, 'websocket', count));
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
    const counters = this.#deps.counters;
    if (!sameOrigin(req)) return refuse(counters.forbidden, socket, 403); // cross-site WebSocket hijacking
    const verdict = this.#authorise(req, true);
    if (verdict.kind !== 'forward') return refuseUpgrade(socket, UPGRADE_STATUS[verdict.kind]);
    this.#upgrading.set(req, verdict.route);
    const headers = forwardedHeaders(req, this.#rules, this.#context(req, verdict.route, true));
    req.headers = headers;
    this.#ws.ws(req, socket, head, { target: `http://${verdict.route.host}:${verdict.route.port}` });
  }

  #context(req: IncomingMessage, route: Route, upgrade: boolean) {
    const clientAddress = req.socket.remoteAddress ?? '';
    return { clientAddress, fromTrustedProxy: this.#deps.frontProxy.trusts(req), authorization: route.authorization, upgrade };
  }

  /** Whose server a /user/ path is for: `/user/alice/lab/…` is alice's server `lab` while it runs, else her default server. */
  #target(url: string): { owner: string; serverName: string } | undefined {
    const path = serverPathOf(url);
    if (path === undefined) return undefined;
    return { owner: path.owner, serverName: this.#deps.servers.serverForPath(path.owner, path.segment) };
  }

  /**
   * The one authorise step of HTTP requests and WebSocket handshakes: who is asking (auth/who-is-asking.ts,
   * site 'app'), whether they may open the server (auth/server-access.ts), and its route. Counts the
   * outcome and records activity for a request that will be forwarded; the caller only answers.
   */
  #authorise(req: IncomingMessage, upgrade: boolean): Verdict {
    const counters = this.#deps.counters;
    const target = this.#target(req.url ?? '/');
    if (target === undefined) return { kind: 'not-found' };
    const { owner, serverName } = target;
    const cookieHeader = req.headers.cookie;
    const principal = whoIsAsking(
      this.#deps.principals,
      { authorization: req.headers.authorization, session: () => this.#deps.principals.sessionPrincipal(boundProxySessionId(cookieHeader, this.#deps.sessionBinding)) },
      'app',
    );
    if (principal === undefined) {
      counters.unauthenticated.inc();
      return { kind: proxyCookieConflict(cookieHeader, this.#deps.sessionBinding) ? 'cookie-conflict' : 'unauthenticated', owner };
    }
    if (!mayOpenServer(principal, owner, serverName, this.#deps)) {
      counters.forbidden.inc();
      return { kind: 'forbidden', owner, serverName, principal };
    }
    const route = this.#deps.servers.route(owner, serverName);
    if (route === undefined) {
      counters.notRunning.inc();
      return { kind: 'not-running', owner, serverName, principal };
    }
    counters.forwarded.inc();
    // A WebSocket handshake is not activity (a tab reconnecting is nobody working): its messages are, once accepted.
    if (!upgrade) this.#deps.activity.recordServer(route.userId, route.username, route.serverName);
    return { kind: 'forward', route };
  }

  /** Forwards an authorised request, or answers it: a login redirect, the hub's page for a stopped server, an error. */
  #decide(req: IncomingMessage, res: ServerResponse): Decision {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url.includes('token=') && serverPathOf(url) !== undefined && this.#redirectTokenLogin(res, url)) return { kind: 'handled' };
    const verdict = this.#authorise(req, false);
    const page = req.method === 'GET' || req.method === 'HEAD';
    switch (verdict.kind) {
      case 'forward':
        return verdict;
      case 'not-found':
        sendProxyError(req, res, 'GATEHOUSE_ERR_NOT_FOUND');
        break;
      case 'cookie-conflict':
        // A redirect to the login page would loop (the hub session is fine): say why, drop the copies we can name.
        res.setHeader('set-cookie', clearedProxyCookies(url));
        sendProxyError(req, res, 'GATEHOUSE_ERR_COOKIE_CONFLICT', CONFLICT_MESSAGE);
        break;
      case 'unauthenticated':
        if (page) redirect(res, `/hub/login?next=${encodeURIComponent(url)}`);
        else sendProxyError(req, res, 'GATEHOUSE_ERR_UNAUTHENTICATED');
        break;
      case 'forbidden': {
        const exists = this.#deps.sources.users.get(verdict.owner) !== undefined;
        const message = exists ? `You may not open ${serverLabel(verdict.owner, verdict.serverName)}.` : undefined;
        sendProxyError(req, res, exists ? 'GATEHOUSE_ERR_FORBIDDEN' : 'GATEHOUSE_ERR_USER_NOT_FOUND', message, verdict.principal.user);
        break;
      }
      case 'not-running':
        // The hub's page for a server that is not running: start button, or progress while pending.
        if (page) redirect(res, `/hub${url}`);
        else sendProxyError(req, res, 'GATEHOUSE_ERR_SERVER_NOT_RUNNING', `${serverLabel(verdict.owner, verdict.serverName)} is not running.`, verdict.principal.user);
        break;
    }
    return { kind: 'handled' };
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
        const server = serverLabel(route.username, route.serverName);
        if ((error as NodeJS.ErrnoException).code === 'UND_ERR_HEADERS_TIMEOUT') {
          sendProxyError(req, res, 'GATEHOUSE_ERR_PROXY_TIMEOUT', `${server} did not answer within proxyTimeouts.headers.`);
        } else {
          sendProxyError(req, res, 'GATEHOUSE_ERR_PROXY_UPSTREAM', `${server} did not answer.`);
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
