/**
 * WebSocket echo throughput: N connections, each in a ping-pong loop (send, wait for the echo,
 * send again) for a fixed time. The demo app greets with a hello JSON first; that one is not counted.
 */
import WebSocket from 'ws';

export interface WsBenchOptions {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly durationMs: number;
  readonly payloadBytes: number;
}

export interface WsBenchResult {
  /** Echoed messages per second, all connections together. */
  readonly messagesPerSec: number;
  readonly messages: number;
  /** Mean round trip per message, per connection. */
  readonly meanRoundTripMs: number;
}

const CONNECT_TIMEOUT_MS = 10_000;

/** Opens a connection and resolves once the server's hello has arrived. */
function connect(options: WsBenchOptions): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(options.url, { headers: { ...options.headers }, perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
    socket.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket ${options.url}: HTTP ${res.statusCode}`)));
    socket.once('error', reject);
    socket.once('message', (data: WebSocket.RawData) => {
      const hello = JSON.parse(data.toString()) as { type?: string };
      if (hello.type !== 'hello') reject(new Error(`WebSocket ${options.url}: expected a hello first, got ${data.toString().slice(0, 100)}`));
      else resolve(socket);
    });
  });
}

/** Ping-pong on one socket until the deadline; resolves with the number of echoes received. */
function pingPong(socket: WebSocket, payload: Buffer, deadline: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let echoes = 0;
    socket.on('message', (data: WebSocket.RawData) => {
      if ((data as Buffer).length !== payload.length) return reject(new Error('WebSocket echo has the wrong length'));
      echoes += 1;
      if (Date.now() < deadline) socket.send(payload);
      else resolve(echoes);
    });
    socket.once('close', () => resolve(echoes));
    socket.once('error', reject);
    socket.send(payload);
  });
}

export async function runWsBench(options: WsBenchOptions): Promise<WsBenchResult> {
  const settled = await Promise.allSettled(Array.from({ length: options.connections }, () => connect(options)));
  const sockets = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  try {
    const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const payload = Buffer.alloc(options.payloadBytes, 'x');
    const started = Date.now();
    const counts = await Promise.all(sockets.map((socket) => pingPong(socket, payload, started + options.durationMs)));
    const elapsedMs = Date.now() - started;
    const messages = counts.reduce((sum, count) => sum + count, 0);
    return {
      messagesPerSec: (messages * 1000) / elapsedMs,
      messages,
      meanRoundTripMs: messages === 0 ? Number.NaN : (elapsedMs * options.connections) / messages,
    };
  } finally {
    for (const socket of sockets) socket.terminate();
  }
}
