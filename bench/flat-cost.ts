/**
 * Flat cost: a hub holding many users and many running servers must proxy as fast as a hub with
 * one user, in little memory. A second hub gets `users` users (REST API, in batches) and
 * `runningServers` running demo apps, alice's among them; wrk then loads alice's server through it
 * and through the one-user reference hub in interleaved rounds. The hub's memory (VmRSS, VmHWM)
 * is read before and after the load, beside the reference hub's.
 */
import { api, startServer, type StartGatehouseOptions } from './gatehouse.ts';
import { demoAppsOf } from './demo-apps.ts';
import { API_USER } from './jupyterhub.ts';
import { measureHttp, report, type HttpResult, type Measurement, type Settings } from './measure.ts';
import { forEachConcurrently } from './pool.ts';
import { processMemory, type ProcessMemory } from './process-memory.ts';
import { PING_PATH, isPong, proxiedTarget, withStage, type Stage } from './stage.ts';

export interface FlatCostOptions {
  /** The spawner's ports of the big hub: at least `runningServers` of them, not shared with another hub. */
  readonly portRange: readonly [number, number];
  /** Users in the hub's database, admin and alice included. */
  readonly users: number;
  /** Running servers, alice's included. */
  readonly runningServers: number;
  /** Names per POST /hub/api/users. */
  readonly userBatch: number;
  /** Spawns in flight at once: below the hub's concurrentSpawnLimit (default 100), so none is refused. */
  readonly spawnConcurrency: number;
}

export interface HubMemory {
  readonly beforeLoad: ProcessMemory;
  readonly afterLoad: ProcessMemory;
}

export interface FlatCostResult {
  readonly users: number;
  readonly runningServers: number;
  readonly rounds: number;
  readonly durationS: number;
  /** Wall time to add the users through the REST API. */
  readonly addUsersMs: number;
  /** Wall time until every server was ready. */
  readonly spawnServersMs: number;
  /** `one-user` (the reference hub) and `flat` (the big hub), same path, interleaved. */
  readonly http: readonly Measurement<HttpResult>[];
  readonly memory: { readonly bigHub: HubMemory; readonly oneUserHub: HubMemory };
  /** User servers the big hub left running on shutdown (the bench killed them); should be 0. */
  readonly leftoverServers: number;
}

const isUserServer = (commandLine: string) => commandLine.includes('demo-app.mjs');

const fillerName = (index: number) => `flat${String(index).padStart(5, '0')}`;

/** Adds `names` in batches, checking that each batch answered 201 with every name. */
async function addUsers(stage: Stage, names: readonly string[], batch: number): Promise<void> {
  for (let start = 0; start < names.length; start += batch) {
    const usernames = names.slice(start, start + batch);
    const response = await api(stage.hub.baseUrl, stage.adminToken, 'POST', '/users', [201], { usernames });
    const added = (await response.json()) as unknown[];
    if (added.length !== usernames.length) throw new Error(`POST /hub/api/users added ${added.length} of ${usernames.length} users`);
  }
}

/** The hub's own count of users (the pagination total). */
async function userCount(stage: Stage): Promise<number> {
  const response = await fetch(`${stage.hub.baseUrl}/hub/api/users?limit=1`, {
    headers: { authorization: `token ${stage.adminToken}`, accept: 'application/jupyterhub-pagination+json' },
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status !== 200) throw new Error(`GET /hub/api/users: ${response.status}`);
  return ((await response.json()) as { _pagination: { total: number } })._pagination.total;
}

/** Fills the stage (admin and alice, alice's server running) up to `users` users and `runningServers` servers. */
async function populate(stage: Stage, options: FlatCostOptions): Promise<{ addUsersMs: number; spawnServersMs: number }> {
  const fillers = Array.from({ length: options.users - 2 }, (_, i) => fillerName(i));
  const addStart = performance.now();
  await addUsers(stage, fillers, options.userBatch);
  const addUsersMs = performance.now() - addStart;
  const total = await userCount(stage);
  if (total !== options.users) throw new Error(`the hub counts ${total} users, expected ${options.users}`);
  const spawnStart = performance.now();
  const servers = fillers.slice(0, options.runningServers - 1); // alice's is the other one
  await forEachConcurrently(servers, options.spawnConcurrency, (name) => startServer(stage.hub.baseUrl, stage.adminToken, name, 120_000));
  const spawnServersMs = performance.now() - spawnStart;
  const running = demoAppsOf(stage.hub.port);
  if (running.length !== options.runningServers || !running.some((app) => app.user === API_USER)) {
    throw new Error(`expected ${options.runningServers} running demo apps (alice's among them), found ${running.length}`);
  }
  return { addUsersMs, spawnServersMs };
}

const hubMemory = (stage: Stage) => processMemory(stage.hub.child.pid, isUserServer);

function reportMemory(label: string, memory: ProcessMemory): void {
  const helpers = memory.helpers === 0 ? '' : `, ${memory.helpers} helper process(es) ${memory.helpersRssMB.toFixed(0)} MB`;
  report(`${label}: RSS ${memory.rssMB.toFixed(0)} MB (peak ${memory.peakRssMB.toFixed(0)} MB)${helpers}`);
}

export async function runFlatCostBench(wrk: string, settings: Settings, oneUser: Stage, options: FlatCostOptions): Promise<FlatCostResult> {
  if (options.portRange[1] - options.portRange[0] + 1 < options.runningServers) throw new Error('flat cost: the port range is smaller than the number of servers');
  const hubOptions: StartGatehouseOptions = { portRange: options.portRange, name: 'gatehouse (flat cost)' };
  // withStage stops the hub also on failure: it stops its servers (stopServersOnShutdown), stop() kills any it left.
  const { value, leftoverServers } = await withStage(hubOptions, async (stage) => {
    const setup = await populate(stage, options);
    report(`flat cost: ${options.users - 2} users added to admin and alice in ${setup.addUsersMs.toFixed(0)} ms, ${options.runningServers} servers ready in ${setup.spawnServersMs.toFixed(0)} ms`);
    const beforeLoad = { bigHub: hubMemory(stage), oneUserHub: hubMemory(oneUser) };
    reportMemory(`hub with ${options.users} users, ${options.runningServers} servers, before the load`, beforeLoad.bigHub);
    const targets = [
      proxiedTarget(oneUser, 'http', PING_PATH, 'one-user', 'one-user hub (alice, admin)'),
      proxiedTarget(stage, 'http', PING_PATH, 'flat', `hub with ${options.users.toLocaleString('en')} users and ${options.runningServers} running servers`),
    ];
    const http = await measureHttp(wrk, settings, targets, isPong);
    const afterLoad = { bigHub: hubMemory(stage), oneUserHub: hubMemory(oneUser) };
    reportMemory('the same hub after the load', afterLoad.bigHub);
    reportMemory('one-user hub after the load', afterLoad.oneUserHub);
    return {
      users: options.users,
      runningServers: options.runningServers,
      rounds: settings.rounds,
      durationS: settings.durationS,
      ...setup,
      http,
      memory: {
        bigHub: { beforeLoad: beforeLoad.bigHub, afterLoad: afterLoad.bigHub },
        oneUserHub: { beforeLoad: beforeLoad.oneUserHub, afterLoad: afterLoad.oneUserHub },
      },
    };
  });
  return { ...value, leftoverServers };
}
