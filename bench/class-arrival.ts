/**
 * The first minute of a class, Gatehouse against JupyterHub 3.0 in one run (`pnpm bench --only class`,
 * or alone: `pnpm bench:class [--case …] [--hub …]`, see class-main.ts).
 *
 * Each case starts a fresh hub of each kind. 20 working users sign in and start their servers first
 * and then keep sending one request to their server every 200 ms, measured end to end; a quiet window
 * of QUIET_WINDOW_S gives their baseline. Then the class arrives: N people at seeded random times
 * within the case's window (not in lockstep), each signing in through the login form and starting
 * their server the way the hub's own pages do (bench/class-people.ts), until every one is ready or
 * has failed. Reported per case and hub: first arrival → last ready, login p50/p99, arrival → ready
 * p50/p99, retries after 429, errors, the working users' p99 quiet and during the arrivals, and the
 * hub process's peak RSS.
 */
import { CLASS_ADDRESS_BLOCK, WORKING_ADDRESS_BLOCK, makePeople, peakRssMB, startGatehouseForClass, startJupyterHubForClass, type HubUnderTest, type ServerKind } from './class-hubs.ts';
import { playPerson, signInWithRunningServer, startWorkingLoad, type Person, type PersonOutcome } from './class-people.ts';
import type { ConfigValue } from './gatehouse.ts';
import { CpuSampler, describeCpu, type CpuByPart, type PartOf } from './cpu-by-part.ts';
import { InspectorSession } from './inspector.ts';
import { report } from './measure.ts';
import { summarizeCpuProfile, type ProfileSummary } from './profile.ts';

export interface ClassCase {
  readonly id: string;
  readonly label: string;
  readonly people: number;
  readonly windowS: number;
  readonly servers: ServerKind;
}

export const CLASS_CASES: readonly ClassCase[] = [
  { id: 'burst', label: 'burst: 300 arrivals within 5 s (demo app)', people: 300, windowS: 5, servers: 'demo' },
  { id: 'spread', label: 'spread: 300 arrivals over 30 s (demo app)', people: 300, windowS: 30, servers: 'demo' },
  { id: 'jupyter-burst', label: 'burst: 50 arrivals within 5 s (jupyterhub-singleuser)', people: 50, windowS: 5, servers: 'jupyter' },
];

const WORKING_USERS = 20;
const WORKING_INTERVAL_MS = 200;
const QUIET_WINDOW_S = 5;
const SEED = 20261202;
/**
 * Gatehouse's spawner ports for the class (each hub of the run is stopped before the next starts),
 * below the kernel's ephemeral range: JupyterHub's servers take random ports from that range, and a
 * server of its run could still hold one when Gatehouse's next case starts.
 */
const PORT_RANGE = [28000, 28999] as const;

export interface HubCaseResult {
  readonly hub: string;
  readonly lastReadyS: number;
  readonly loginP50Ms: number;
  readonly loginP99Ms: number;
  readonly readyP50S: number;
  readonly readyP99S: number;
  readonly retries: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly workingQuietP99Ms: number;
  readonly workingDuringP99Ms: number;
  readonly workingErrors: number;
  readonly peakRssMB: number;
  /** CPU seconds per part of the hub (and the bench's own clients) from the first arrival until the last person was through. */
  readonly cpu: CpuByPart;
  /** The hub's V8 CPU profile over the same stretch, when the run asked for one (`--profile`). */
  readonly profile?: ProfileSummary;
}

export interface ClassCaseResult {
  readonly case: ClassCase;
  readonly gatehouse: HubCaseResult;
  readonly jupyterhub: HubCaseResult | { readonly unavailable: string };
}

/** mulberry32: a small seeded generator, so every run plays the same arrival times. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function arrivalTimesMs(count: number, windowS: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => random() * windowS * 1000).sort((a, b) => a - b);
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Who takes part in one case: the class, and the working users already on the hub. */
interface Cast {
  readonly people: readonly Person[];
  readonly working: readonly Person[];
}

/** The hub's helpers by command line; every other process under the hub is a server. */
const HELPERS: Record<HubUnderTest['kind'], PartOf> = {
  gatehouse: (commandLine) => (commandLine.includes('password-hasher-child') ? 'password hasher' : undefined),
  jupyterhub: (commandLine) => (commandLine.includes('configurable-http-proxy') ? 'proxy (CHP)' : undefined),
};

async function playCase(hub: HubUnderTest, classCase: ClassCase, { people, working }: Cast): Promise<HubCaseResult> {
  const clients = await Promise.all(working.map(async (person) => ({ name: person.name, client: await signInWithRunningServer(hub.kind, hub.baseUrl, person, hub.probe) })));
  const load = startWorkingLoad(clients, hub.probe, WORKING_INTERVAL_MS);
  try {
    await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_S * 1000)); // the quiet window is a measurement, not a wait for readiness
    const quiet = load.take();
    const arrivals = arrivalTimesMs(classCase.people, classCase.windowS, SEED);
    const caseStart = performance.now();
    const sampler = new CpuSampler(hub.pid, HELPERS[hub.kind]);
    const inspector = hub.inspectorUrl === undefined ? undefined : await InspectorSession.connect(hub.inspectorUrl);
    await inspector?.startProfiling();
    const outcomes: PersonOutcome[] = await Promise.all(people.map((person, i) => playPerson(hub.kind, hub.baseUrl, person, hub.probe, caseStart, arrivals[i] ?? 0)));
    const cpu = sampler.stop();
    const profile = inspector === undefined ? undefined : summarizeCpuProfile(await inspector.stopProfiling(), 25);
    inspector?.close();
    const during = load.take();
    const firstArrival = Math.min(...outcomes.map((o) => o.arrivalMs));
    // Undefined (NaN) when anyone never got a server: there is no "last ready" then, only errors.
    const lastReady = outcomes.every((o) => o.readyMs !== undefined) ? Math.max(...outcomes.map((o) => o.arrivalMs + (o.readyMs ?? 0))) : Number.NaN;
    const errors = outcomes.flatMap((o) => o.errors);
    const logins = outcomes.flatMap((o) => (o.loginMs === undefined ? [] : [o.loginMs]));
    const readies = outcomes.flatMap((o) => (o.readyMs === undefined ? [] : [o.readyMs / 1000]));
    return {
      hub: hub.label,
      lastReadyS: (lastReady - firstArrival) / 1000,
      loginP50Ms: percentile(logins, 50),
      loginP99Ms: percentile(logins, 99),
      readyP50S: percentile(readies, 50),
      readyP99S: percentile(readies, 99),
      retries: outcomes.reduce((sum, o) => sum + o.retries, 0),
      errors: errors.length,
      errorSamples: errors.slice(0, 5),
      workingQuietP99Ms: percentile(quiet.latenciesMs, 99),
      workingDuringP99Ms: percentile(during.latenciesMs, 99),
      workingErrors: quiet.errors + during.errors,
      peakRssMB: peakRssMB(hub.pid),
      cpu,
      ...(profile === undefined ? {} : { profile }),
    };
  } finally {
    await load.stop();
    await Promise.all(clients.map(({ client }) => client.close()));
  }
}

function describe(result: HubCaseResult): string {
  return (
    `last ready ${result.lastReadyS.toFixed(1)} s, login p50/p99 ${result.loginP50Ms.toFixed(0)}/${result.loginP99Ms.toFixed(0)} ms, ` +
    `ready p50/p99 ${result.readyP50S.toFixed(2)}/${result.readyP99S.toFixed(2)} s, ${result.retries} retries, ${result.errors} errors, ` +
    `working p99 ${result.workingQuietP99Ms.toFixed(1)} → ${result.workingDuringP99Ms.toFixed(1)} ms, peak RSS ${result.peakRssMB.toFixed(0)} MB; ` +
    `CPU: ${describeCpu(result.cpu)}`
  );
}

async function runOnHub(start: () => Promise<HubUnderTest>, classCase: ClassCase, cast: Cast): Promise<HubCaseResult> {
  const hub = await start();
  try {
    const result = await playCase(hub, classCase, cast);
    report(`class ${classCase.id}, ${hub.label}: ${describe(result)}`);
    for (const sample of result.errorSamples) report(`  error: ${sample}`);
    for (const entry of [...(result.profile?.topModules ?? []), ...(result.profile?.topFunctions ?? [])]) report(`  profile: ${entry.percent.toFixed(1)}% ${entry.selfMs.toFixed(0)} ms ${entry.name}`);
    return result;
  } finally {
    await hub.stop();
  }
}

/** Which hubs a run plays: both (the comparison), or one alone while working on it (no ratios then). */
export type HubChoice = 'both' | 'gatehouse' | 'jupyterhub';

export interface ClassRunOptions {
  readonly hubs?: HubChoice;
  /** Profile Gatehouse's hub process during the arrivals (V8's CPU profiler over the inspector). */
  readonly profile?: boolean;
  /** Gatehouse config beside the bench's own, to try a setting (e.g. `{ concurrentSpawnLimit: 8 }`). */
  readonly gatehouseConfig?: Readonly<Record<string, ConfigValue>>;
}

async function runOnJupyterHub(classCase: ClassCase, cast: Cast): Promise<ClassCaseResult['jupyterhub']> {
  try {
    return await runOnHub(() => startJupyterHubForClass(classCase.servers), classCase, cast);
  } catch (error) {
    const unavailable = error instanceof Error ? error.message : String(error);
    report(`class ${classCase.id}, JupyterHub unavailable: ${unavailable}`);
    return { unavailable };
  }
}

/**
 * Runs `cases` (default all) on both hubs, one hub at a time, or on the one `hubs` names. Results
 * hold the cases Gatehouse played; a JupyterHub-only run is reported line by line only.
 */
export async function runClassBench(cases: readonly ClassCase[] = CLASS_CASES, { hubs = 'both', profile = false, gatehouseConfig = {} }: ClassRunOptions = {}): Promise<ClassCaseResult[]> {
  const results: ClassCaseResult[] = [];
  for (const classCase of cases) {
    const cast: Cast = { people: makePeople('student', classCase.people, CLASS_ADDRESS_BLOCK), working: makePeople('work', WORKING_USERS, WORKING_ADDRESS_BLOCK) };
    const gatehouse = hubs === 'jupyterhub' ? undefined : await runOnHub(() => startGatehouseForClass(classCase.servers, [...cast.people, ...cast.working], PORT_RANGE, { inspect: profile, extraConfig: gatehouseConfig }), classCase, cast);
    const jupyterhub = hubs === 'gatehouse' ? { unavailable: 'not played in this run (--hub gatehouse)' } : await runOnJupyterHub(classCase, cast);
    if (gatehouse !== undefined) results.push({ case: classCase, gatehouse, jupyterhub });
  }
  return results;
}
