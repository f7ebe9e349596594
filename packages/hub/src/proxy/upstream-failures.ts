import type { Logger } from '../log.ts';

/** Failures that say the server is gone, frozen or restarting: the code is the whole story, no stack. */
const EXPECTED_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface Window {
  count: number;
  readonly codes: Set<string>;
  /** The first unexpected error of the window, logged with its stack. */
  unexpected: Error | undefined;
}

function codeOf(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? code : error.name;
}

/**
 * Logs requests a user server did not answer as one warning per server per interval, with a
 * count: a dead server hit by a busy client would otherwise write a line (and a stack) per request
 * until the poll removes its route. The window opens at a server's first failure and is logged
 * when it closes; its line names the error codes seen, and a stack only for an unexpected error.
 */
export class UpstreamFailureLog {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #windows = new Map<string, Window>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(logger: Logger, intervalMs: number) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  record(username: string, error: Error): void {
    const code = codeOf(error);
    let window = this.#windows.get(username);
    if (window === undefined) {
      window = { count: 0, codes: new Set(), unexpected: undefined };
      this.#windows.set(username, window);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#flush(username);
      }, this.#intervalMs);
      timer.unref();
      this.#timers.add(timer);
    }
    window.count++;
    window.codes.add(code);
    if (!EXPECTED_CODES.has(code)) window.unexpected ??= error;
  }

  #flush(username: string): void {
    const window = this.#windows.get(username);
    if (window === undefined) return;
    this.#windows.delete(username);
    const fields = { username, failures: window.count, codes: [...window.codes], seconds: this.#intervalMs / 1000, err: window.unexpected };
    this.#logger.warn(fields, 'user server did not answer');
  }

  /** Logs what is pending now (hub shutdown). */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const username of [...this.#windows.keys()]) this.#flush(username);
  }
}
