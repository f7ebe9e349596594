import { ACTIVITY_KINDS, serverKey } from '../activity-kinds.ts';
import type { ActivityRecorder } from '../activity.ts';
import type { CullConfig } from '../config/cull-schema.ts';
import type { UserRepository, UserRow } from '../db/users.ts';
import type { Logger } from '../log.ts';
import type { HubMetrics } from '../metrics.ts';
import type { Route, ServerManager } from '../servers/manager.ts';
import type { ServerRepository, ServerRow } from '../servers/server-repository.ts';
import { profileSlugOf } from '../servers/user-options.ts';
import type { UserAdmin } from '../user-admin.ts';
import { cullingEnabled, cullLimitsFor, shortestLimits, sweepIntervalSeconds, type CullLimits } from './limits.ts';

/**
 * The hub's idle culler, with jupyterhub-idle-culler's meanings (config `cull`, config/cull-schema.ts):
 * every sweep judges each running server the ServerManager lists, and stops those idle for their
 * timeout or older than their maxAge; with `users`, it then deletes users idle for the timeout whose
 * servers are all stopped. Idle means no activity of any kind (activity-kinds.ts) since the later
 * of the server's start and its last recorded activity; the README states the rule.
 */

export type CullReason = 'idle' | 'max-age';

/** One cull (or, with dryRun, one that would have happened): logged, counted, and listed on the admin page. */
export interface CullRecord {
  /** Epoch ms. */
  readonly at: number;
  readonly what: 'server' | 'user';
  readonly username: string;
  /** '' for the default server; undefined for a user. */
  readonly serverName: string | undefined;
  readonly reason: CullReason;
  /** In words: "idle for 65 s (timeout 60 s)". */
  readonly explanation: string;
  readonly dryRun: boolean;
}

/** When a running server will be stopped if nothing happens, for its owner's home page. */
export interface CullPlan {
  /** Epoch ms. */
  readonly stopsAt: number;
  readonly reason: CullReason;
  readonly limits: CullLimits;
}

export interface CullerDeps {
  readonly config: CullConfig;
  readonly logger: Logger;
  readonly metrics: HubMetrics;
  readonly servers: Pick<ServerManager, 'routes' | 'route' | 'state' | 'stop' | 'remove'>;
  readonly repository: Pick<ServerRepository, 'all' | 'get'>;
  readonly users: Pick<UserRepository, 'listInactive'>;
  readonly userAdmin: Pick<UserAdmin, 'delete'>;
  readonly activity: Pick<ActivityRecorder, 'kinds'>;
  readonly now: () => number;
  /** A user's group names (none until groups exist; the integrator wires them). */
  readonly groupsOf?: (user: { readonly id: number; readonly name: string }) => readonly string[];
}

/** A running server as judged: who, which, and its times (epoch ms). */
interface Candidate {
  readonly userId: number;
  readonly username: string;
  readonly serverName: string;
  readonly startedAt: number;
  /** When it became ready (readiness counts as activity). */
  readonly readyAt: number;
  /** The batched last_activity in the database (covers activity from before a hub restart). */
  readonly recordedActivity: number;
  /** The profile slug it was started with (undefined: none), read with its row: no query per judgement. */
  readonly profile: string | undefined;
}

interface Verdict {
  readonly reason: CullReason | undefined;
  readonly plan: CullPlan | undefined;
  readonly explanation: string;
}

export interface SweepResult {
  readonly servers: number;
  readonly culledServers: number;
  readonly culledUsers: number;
}

/** Who deletes a culled user, in the log (not a valid username: it has spaces). */
const CULLER_ACTOR = 'the idle culler';
const RECENT_CULLS = 20;

export class IdleCuller {
  readonly #deps: CullerDeps;
  readonly #recent: CullRecord[] = [];
  /** dryRun: servers already reported as due, with the deadline reported, so each idle spell is listed once. */
  readonly #reportedDryRun = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<SweepResult> | undefined;
  /** Sweeps completed since the hub started. */
  #sweeps = 0;

  constructor(deps: CullerDeps) {
    this.#deps = deps;
  }

  get sweeps(): number {
    return this.#sweeps;
  }

  get enabled(): boolean {
    return cullingEnabled(this.#deps.config);
  }

  /** Sweeps every `every` seconds (nothing when no limit is configured). */
  start(): void {
    if (!this.enabled) return;
    const seconds = sweepIntervalSeconds(this.#deps.config);
    this.#timer = setInterval(() => {
      this.sweep().catch((error: unknown) => this.#deps.logger.error({ err: error }, 'culler sweep failed'));
    }, seconds * 1000);
    this.#timer.unref();
    const { timeout, maxAge, dryRun } = this.#deps.config;
    this.#deps.logger.info({ timeout, maxAge, every: seconds, dryRun }, dryRun ? 'idle culler running (dry run: it stops nothing)' : 'idle culler running');
  }

  /** Stops sweeping; waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sweeping?.catch(() => undefined);
  }

  /** The last culls, newest first (in memory: since the hub started). */
  recentCulls(): readonly CullRecord[] {
    return this.#recent;
  }

  /** When `username`'s running server `serverName` would be stopped; undefined when it is not running or no limit applies. */
  plan(username: string, serverName = ''): CullPlan | undefined {
    const route = this.#deps.servers.route(username, serverName);
    const row = route === undefined ? undefined : this.#deps.repository.get(route.userId, serverName);
    if (route === undefined || row === undefined || !this.enabled) return undefined;
    return this.#judge(candidateOf(route, row), this.#deps.now()).plan;
  }

  /** One sweep (one at a time: a call during a sweep gets that sweep's result). */
  sweep(): Promise<SweepResult> {
    this.#sweeping ??= this.#sweepOnce().finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  async #sweepOnce(): Promise<SweepResult> {
    const started = performance.now();
    const now = this.#deps.now();
    const rows = new Map(this.#deps.repository.all().map((row) => [`${row.userId}/${row.serverName}`, row]));
    const due: Candidate[] = [];
    const routes = this.#deps.servers.routes();
    // One entry per running server, named servers included.
    for (const route of routes) {
      const row = rows.get(`${route.userId}/${route.serverName}`);
      if (row === undefined || row.status !== 'running') continue;
      const candidate = candidateOf(route, row);
      if (this.#judge(candidate, now).reason !== undefined) due.push(candidate);
    }
    let culledServers = 0;
    await runLimited(
      due.map((candidate) => async () => {
        if (await this.#cullServer(candidate)) culledServers += 1;
      }),
      this.#deps.config.concurrency,
    );
    const culledUsers = this.#deps.config.users ? await this.#cullUsers(now) : 0;
    this.#deps.metrics.cullSweepDuration.observe((performance.now() - started) / 1000);
    this.#sweeps += 1;
    return { servers: routes.length, culledServers, culledUsers };
  }

  /** Judged again just before stopping: activity may have arrived since the sweep began. */
  async #cullServer(candidate: Candidate): Promise<boolean> {
    const verdict = this.#judge(candidate, this.#deps.now());
    if (verdict.reason === undefined || this.#deps.servers.route(candidate.username, candidate.serverName)?.userId !== candidate.userId) return false;
    if (this.#deps.config.dryRun) {
      const key = serverKey(candidate.username, candidate.serverName);
      if (this.#reportedDryRun.get(key) === verdict.plan?.stopsAt) return false;
      this.#reportedDryRun.set(key, verdict.plan?.stopsAt ?? 0);
      this.#record('server', candidate.username, candidate.serverName, verdict.reason, verdict.explanation);
      return true;
    }
    this.#record('server', candidate.username, candidate.serverName, verdict.reason, verdict.explanation);
    try {
      const user = { id: candidate.userId, name: candidate.username };
      // jupyterhub-idle-culler's remove_named_servers: a culled named server is forgotten, not only stopped.
      if (candidate.serverName !== '' && this.#deps.config.removeNamedServers) await this.#deps.servers.remove(user, candidate.serverName);
      else await this.#deps.servers.stop(user, candidate.serverName);
      return true;
    } catch (error) {
      this.#deps.logger.error({ username: candidate.username, server: candidate.serverName, err: error }, 'culler could not stop the server');
      return false;
    }
  }

  #judge(candidate: Candidate, now: number): Verdict {
    const { config } = this.#deps;
    const limits = cullLimitsFor(config, this.#deps.groupsOf?.({ id: candidate.userId, name: candidate.username }) ?? [], candidate.profile);
    const activity = this.#deps.activity.kinds.of(serverKey(candidate.username, candidate.serverName));
    const lastActive = Math.max(candidate.startedAt, candidate.readyAt, candidate.recordedActivity, activity?.http ?? 0, activity?.websocket ?? 0, activity?.report ?? 0);
    const idleFor = limits.timeout > 0 && (candidate.serverName === '' || config.namedServers) ? limits.timeout * 1000 : undefined;
    const ageFor = limits.maxAge > 0 ? limits.maxAge * 1000 : undefined;
    const idleAt = idleFor === undefined ? Infinity : lastActive + idleFor;
    const ageAt = ageFor === undefined ? Infinity : candidate.startedAt + ageFor;
    if (idleAt === Infinity && ageAt === Infinity) return { reason: undefined, plan: undefined, explanation: 'no limit applies' };
    const reason: CullReason = idleAt <= ageAt ? 'idle' : 'max-age';
    const plan = { stopsAt: Math.min(idleAt, ageAt), reason, limits };
    const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
    const lastKinds = ACTIVITY_KINDS.filter((kind) => (activity?.[kind] ?? 0) > 0).map((kind) => `${kind} ${seconds(now - (activity?.[kind] ?? 0))} ago`);
    // After a hub restart only the recorded last_activity is known, not its kind.
    if (lastKinds.length === 0 && candidate.recordedActivity > candidate.startedAt) lastKinds.push(`recorded ${seconds(now - candidate.recordedActivity)} ago`);
    const explanation =
      reason === 'idle'
        ? `idle for ${seconds(now - lastActive)} (timeout ${limits.timeout} s; last activity: ${lastKinds.length > 0 ? lastKinds.join(', ') : 'none since it started'})`
        : `running for ${seconds(now - candidate.startedAt)} (maxAge ${limits.maxAge} s)`;
    return { reason: now >= plan.stopsAt ? reason : undefined, plan, explanation };
  }

  /** Users idle for their timeout (or older than maxAge) with no server left; admins only with adminUsers. */
  async #cullUsers(now: number): Promise<number> {
    const { config } = this.#deps;
    let culled = 0;
    const due: Array<{ user: UserRow; reason: CullReason; explanation: string }> = [];
    // Only users past the shortest limit anywhere can be due: the database picks them, their own limits decide.
    const shortest = shortestLimits(config);
    const cutoff = (seconds: number) => new Date(seconds > 0 ? now - seconds * 1000 : 0).toISOString();
    for (const user of this.#deps.users.listInactive(cutoff(shortest.timeout), cutoff(shortest.maxAge))) {
      if (user.admin && !config.adminUsers) continue;
      if (this.#deps.servers.state(user.name) !== 'stopped') continue;
      const limits = cullLimitsFor(config, this.#deps.groupsOf?.(user) ?? [], undefined);
      const created = Date.parse(user.createdAt);
      const inactiveMs = now - (user.lastActivity === null ? created : Date.parse(user.lastActivity));
      if (limits.timeout > 0 && inactiveMs >= limits.timeout * 1000) {
        due.push({ user, reason: 'idle', explanation: `no activity for ${Math.round(inactiveMs / 1000)} s (timeout ${limits.timeout} s) and no server running` });
      } else if (limits.maxAge > 0 && now - created >= limits.maxAge * 1000) {
        due.push({ user, reason: 'max-age', explanation: `created ${Math.round((now - created) / 1000)} s ago (maxAge ${limits.maxAge} s) and no server running` });
      }
    }
    await runLimited(
      due.map(({ user, reason, explanation }) => async () => {
        if (config.dryRun) {
          const since = Date.parse(user.lastActivity ?? user.createdAt);
          if (this.#reportedDryRun.get(`user ${user.name}`) !== since) this.#record('user', user.name, undefined, reason, explanation);
          this.#reportedDryRun.set(`user ${user.name}`, since);
          return;
        }
        this.#record('user', user.name, undefined, reason, explanation);
        try {
          await this.#deps.userAdmin.delete(user.name, CULLER_ACTOR);
          culled += 1;
        } catch (error) {
          this.#deps.logger.error({ username: user.name, err: error }, 'culler could not delete the user');
        }
      }),
      config.concurrency,
    );
    return culled;
  }

  #record(what: CullRecord['what'], username: string, serverName: string | undefined, reason: CullReason, explanation: string): void {
    const dryRun = this.#deps.config.dryRun;
    const record: CullRecord = { at: this.#deps.now(), what, username, serverName, reason, explanation, dryRun };
    this.#recent.unshift(record);
    this.#recent.length = Math.min(this.#recent.length, RECENT_CULLS);
    this.#deps.metrics.culls.labels(what, reason, String(dryRun)).inc();
    const action = what === 'user' ? `delete user ${username}` : `stop ${username}'s server${serverName ? ` ${serverName}` : ''}`;
    this.#deps.logger.info({ username, server: serverName, what, reason, dryRun }, `culler ${dryRun ? '(dry run) would' : 'will'} ${action}: ${explanation}`);
  }
}

function candidateOf(route: Route, row: Pick<ServerRow, 'startedAt' | 'lastActivity' | 'userOptions'>): Candidate {
  const recordedActivity = row.lastActivity === null ? 0 : Date.parse(row.lastActivity);
  const { userId, username, serverName, readyAt } = route;
  return { userId, username, serverName, startedAt: Date.parse(row.startedAt), readyAt, recordedActivity, profile: profileSlugOf(row.userOptions) };
}

/** Runs `tasks` with at most `limit` in flight. */
async function runLimited(tasks: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next] as () => Promise<void>;
      next += 1;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
