// @ts-check
// Gatehouse's bundled demo server: the smallest single-user server that behaves like one.
// Plain JavaScript run directly by `node` (no TypeScript loader): spawn speed matters.
// It trusts only requests carrying `Authorization: token <JUPYTERHUB_API_TOKEN>`, which the hub's
// proxy adds, and shows what it received so that the proxy's header rules can be observed.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

const VERSION = /** @type {{ version: string }} */ (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
).version;

/** @param {string} name */
function requiredEnv(name) {
  const value = process.env[name];
  if (value === undefined || value === '') {
    console.error(`demo-app: ${name} is not set; it is started by the Gatehouse hub`);
    process.exit(2);
  }
  return value;
}

const serviceUrl = new URL(requiredEnv('JUPYTERHUB_SERVICE_URL'));
const prefix = requiredEnv('JUPYTERHUB_SERVICE_PREFIX');
const user = requiredEnv('JUPYTERHUB_USER');
// Compare digests: equal lengths for timingSafeEqual, and no early exit on the first differing byte.
const expectedDigest = sha256(requiredEnv('JUPYTERHUB_API_TOKEN'));
// A ~1 KB body for benchmarks: big enough to be a realistic small response.
const PONG = `pong\n${'.'.repeat(1019)}\n`;
const SERVER_TOKEN_SHOWN = 'token [this server\'s token]';

/** @param {string} text */
function sha256(text) {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** @param {{ headers: { authorization?: string } }} req */
function carriesServerToken(req) {
  const match = /^token\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] !== undefined && timingSafeEqual(sha256(match[1]), expectedDigest);
}

/**
 * What the app shows of a request's headers: everything, except that its own token is masked, since
 * the pages and the WebSocket greeting go back to the browser (never echo a secret).
 * @param {IncomingMessage} req
 */
function visibleHeaders(req) {
  /** @param {string} value */
  const mask = (value) => (carriesServerToken({ headers: { authorization: value } }) ? SERVER_TOKEN_SHOWN : value);
  const headers = { ...req.headers };
  if (headers.authorization !== undefined) headers.authorization = mask(headers.authorization);
  const rawHeaders = [...req.rawHeaders];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === 'authorization') rawHeaders[i + 1] = mask(rawHeaders[i + 1] ?? '');
  }
  return { headers, rawHeaders };
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * @param {ServerResponse} res
 * @param {number} status
 * @param {string} type
 * @param {string} body
 */
function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * @param {ServerResponse} res
 * @param {unknown} value
 */
function sendJson(res, value) {
  send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value));
}

/**
 * The variables named GATEHOUSE_DEMO_* (what a profile's env set can be seen); never the rest, which
 * holds this server's token.
 */
function demoEnvironment() {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('GATEHOUSE_DEMO_')));
}

/** @param {IncomingMessage} req */
function homePage(req) {
  const { rawHeaders } = visibleHeaders(req);
  const rows = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    rows.push(`<tr><th>${escapeHtml(rawHeaders[i] ?? '')}</th><td>${escapeHtml(rawHeaders[i + 1] ?? '')}</td></tr>`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse demo server for ${escapeHtml(user)}</title>
<link rel="stylesheet" href="/hub/static/style.css"><link rel="icon" href="/hub/static/favicon.svg"></head>
<body><header class="top"><a class="brand" href="/hub/home">Gatehouse</a>
<nav aria-label="Main"><a href="/hub/home" id="back-to-hub">← Back to the hub</a></nav></header>
<main><section class="card"><h1>Gatehouse demo server</h1>
<p>Running for <strong id="user">${escapeHtml(user)}</strong>, version ${escapeHtml(VERSION)}. This is the demo app
the hub starts when neither jupyterhub-singleuser nor Jupyter Server is installed.</p></section>
<section class="card"><h2>Request headers received</h2>
<div class="table-scroll"><table id="headers">${rows.join('\n')}</table></div></section></main>
</body></html>
`;
}

/**
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 */
function handleRequest(req, res) {
  req.resume(); // bodies are not read; drain them so the connection stays reusable
  if (!carriesServerToken(req)) return send(res, 403, 'text/plain; charset=utf-8', 'Forbidden: missing or wrong server token\n');
  const url = new URL(req.url ?? '/', 'http://demo.invalid');
  const path = url.pathname;
  if (`${path}/` === prefix) {
    res.writeHead(302, { location: `${prefix}${url.search}` });
    return res.end();
  }
  if (!path.startsWith(prefix)) return send(res, 404, 'text/plain; charset=utf-8', 'Not found\n');
  const route = path.slice(prefix.length);
  if (route === 'api/headers') {
    return sendJson(res, { user, method: req.method, url: req.url, ...visibleHeaders(req) });
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n');
  if (route === '') return send(res, 200, 'text/html; charset=utf-8', homePage(req));
  if (route === 'api') return sendJson(res, { version: VERSION });
  if (route === 'api/environment') return sendJson(res, demoEnvironment());
  if (route === 'api/ping') return send(res, 200, 'text/plain; charset=utf-8', PONG);
  return send(res, 404, 'text/plain; charset=utf-8', 'Not found\n');
}

const server = createServer(handleRequest);
// Longer than the usual 60 s idle timeout of proxies in front, so that they close first.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

/** @type {Promise<import('ws').WebSocketServer> | undefined} */
let webSockets;
/** `ws` is loaded on the first upgrade: it would add about half to the app's start-up time. */
function webSocketServer() {
  webSockets ??= import('ws').then(({ WebSocketServer }) => new WebSocketServer({ noServer: true }));
  return webSockets;
}

server.on('upgrade', (req, socket, head) => {
  const path = new URL(req.url ?? '/', 'http://demo.invalid').pathname;
  const status = !carriesServerToken(req) ? '403 Forbidden' : path !== `${prefix}ws` ? '404 Not Found' : undefined;
  if (status !== undefined) {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    return;
  }
  const accept = (/** @type {import('ws').WebSocketServer} */ sockets) =>
    sockets.handleUpgrade(req, socket, head, (ws) => {
      ws.send(JSON.stringify({ type: 'hello', user, headers: visibleHeaders(req).headers }));
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  webSocketServer().then(accept, (/** @type {Error} */ error) => {
    console.error(`demo-app: WebSocket support unavailable: ${error.message}`);
    socket.destroy();
  });
});

server.on('error', (error) => {
  // The spawner reads this line to recognise a taken port (EADDRINUSE) and retry elsewhere.
  console.error(`demo-app: cannot listen on ${serviceUrl.host}: ${error.message}`);
  process.exit(1);
});

server.listen(Number(serviceUrl.port), serviceUrl.hostname.replace(/^\[|\]$/g, ''), () => {
  console.log(`demo-app ${VERSION}: serving ${user} at ${serviceUrl.origin}${prefix}`);
});

/** @param {NodeJS.Signals} signal */
function shutDown(signal) {
  console.log(`demo-app: ${signal}, shutting down`);
  void webSockets?.then((sockets) => sockets.clients.forEach((client) => client.close(1001, 'server shutting down')));
  server.close(() => process.exit(0));
  server.closeAllConnections();
  // Whatever still hangs (a WebSocket peer that never answers the close) must not keep us alive.
  setTimeout(() => process.exit(0), 2_000).unref();
}
process.once('SIGTERM', shutDown);
process.once('SIGINT', shutDown);
