/**
 * Metrics overhead: what instrumentation and /hub/metrics cost. Two otherwise identical hubs, one
 * with `metrics: true` (the default) scraped once a second as Prometheus would, one with
 * `metrics: false`; wrk loads the proxied path and the REST API of both in interleaved rounds.
 */
import type { StartGatehouseOptions } from './gatehouse.ts';
import { measureHttp, type HttpResult, type Measurement, type Settings } from './measure.ts';
import { startScraper, type ScrapeSummary } from './metrics-scraper.ts';
import { PING_PATH, apiTarget, isPong, isUserModel, proxiedTarget, withStage, type Stage } from './stage.ts';

export interface MetricsOverheadOptions {
  /** The spawner's ports of the two hubs (alice's server each), apart from every other hub's. */
  readonly portRanges: { readonly on: readonly [number, number]; readonly off: readonly [number, number] };
  readonly scrapeIntervalMs: number;
  /** Rounds of the REST API comparison (the proxied one runs `settings.rounds`). */
  readonly apiRounds: number;
}

export interface MetricsOverheadResult {
  readonly proxiedRounds: number;
  readonly apiRounds: number;
  readonly durationS: number;
  readonly scrapeIntervalMs: number;
  /** `metrics-on`, `metrics-off`: GET /user/alice/api/ping with alice's session cookie. */
  readonly proxied: readonly Measurement<HttpResult>[];
  /** The same two hubs: GET /hub/api/users/alice with an admin token. */
  readonly api: readonly Measurement<HttpResult>[];
  /** The scrapes of the metrics-on hub during both measurements. */
  readonly scrapes: ScrapeSummary;
  readonly leftoverServers: number;
}

const metricsUrl = (stage: Stage) => `${stage.hub.baseUrl}/hub/metrics`;
const adminHeaders = (stage: Stage) => ({ authorization: `token ${stage.adminToken}` });

/** The switch must have taken effect: /hub/metrics answers on one hub and not on the other. */
async function checkSwitch(on: Stage, off: Stage): Promise<void> {
  const [onStatus, offStatus] = await Promise.all(
    [on, off].map(async (stage) => {
      const response = await fetch(metricsUrl(stage), { headers: adminHeaders(stage), signal: AbortSignal.timeout(30_000) });
      await response.arrayBuffer();
      return response.status;
    }),
  );
  if (onStatus !== 200) throw new Error(`metrics on: GET /hub/metrics answered ${onStatus} to an admin token`);
  if (offStatus === 200) throw new Error('metrics: false did not take effect: GET /hub/metrics still answers 200');
}

async function measure(wrk: string, settings: Settings, on: Stage, off: Stage, options: MetricsOverheadOptions): Promise<Omit<MetricsOverheadResult, 'leftoverServers'>> {
  await checkSwitch(on, off);
  const scraper = startScraper(metricsUrl(on), adminHeaders(on), options.scrapeIntervalMs);
  const loads = async () => {
    const label = `metrics on, scraped every ${options.scrapeIntervalMs / 1000} s`;
    const proxied = await measureHttp(wrk, settings, [proxiedTarget(on, 'http', PING_PATH, 'metrics-on', label), proxiedTarget(off, 'http', PING_PATH, 'metrics-off', 'metrics: false')], isPong);
    const api = await measureHttp(wrk, { ...settings, rounds: options.apiRounds }, [apiTarget(on, 'metrics-on', label), apiTarget(off, 'metrics-off', 'metrics: false')], isUserModel);
    return { proxied, api };
  };
  const { proxied, api } = await loads().catch(async (error: unknown) => {
    await scraper.stop().catch(() => undefined); // the measurement's error is the one to report
    throw error;
  });
  const scrapes = await scraper.stop();
  return { proxiedRounds: settings.rounds, apiRounds: options.apiRounds, durationS: settings.durationS, scrapeIntervalMs: options.scrapeIntervalMs, proxied, api, scrapes };
}

export async function runMetricsOverheadBench(wrk: string, settings: Settings, options: MetricsOverheadOptions): Promise<MetricsOverheadResult> {
  const hub = (portRange: readonly [number, number], metrics: boolean): StartGatehouseOptions => ({
    portRange,
    extraConfig: { metrics },
    name: `gatehouse (metrics ${metrics ? 'on' : 'off'})`,
  });
  const outer = await withStage(hub(options.portRanges.on, true), async (on) => withStage(hub(options.portRanges.off, false), (off) => measure(wrk, settings, on, off, options)));
  return { ...outer.value.value, leftoverServers: outer.leftoverServers + outer.value.leftoverServers };
}
