import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { returnedHeaders } from './headers.ts';

/**
 * Relays one user server's response, as undici's client delivers it, into the hub's ServerResponse:
 * headers filtered by returnedHeaders(), body chunks written as they arrive, with backpressure both
 * ways (a slow browser pauses the upstream socket; `drain` resumes it). A browser that goes away
 * aborts the upstream request, so a long-lived response (server-sent events) never outlives its
 * client. Measured cheaper per request than undici's stream() and request() (bench/results.md).
 *
 * `onFailure` is told when the user server could not be reached or broke off before any response
 * was sent; once headers are out, the only honest signal left is to cut the browser's connection.
 */
export class ResponseRelay implements Dispatcher.DispatchHandler {
  readonly #res: ServerResponse;
  readonly #onFailure: (error: Error) => void;

  constructor(res: ServerResponse, onFailure: (error: Error) => void) {
    this.#res = res;
    this.#onFailure = onFailure;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    const res = this.#res;
    if (res.destroyed) {
      controller.abort(new Error('the browser went away'));
      return;
    }
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new Error('the browser went away'));
    });
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // Informational responses (103 Early Hints) are not relayed: the browser gets the final one.
    if (statusCode < 200) return;
    const res = this.#res;
    try {
      res.writeHead(statusCode, returnedHeaders(headers));
    } catch (error) {
      // A header Node refuses to send: nothing went out, so the browser gets the hub's 502 (without the server's headers).
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      controller.abort(error instanceof Error ? error : new Error(String(error)));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#res.write(chunk)) return;
    controller.pause();
    this.#res.once('drain', () => controller.resume());
  }

  onResponseEnd(): void {
    this.#res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const res = this.#res;
    if (res.destroyed) return;
    if (res.headersSent) res.destroy();
    else this.#onFailure(error);
  }
}
