import net from 'node:net';
import { completeBody, parseHead } from '../proxy/raw-client.ts';

/**
 * A keep-alive HTTP/1.1 client on one raw connection that sends its next request the moment an
 * answer is complete, and records exactly how each request ended: answered, or the connection
 * closed before any byte of an answer (clean), or reset / cut mid-answer (a request lost).
 */

export interface KeepAliveRequest {
  /** What the test checks afterwards, e.g. the user a POST creates. */
  readonly label: string;
  readonly bytes: string;
}

export interface Exchange {
  readonly label: string;
  readonly outcome: 'answered' | 'closed-before-answer' | 'reset' | 'cut-mid-answer';
  readonly status?: number;
  readonly connectionClose?: boolean;
}

export class KeepAliveClient {
  readonly exchanges: Exchange[] = [];
  readonly finished: Promise<void>;
  readonly #socket: net.Socket;
  readonly #next: (index: number) => KeepAliveRequest;
  #inFlight: KeepAliveRequest | undefined;
  #data = Buffer.alloc(0);

  constructor(baseUrl: string, next: (index: number) => KeepAliveRequest) {
    const { hostname, port } = new URL(baseUrl);
    this.#next = next;
    this.#socket = net.connect(Number(port), hostname);
    this.#socket.setNoDelay(true);
    this.finished = new Promise((resolve) => this.#socket.once('close', () => resolve()));
    this.#socket.once('connect', () => this.#send());
    this.#socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    this.#socket.on('end', () => this.#ended('closed-before-answer'));
    this.#socket.on('error', () => this.#ended('reset'));
  }

  /** Requests answered so far. */
  get answered(): number {
    return this.exchanges.filter((exchange) => exchange.outcome === 'answered').length;
  }

  /** Ends the connection from this side (cleanup after a failed test). */
  destroy(): void {
    this.#socket.destroy();
  }

  #send(): void {
    this.#inFlight = this.#next(this.exchanges.length);
    this.#socket.write(this.#inFlight.bytes);
  }

  #receive(chunk: Buffer): void {
    this.#data = Buffer.concat([this.#data, chunk]);
    const end = this.#data.indexOf('\r\n\r\n');
    if (end === -1 || this.#inFlight === undefined) return;
    const head = parseHead(this.#data.subarray(0, end).toString('latin1'));
    const rest = this.#data.subarray(end + 4);
    const body = completeBody(head.headers, rest, false);
    if (body === undefined) return;
    const connectionClose = head.headers.get('connection')?.toLowerCase() === 'close';
    this.exchanges.push({ label: this.#inFlight.label, outcome: 'answered', status: head.status, connectionClose });
    this.#inFlight = undefined;
    this.#data = Buffer.alloc(0); // the next request goes out only now: nothing else can have arrived
    if (connectionClose) this.#socket.end();
    else this.#send();
  }

  #ended(outcome: 'closed-before-answer' | 'reset'): void {
    const request = this.#inFlight;
    this.#inFlight = undefined;
    if (request === undefined) return;
    const cut = outcome === 'closed-before-answer' && this.#data.length > 0 ? 'cut-mid-answer' : outcome;
    this.exchanges.push({ label: request.label, outcome: cut });
    this.#socket.destroy();
  }
}
