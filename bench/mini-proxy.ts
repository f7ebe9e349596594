/**
 * Bench-only comparison proxies: the smallest forwarding proxy built on each candidate library,
 * so that the library's own cost can be compared without the hub's authentication around it.
 *   node --import tsx bench/mini-proxy.ts <kind> <listen port> <target port>
 * Like CHP, they forward blindly: the client sends the server token itself.
 */
import cluster from 'node:cluster';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';

export const MINI_PROXY_KINDS = ['undici-dispatch', 'undici-dispatch-2proc', 'undici-stream', 'undici', 'http-proxy', 'node-http'] as const;
export type MiniProxyKind = (typeof MINI_PROXY_KINDS)[number];
export const MINI_PROXY_LABELS: Readonly<Record<MiniProxyKind, string>> = {
  'undici-dispatch': 'mini proxy: undici dispatch() + a relay handler (as the hub)',
  'undici-dispatch-2proc': 'mini proxy: the same in 2 processes (node:cluster)',
  undici: 'mini proxy: undici request() + pipeline()',
  'undici-stream': 'mini proxy: undici stream()',
  'http-proxy': 'mini proxy: http-proxy, keep-alive agent',
  'node-http': 'mini proxy: node:http, keep-alive agent',
};

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The part of http-proxy's API used here (its types live in the hub package, not at the root). */
interface HttpProxyServer {
  web(req: IncomingMessage, res: ServerResponse, options: { target: string }, onError: (error: Error) => void): void;
}
interface HttpProxyModule {
  createProxyServer(options: { agent: http.Agent; xfwd: boolean }): HttpProxyServer;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) result[name] = value;
  return result;
}

function badGateway(res: ServerResponse): void {
  if (res.headersSent) res.destroy();
  else res.writeHead(502).end();
}

/** The hub's Pool settings (packages/hub/src/proxy/user-proxy.ts), without its header and idle timeouts. */
function hubPool(target: string): Pool {
  return new Pool(target, { connections: 128, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
}

function upstreamRequest(req: IncomingMessage) {
  const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
  return { path: req.url ?? '/', method: (req.method ?? 'GET') as 'GET', headers: endToEnd(req.headers), body: hasBody ? req : null };
}

/** `pool.request()`, then `pipeline(body, res)` (the hub uses dispatch() and a relay handler instead). */
function undiciHandler(target: string): Handler {
  const pool = hubPool(target);
  return (req, res) => {
    pool.request(upstreamRequest(req)).then(
      ({ statusCode, headers, body }) => {
        res.writeHead(statusCode, endToEnd(headers));
        pipeline(body, res, () => undefined);
      },
      () => badGateway(res),
    );
  };
}

/** `pool.stream()`: undici writes the body straight into the response (no Readable, no pipeline()). */
function undiciStreamHandler(target: string): Handler {
  const pool = hubPool(target);
  return (req, res) => {
    pool
      .stream({ ...upstreamRequest(req), opaque: res }, ({ statusCode, headers, opaque }) => {
        const out = opaque as ServerResponse;
        out.writeHead(statusCode, endToEnd(headers));
        return out;
      })
      .catch(() => badGateway(res));
  };
}

/** Relays the response into `res` as packages/hub/src/proxy/response-relay.ts does (backpressure, abort on close). */
class Relay implements Dispatcher.DispatchHandler {
  constructor(private readonly res: ServerResponse) {}
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.res.once('close', () => {
      if (!this.res.writableFinished) controller.abort(new Error('client went away'));
    });
  }
  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode >= 200) this.res.writeHead(statusCode, endToEnd(headers));
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.res.write(chunk)) return;
    controller.pause();
    this.res.once('drain', () => controller.resume());
  }
  onResponseEnd(): void {
    this.res.end();
  }
  onResponseError(): void {
    badGateway(this.res);
  }
}

/** `pool.dispatch()` with a handler of our own, as the hub forwards. */
function undiciDispatchHandler(target: string): Handler {
  const pool = hubPool(target);
  return (req, res) => pool.dispatch(upstreamRequest(req), new Relay(res));
}

/** http-proxy with a keep-alive agent, as CHP uses it (CHP uses its fork http-proxy-3). */
function httpProxyHandler(target: string): Handler {
  const requireFromHub = createRequire(path.join(import.meta.dirname, '../packages/hub/package.json'));
  const httpProxy = requireFromHub('http-proxy') as HttpProxyModule;
  const proxy = httpProxy.createProxyServer({ agent: new http.Agent({ keepAlive: true, maxSockets: 128 }), xfwd: false });
  return (req, res) => proxy.web(req, res, { target }, () => badGateway(res));
}

/** No library: node:http with a keep-alive agent. */
function nodeHttpHandler(target: string): Handler {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const { hostname, port } = new URL(target);
  return (req, res) => {
    const upstream = http.request({ agent, hostname, port, method: req.method, path: req.url, headers: endToEnd(req.headers) }, (response) => {
      res.writeHead(response.statusCode ?? 502, endToEnd(response.headers));
      pipeline(response, res, () => undefined);
    });
    upstream.on('error', () => badGateway(res));
    pipeline(req, upstream, () => undefined);
  };
}

const HANDLERS: Readonly<Record<MiniProxyKind, (target: string) => Handler>> = {
  undici: undiciHandler,
  'undici-stream': undiciStreamHandler,
  'undici-dispatch': undiciDispatchHandler,
  'undici-dispatch-2proc': undiciDispatchHandler,
  'http-proxy': httpProxyHandler,
  'node-http': nodeHttpHandler,
};

function main(argv: readonly string[]): void {
  const [kind, listenPort, targetPort] = argv;
  if (!MINI_PROXY_KINDS.includes(kind as MiniProxyKind) || listenPort === undefined || targetPort === undefined) {
    process.stderr.write(`usage: mini-proxy.ts <${MINI_PROXY_KINDS.join('|')}> <listen port> <target port>\n`);
    process.exit(2);
  }
  // Would more processes help on this machine? The 2-process variant shares one listening socket.
  if (kind === 'undici-dispatch-2proc' && cluster.isPrimary) {
    for (let i = 0; i < 2; i += 1) cluster.fork();
    let listening = 0;
    cluster.on('listening', () => {
      listening += 1;
      if (listening === 2) process.stdout.write(`mini-proxy ${kind} listening on ${listenPort}\n`);
    });
    process.once('SIGTERM', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
      process.exit(0);
    });
    return;
  }
  const server = http.createServer(HANDLERS[kind as MiniProxyKind](`http://127.0.0.1:${targetPort}`));
  server.keepAliveTimeout = 65_000;
  server.listen(Number(listenPort), '127.0.0.1', () => process.stdout.write(`mini-proxy ${kind} listening on ${listenPort}\n`));
  process.once('SIGTERM', () => process.exit(0));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) main(process.argv.slice(2));
