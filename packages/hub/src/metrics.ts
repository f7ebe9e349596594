import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** How the proxy answered a request or WebSocket upgrade (the `outcome` label). */
const PROXY_OUTCOMES = ['forwarded', 'unauthenticated', 'forbidden', 'not_running', 'upstream_error'] as const;
type ProxyOutcome = (typeof PROXY_OUTCOMES)[number];

/**
 * Prometheus metrics at /hub/metrics. The proxy's per-request cost is adding one to a plain number
 * (prom-client reads the numbers when scraped; no label hashing or timers on the hot path); hub
 * requests and spawns carry duration histograms.
 */
export class HubMetrics {
  readonly registry = new Registry();
  readonly proxyOutcomes: Record<ProxyOutcome, number> = { forwarded: 0, unauthenticated: 0, forbidden: 0, not_running: 0, upstream_error: 0 };
  readonly hubRequestDuration = new Histogram({
    name: 'gatehouse_hub_request_duration_seconds',
    help: 'Duration of requests to the hub (pages and API), by method and status code',
    labelNames: ['method', 'code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly proxiedRequests = new Counter({
    name: 'gatehouse_proxied_requests_total',
    help: 'Requests and WebSocket upgrades the proxy forwarded to user servers, or refused, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
    collect: () => {
      this.proxiedRequests.reset();
      for (const outcome of PROXY_OUTCOMES) this.proxiedRequests.labels(outcome).inc(this.proxyOutcomes[outcome]);
    },
  });
  readonly spawnDuration = new Histogram({
    name: 'gatehouse_spawn_duration_seconds',
    help: 'Time from a start request until the server is ready (or failed), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly runningServers = new Gauge({
    name: 'gatehouse_running_servers',
    help: 'User servers currently running',
    registers: [this.registry],
  });
  readonly pendingServers = new Gauge({
    name: 'gatehouse_pending_servers',
    help: 'User servers currently starting, those waiting in line for their turn included',
    registers: [this.registry],
  });
  readonly waitingServers = new Gauge({
    name: 'gatehouse_waiting_servers',
    help: 'Server starts waiting in line for their turn (beyond concurrentSpawnLimit)',
    registers: [this.registry],
  });
  readonly culls = new Counter({
    name: 'gatehouse_culls_total',
    help: 'Servers stopped and users deleted by the idle culler (dry_run="true": only logged), by what and reason',
    labelNames: ['what', 'reason', 'dry_run'] as const,
    registers: [this.registry],
  });
  readonly cullSweepDuration = new Histogram({
    name: 'gatehouse_cull_sweep_duration_seconds',
    help: 'Time one sweep of the idle culler took, stops included',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly logins = new Counter({
    name: 'gatehouse_logins_total',
    help: 'Login attempts by result (success, or the failure reason)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  /** `enabled: false` (config `metrics: false`): no process metrics (event-loop and GC observers) are collected. */
  constructor(readonly enabled = true) {
    if (enabled) collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_process_' });
  }
}

export interface ProxyCounter {
  inc(): void;
}
export type ProxyCounters = Record<'forwarded' | 'unauthenticated' | 'forbidden' | 'notRunning' | 'upstreamError', ProxyCounter>;

const NOT_COUNTED: ProxyCounter = { inc: () => undefined };

/** The proxy's counters: plain additions read at scrape time; no-ops when metrics are off. */
export function proxyCounters(metrics: HubMetrics): ProxyCounters {
  if (!metrics.enabled) {
    return { forwarded: NOT_COUNTED, unauthenticated: NOT_COUNTED, forbidden: NOT_COUNTED, notRunning: NOT_COUNTED, upstreamError: NOT_COUNTED };
  }
  const counts = metrics.proxyOutcomes;
  const counter = (outcome: ProxyOutcome): ProxyCounter => ({ inc: () => void (counts[outcome] += 1) });
  return {
    forwarded: counter('forwarded'),
    unauthenticated: counter('unauthenticated'),
    forbidden: counter('forbidden'),
    notRunning: counter('not_running'),
    upstreamError: counter('upstream_error'),
  };
}
