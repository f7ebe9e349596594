import { request } from 'node:http';

/** A probe waits at most this long (or half the unresponsive timeout, if less) for its answer. */
const MAX_PROBE_MS = 10_000;

/**
 * Whether a running server still answers HTTP. A process can be alive (poll() says running) and
 * answer nothing: stopped with SIGSTOP, deadlocked, swapped to death. Each poll round sends one
 * `GET <prefix>api` (never two at once to the same server); any HTTP status counts as an answer, as
 * in JupyterHub's readiness rule, since only the server's ability to answer is in question. A server
 * is unresponsive once at least two probes in a row went unanswered and the first of them was sent
 * more than the timeout ago: one lost probe, or a poll interval longer than the timeout, is not enough.
 */
export class Responsiveness {
  readonly #url: string;
  readonly #timeoutMs: number;
  #inFlight = false;
  /** Unanswered probes in a row, and when the first of them was sent. */
  #failures = 0;
  #unansweredSince: number | undefined;

  /** `timeoutMs` 0: never judged unresponsive (and never probed). */
  constructor(host: string, port: number, prefix: string, timeoutMs: number) {
    this.#url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${prefix}api`;
    this.#timeoutMs = timeoutMs;
  }

  /** Sends one probe unless one is still out. */
  probe(): void {
    if (this.#timeoutMs === 0 || this.#inFlight) return;
    this.#inFlight = true;
    this.#unansweredSince ??= performance.now();
    void answers(this.#url, Math.min(this.#timeoutMs / 2, MAX_PROBE_MS)).then((answered) => {
      this.#inFlight = false;
      this.#failures = answered ? 0 : this.#failures + 1;
      if (answered) this.#unansweredSince = undefined;
    });
  }

  /** Seconds without an answer, once the server counts as unresponsive; undefined otherwise. */
  silentFor(): number | undefined {
    if (this.#failures < 2 || this.#unansweredSince === undefined) return undefined;
    const silentMs = performance.now() - this.#unansweredSince;
    return silentMs > this.#timeoutMs ? Math.round(silentMs / 1000) : undefined;
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
