/**
 * Login storm: proxied latency while people log in. A hub with local accounts (argon2id) serves
 * alice's server to wrk; in interleaved rounds wrk runs once quiet and once during a storm, in which
 * waves of `concurrentLogins` real form logins (GET /hub/login, POST it, 302) are fired back to back,
 * each wave once the previous one has finished, for the whole wrk window. Every login must succeed:
 * a refused one (wrong password, throttled) stops the bench, since it would not cost an argon2 hash
 * the same way and would feed the hub's throttle.
 */
import { addAccount, loginWithForm, randomPassword } from './gatehouse.ts';
import { expectAnswer, report, type Settings } from './measure.ts';
import { PING_PATH, isPong, proxiedTarget, withStage, type Stage } from './stage.ts';
import { runWrk, type WrkResult } from './wrk.ts';

export interface LoginStormOptions {
  /** The spawner's ports of this hub (alice's server only). */
  readonly portRange: readonly [number, number];
  /** Logins per wave; as many accounts. */
  readonly concurrentLogins: number;
  readonly rounds: number;
  /** Length of each quiet and each storm window (one wrk run each). */
  readonly durationS: number;
}

/** One side (quiet or storm) over all rounds. */
export interface LatencySide {
  /** The median round by p99. */
  readonly median: WrkResult;
  /** The median of the rounds' req/s. */
  readonly medianRequestsPerSec: number;
  readonly roundsP99Ms: readonly number[];
  readonly roundsPerSec: readonly number[];
}

export interface LoginStormResult {
  readonly concurrentLogins: number;
  readonly rounds: number;
  readonly durationS: number;
  readonly quiet: LatencySide;
  readonly storm: LatencySide;
  /** Logins per storm window (every wave started while wrk ran, each completed). */
  readonly loginsPerWindow: readonly number[];
  /** One login = GET /hub/login + POST /hub/login, as a browser does it; over all storm windows. */
  readonly loginMedianMs: number;
  readonly loginMaxMs: number;
  readonly leftoverServers: number;
}

interface StormAccount {
  readonly username: string;
  readonly password: string;
  /** Each account logs in from its own client address, as a trusted front proxy reports it (X-Forwarded-For). */
  readonly headers: Readonly<Record<string, string>>;
}

async function addStormAccounts(stage: Stage, count: number): Promise<StormAccount[]> {
  const accounts = Array.from({ length: count }, (_, i) => ({
    username: `storm${String(i).padStart(2, '0')}`,
    password: randomPassword(),
    headers: { 'x-forwarded-for': `10.77.${Math.floor(i / 250)}.${(i % 250) + 1}` },
  }));
  for (const account of accounts) await addAccount(stage.hub.baseUrl, stage.adminToken, account.username, account.password);
  return accounts;
}

/** Every account logs in at once; resolves with each login's milliseconds once all are through. */
async function loginWave(stage: Stage, accounts: readonly StormAccount[]): Promise<number[]> {
  return Promise.all(
    accounts.map(async (account) => {
      const start = performance.now();
      await loginWithForm(stage.hub.baseUrl, account.username, { password: account.password, headers: account.headers });
      return performance.now() - start;
    }),
  );
}

/** One wrk window with waves of logins fired back to back until it ends; the last wave is awaited. */
async function stormWindow(run: () => Promise<WrkResult>, wave: () => Promise<number[]>): Promise<{ result: WrkResult; loginMs: number[] }> {
  let windowOpen = true;
  const measured = run().finally(() => {
    windowOpen = false;
  });
  const storm = (async () => {
    const loginMs: number[] = [];
    while (windowOpen) loginMs.push(...(await wave()));
    return loginMs;
  })();
  const [result, loginMs] = await Promise.all([measured, storm]);
  return { result, loginMs };
}

const medianOf = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? Number.NaN;

function side(results: readonly WrkResult[]): LatencySide {
  const byP99 = [...results].sort((a, b) => a.latencyP99Ms - b.latencyP99Ms);
  const median = byP99[Math.floor((byP99.length - 1) / 2)];
  if (median === undefined) throw new Error('login storm: no rounds measured');
  const roundsPerSec = results.map((r) => r.requestsPerSec);
  return { median, medianRequestsPerSec: medianOf(roundsPerSec), roundsP99Ms: results.map((r) => r.latencyP99Ms), roundsPerSec };
}

function checked(result: WrkResult, what: string): WrkResult {
  if (result.non2xx > 0) throw new Error(`login storm, ${what}: ${result.non2xx} responses were not 2xx/3xx: not a valid measurement`);
  return result;
}

async function measureStorm(wrk: string, settings: Settings, stage: Stage, options: LoginStormOptions): Promise<Omit<LoginStormResult, 'leftoverServers'>> {
  const accounts = await addStormAccounts(stage, options.concurrentLogins);
  const target = proxiedTarget(stage, 'http', PING_PATH);
  await expectAnswer(target, isPong);
  const run = (durationS: number) => runWrk(wrk, { url: target.url, headers: target.headers, threads: settings.wrkThreads, connections: settings.wrkConnections, durationS });
  const wave = () => loginWave(stage, accounts);
  await wave(); // every password works before anything is measured (and the login path is warm)
  await run(settings.warmupS);
  const quiet: WrkResult[] = [];
  const storm: WrkResult[] = [];
  const loginsPerWindow: number[] = [];
  const loginMs: number[] = [];
  for (let round = 0; round < options.rounds; round += 1) {
    // Alternate the order, so that neither side always follows the other.
    const order = round % 2 === 0 ? (['quiet', 'storm'] as const) : (['storm', 'quiet'] as const);
    for (const which of order) {
      if (which === 'quiet') {
        quiet.push(checked(await run(options.durationS), 'quiet'));
        continue;
      }
      const window = await stormWindow(() => run(options.durationS), wave);
      storm.push(checked(window.result, 'storm'));
      loginsPerWindow.push(window.loginMs.length);
      loginMs.push(...window.loginMs);
    }
    report(`login storm round ${round + 1}: p99 quiet ${quiet.at(-1)?.latencyP99Ms.toFixed(2)} ms, storm ${storm.at(-1)?.latencyP99Ms.toFixed(2)} ms (${loginsPerWindow.at(-1)} logins)`);
  }
  return {
    concurrentLogins: options.concurrentLogins,
    rounds: options.rounds,
    durationS: options.durationS,
    quiet: side(quiet),
    storm: side(storm),
    loginsPerWindow,
    loginMedianMs: medianOf(loginMs),
    loginMaxMs: Math.max(...loginMs),
  };
}

/** `settings` gives wrk's threads, connections and warm-up; rounds and window length come from `options`. */
export async function runLoginStormBench(wrk: string, settings: Settings, options: LoginStormOptions): Promise<LoginStormResult> {
  const hubOptions = { portRange: options.portRange, authenticator: 'local', name: 'gatehouse (local accounts)' } as const;
  const { value, leftoverServers } = await withStage(hubOptions, (stage) => measureStorm(wrk, settings, stage, options));
  report(
    `login storm: p99 quiet ${value.quiet.median.latencyP99Ms.toFixed(2)} ms, storm ${value.storm.median.latencyP99Ms.toFixed(2)} ms; ` +
      `logins median ${value.loginMedianMs.toFixed(0)} ms, max ${value.loginMaxMs.toFixed(0)} ms`,
  );
  return { ...value, leftoverServers };
}
