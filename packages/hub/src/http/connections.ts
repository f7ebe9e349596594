import http from 'node:http';
import type { Socket } from 'node:net';

/** Limits on the clients of the hub's HTTP server (config `http`), for every listener it serves. */
export interface ConnectionLimits {
  /** Most connections open at once; a new one beyond it closes the oldest connection serving no request. */
  readonly maxConnections: number;
  /** Seconds a client has to send a request's headers (408 and closed after that). */
  readonly headersTimeout: number;
  /** Seconds shutdown waits for requests in flight before it closes their connections. */
  readonly shutdownGrace: number;
}

/** How long a connection closed at shutdown keeps reading (and discarding) what its client still sends. */
const LINGER_MS = 2_000;

interface Tracked {
  /** Requests received and not yet answered. */
  active: number;
  /** Requests ever received: connections that never completed one (slow headers) are closed first. */
  served: number;
  upgraded: boolean;
  closing: boolean;
  readonly responses: Set<http.ServerResponse>;
}

/**
 * The hub's http.Server with its connections tracked, whatever listener accepted them (TCP or a
 * unix socket: both reach the server through its 'connection' event).
 *
 * Limits: headers must arrive within `headersTimeout` (checked every second), and beyond
 * `maxConnections` the oldest connection that is not serving a request is closed — one that never
 * completed a request (a slowloris client) before an idle keep-alive one — so slow clients can
 * neither exhaust file descriptors nor lock real clients out. Connections serving a request or a
 * WebSocket are never closed for the limit; when all are, the newcomer is.
 *
 * Shutdown (`server.close()`, then `drained()`): no new connections; a request already received is
 * answered, with `Connection: close`; idle keep-alive connections are half-closed and keep reading
 * for a moment, so a request a client sent just then meets a clean end of stream — never served,
 * never a reset — and the client knows it was not read.
 */
export class HubConnections {
  readonly server: http.Server;
  readonly #limits: ConnectionLimits;
  readonly #open = new Map<Socket, Tracked>();
  /** Open connections speaking HTTP (not WebSockets): what a shutdown waits for. */
  #httpOpen = 0;
  #draining = false;
  /** Set while drained() waits: told whenever an HTTP connection closes. */
  #onHttpClosed: (() => void) | undefined;

  constructor(limits: ConnectionLimits, listener: http.RequestListener) {
    this.#limits = limits;
    const headersTimeout = limits.headersTimeout * 1000;
    this.server = http.createServer(
      { headersTimeout, requestTimeout: Math.max(headersTimeout, 300_000), connectionsCheckingInterval: Math.min(1_000, headersTimeout) },
      (req, res) => this.#serve(req, res, listener),
    );
    this.server.on('connection', (socket: Socket) => this.#admit(socket));
    this.server.on('upgrade', (req: http.IncomingMessage) => {
      const tracked = this.#open.get(req.socket);
      if (tracked === undefined || tracked.upgraded) return;
      tracked.upgraded = true;
      this.#httpClosed();
    });
    // http.Server.close() calls this; node's own version destroys idle sockets (a reset for a request on its way).
    this.server.closeIdleConnections = () => this.#beginDrain();
  }

  /**
   * After `server.close()`: resolves once every HTTP connection has closed, or after the shutdown
   * grace (the rest, and WebSockets, are destroyed then).
   */
  async drained(): Promise<void> {
    this.#beginDrain();
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#onHttpClosed = () => {
        if (this.#httpOpen === 0) resolve();
      };
      this.#onHttpClosed();
      timer = setTimeout(resolve, this.#limits.shutdownGrace * 1000);
    });
    clearTimeout(timer);
    for (const socket of this.#open.keys()) socket.destroy();
  }

  #admit(socket: Socket): void {
    const tracked: Tracked = { active: 0, served: 0, upgraded: false, closing: false, responses: new Set() };
    this.#open.set(socket, tracked);
    this.#httpOpen += 1;
    socket.once('close', () => {
      this.#open.delete(socket);
      if (!tracked.upgraded) this.#httpClosed();
    });
    if (this.#draining) return this.#closeGently(socket, tracked);
    if (this.#open.size > this.#limits.maxConnections) (this.#evictable() ?? socket).destroy();
  }

  /** The oldest connection that never completed a request, else the oldest idle one, else none. */
  #evictable(): Socket | undefined {
    let idle: Socket | undefined;
    for (const [socket, tracked] of this.#open) {
      if (tracked.active > 0 || tracked.upgraded || tracked.closing) continue;
      if (tracked.served === 0) return socket;
      idle ??= socket;
    }
    return idle;
  }

  #serve(req: http.IncomingMessage, res: http.ServerResponse, listener: http.RequestListener): void {
    const socket = req.socket as Socket; // node detaches it from req once the response is done
    const tracked = this.#open.get(socket);
    if (tracked === undefined) return listener(req, res);
    if (this.#draining && tracked.active === 0) {
      // Arrived after shutdown began on a connection with nothing in flight: not read, not answered.
      req.resume();
      return this.#closeGently(socket, tracked);
    }
    tracked.active += 1;
    tracked.served += 1;
    tracked.responses.add(res);
    if (this.#draining) res.shouldKeepAlive = false;
    res.once('close', () => {
      tracked.active -= 1;
      tracked.responses.delete(res);
      if (this.#draining && tracked.active === 0) this.#closeGently(socket, tracked);
    });
    listener(req, res);
  }

  #httpClosed(): void {
    this.#httpOpen -= 1;
    this.#onHttpClosed?.();
  }

  #beginDrain(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const [socket, tracked] of this.#open) {
      if (tracked.upgraded) continue;
      if (tracked.active === 0) this.#closeGently(socket, tracked);
      // Node writes `Connection: close` and ends the connection after the answer.
      for (const res of tracked.responses) if (!res.headersSent) res.shouldKeepAlive = false;
    }
  }

  /** Half-closes, then reads and discards until the client closes too (or LINGER_MS): a FIN, never a reset. */
  #closeGently(socket: Socket, tracked: Tracked): void {
    if (tracked.closing) return;
    tracked.closing = true;
    socket.end();
    socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  }
}
