import { request } from 'node:http';

/**
 * Whether a running server still answers HTTP. A process can be alive (poll() says running) and
 * answer nothing: stopped with SIGSTOP, deadlocked, swapped to death. Each poll round sends one
 * `GET <prefix>api` (never two at once to the same server); any HTTP status counts as an answer, as
 * in JupyterHub's readiness rule, since only the server's ability to answer is in question.
 */
export class Responsiveness {
  readonly #url: string;
  readonly #timeoutMs: number;
  #lastAnswerAt: number;
  #inFlight = false;

  /** `timeoutMs` 0: never judged unresponsive (and never probed). */
  constructor(host: string, port: number, prefix: string, timeoutMs: number) {
    this.#url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${prefix}api`;
    this.#timeoutMs = timeoutMs;
    this.#lastAnswerAt = performance.now(); // it answered its readiness check (or was re-attached) just now
  }

  /** Sends one probe unless one is still out. */
  probe(): void {
    if (this.#timeoutMs === 0 || this.#inFlight) return;
    this.#inFlight = true;
    void answers(this.#url, this.#timeoutMs).then((answered) => {
      this.#inFlight = false;
      if (answered) this.#lastAnswerAt = performance.now();
    });
  }

  /** Seconds since the last HTTP answer, when that is longer than the timeout; undefined otherwise. */
  silentFor(): number | undefined {
    const silentMs = performance.now() - this.#lastAnswerAt;
    return this.#timeoutMs > 0 && silentMs > this.#timeoutMs ? Math.round(silentMs / 1000) : undefined;
  }
}

/** One GET on a fresh connection: true on any HTTP response within `timeoutMs`. */
function answers(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      req.destroy(); // only "it answered" matters; do not keep the connection
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
