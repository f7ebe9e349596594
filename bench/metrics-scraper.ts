/**
 * A Prometheus-like scraper: GET /hub/metrics on a fixed interval (a schedule, as Prometheus
 * keeps one, not a wait for anything) while a measurement runs. Every scrape must answer 200 with
 * Gatehouse's metrics; `stop()` throws if one did not.
 */

export interface ScrapeSummary {
  readonly scrapes: number;
  readonly meanMs: number;
  readonly meanBytes: number;
}

export interface Scraper {
  /** Stops scraping, waits for a scrape in flight, and throws if any scrape failed. */
  stop(): Promise<ScrapeSummary>;
}

export function startScraper(url: string, headers: Readonly<Record<string, string>>, intervalMs: number): Scraper {
  let scrapes = 0;
  let totalMs = 0;
  let totalBytes = 0;
  let failure: Error | undefined;
  let inFlight: Promise<void> | undefined;
  const scrape = async () => {
    const start = performance.now();
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
      const body = await response.text();
      if (response.status !== 200 || !body.includes('gatehouse_')) throw new Error(`GET ${url} answered ${response.status} ${JSON.stringify(body.slice(0, 120))}`);
      scrapes += 1;
      totalMs += performance.now() - start;
      totalBytes += body.length;
    } catch (error) {
      failure ??= error instanceof Error ? error : new Error(String(error));
    }
  };
  const timer = setInterval(() => {
    if (inFlight !== undefined) return; // never two at once: a slow scrape skips a tick, as Prometheus does
    inFlight = scrape().finally(() => (inFlight = undefined));
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
      if (failure !== undefined) throw new Error(`metrics scrape failed: ${failure.message}`);
      return { scrapes, meanMs: scrapes === 0 ? Number.NaN : totalMs / scrapes, meanBytes: scrapes === 0 ? Number.NaN : totalBytes / scrapes };
    },
  };
}
