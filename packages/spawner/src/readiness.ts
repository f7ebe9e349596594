import { request } from 'node:http';
import { pollUntil } from './poll-until.ts';

/** One GET without following redirects: the status code, or undefined when nothing answered. */
function probe(url: string, timeoutMs: number, signal: AbortSignal): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs, signal }, (res) => {
      res.resume();
      req.destroy(); // only the status matters; do not keep the connection
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/**
 * JupyterHub's readiness rule: the server is up once `url` answers with any status below 500.
 * Resolves true when it did within `timeoutMs`, false on timeout or when `signal` aborts.
 */
export function waitForHttp(url: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  return pollUntil(
    async () => {
      const status = await probe(url, Math.max(1, Math.min(2_000, deadline - Date.now())), signal);
      return status !== undefined && status < 500;
    },
    { timeoutMs, intervalMs: 20, maxIntervalMs: 250, signal },
  );
}
