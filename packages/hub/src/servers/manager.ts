import { HubShuttingDown, lastLines, SpawnError, type ProgressSink, type ResumeRequest, type ServerHandle, type SpawnOverrides, type Spawner } from '@gatehouse/spawner';
import type { GatehouseConfig } from '../config/schema.ts';
import type { UserRow } from '../db/users.ts';
import { gatehouseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { serverEnvironment, servicePrefix } from './environment.ts';
import { ServerProblems, type ServerProblem } from './problems.ts';
import { ProgressLog } from './progress.ts';
import { Responsiveness } from './responsiveness.ts';
import type { ServerCredentials } from './server-credentials.ts';
import { ServerMap } from './server-map.ts';
import { StartLine } from './start-line.ts';
import { requireNamedServerAllowed, requireRoomToStart } from './start-limits.ts';
import { serverLabel } from './server-names.ts';
import type { ServerRepository, UserOptions } from './server-repository.ts';

/** What the proxy needs to forward to a running server; looked up once per request, in memory. */
export interface Route {
  readonly username: string;
  readonly userId: number;
  /** '' for the user's default server. */
  readonly serverName: string;
  readonly host: string;
  readonly port: number;
  /** `token <server token>` for servers that expect the proxy to authenticate; undefined otherwise. */
  readonly authorization: string | undefined;
  /** When the hub saw it ready (epoch ms, hub clock; after a hub restart, when it re-attached): as in JupyterHub, readiness is activity. */
  readonly readyAt: number;
}

export type ServerState = 'stopped' | 'pending' | 'running' | 'stopping';

type UserRef = Pick<UserRow, 'id' | 'name'>;

export interface ServerManagerDeps {
  readonly config: GatehouseConfig;
  readonly logger: Logger;
  readonly repository: ServerRepository;
  /** Each server's API token and OAuth client. */
  readonly credentials: ServerCredentials;
  /** The hub's own API URL as servers reach it; known once the hub listens. */
  readonly hubApiUrl: () => string;
  /** Told how each start ended and how long it took (metrics). */
  readonly onSpawnSettled?: (outcome: 'ready' | 'failed', seconds: number) => void;
  /** Extra environment for a user's servers (the authenticator's user-data mapping). */
  readonly userEnvironment: (user: UserRow) => Record<string, string>;
  /** The hub's clock (epoch ms), for the time of the last problem. */
  readonly now?: () => number;
}

interface Running {
  readonly route: Route;
  readonly handle: ServerHandle;
  readonly responsiveness: Responsiveness;
}

interface PendingStart {
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/** What a start waiting in line tells its person. */
function placeInLine(ahead: number): string {
  if (ahead === 0) return 'Waiting to start: you are next';
  return `Waiting to start: ${ahead} ${ahead === 1 ? 'start is' : 'starts are'} ahead of you`;
}

/** Lines of a server's output quoted when it exits by itself. */
const EXIT_OUTPUT_LINES = 10;
const EXIT_OUTPUT_BYTES = 8192;

/**
 * Owns the life cycle of servers — each one a (user, serverName), the default server being `''`:
 * start (with limits, fresh credentials, progress), stop, the routes the proxy uses, liveness
 * polling, and re-attaching after a hub restart. Stopping one server never touches another.
 * The database is the record; the in-memory maps are the fast path for the proxy.
 */
export class ServerManager {
  readonly #deps: ServerManagerDeps;
  readonly #spawner: Spawner;
  readonly #running = new ServerMap<Running>();
  readonly #pending = new ServerMap<PendingStart>();
  readonly #stopping = new ServerMap<Promise<void>>();
  readonly #progress = new ServerMap<ProgressLog>();
  readonly #routeRemovedListeners: Array<(route: Route) => void> = [];
  readonly #problems: ServerProblems;
  /** New starts beyond concurrentSpawnLimit wait here, first come first served (resumed ones do not). */
  readonly #line: StartLine;
  /** Aborts that a person asked for (Cancel, Stop, shutdown): not a failure to report. */
  readonly #cancellations = new WeakSet<object>();
  #pollTimer: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(deps: ServerManagerDeps) {
    this.#deps = deps;
    this.#spawner = deps.config.spawner;
    this.#problems = new ServerProblems(deps.now ?? Date.now);
    this.#line = new StartLine(() => deps.config.concurrentSpawnLimit);
  }

  /** Called whenever a route goes away (stop, exit), so the proxy can close its connection pool. */
  onRouteRemoved(listener: (route: Route) => void): void {
    this.#routeRemovedListeners.push(listener);
  }

  #removeRoute(username: string, serverName: string): Running | undefined {
    const running = this.#running.get(username, serverName);
    if (running === undefined) return undefined;
    this.#running.delete(username, serverName);
    for (const listener of this.#routeRemovedListeners) listener(running.route);
    return running;
  }

  route(username: string, serverName = ''): Route | undefined {
    return this.#running.get(username, serverName)?.route;
  }

  /**
   * Which server a path `/user/<username>/<segment>/…` belongs to: the named server `segment` when it
   * is running, starting or stopping, else the default server — JupyterHub's longest-prefix routing.
   */
  serverForPath(username: string, segment: string | undefined): string {
    if (segment === undefined || segment === '') return '';
    return this.#running.has(username, segment) || this.#pending.has(username, segment) || this.#stopping.has(username, segment) ? segment : '';
  }

  /** The routes of every running server, named ones included (what the culler sweeps). */
  routes(): Route[] {
    return this.#running.values().map((running) => running.route);
  }

  state(username: string, serverName = ''): ServerState {
    if (this.#stopping.has(username, serverName)) return 'stopping';
    if (this.#pending.has(username, serverName)) return 'pending';
    return this.#running.has(username, serverName) ? 'running' : 'stopped';
  }

  /** Servers running, and pending: starting (launched) plus waiting in line to start. */
  counts(): { running: number; pending: number; starting: number; waiting: number } {
    return { running: this.#running.size, pending: this.#pending.size, starting: this.#line.running, waiting: this.#line.waiting };
  }

  /** The last failed start or unexpected exit since the server's last successful start (undefined: none). */
  lastProblem(username: string, serverName = ''): ServerProblem | undefined {
    return this.#problems.last(username, serverName);
  }

  /** The latest start's progress (live while pending), or undefined if none since the hub started. */
  progress(username: string, serverName = ''): ProgressLog | undefined {
    return this.#progress.get(username, serverName);
  }

  /** The server's latest output, at most `maxBytes`, from the spawner (also after it stopped). */
  readLog(username: string, serverName: string, maxBytes: number): Promise<string> {
    return this.#spawner.readLog({ username, serverName }, maxBytes);
  }

  /**
   * Begins starting a server and returns at once ('pending'); progress() follows it. Beyond
   * concurrentSpawnLimit starts at once it waits in line (first come, first served; its progress
   * tells its place) and startTimeout counts from its turn; a full line (spawnQueueLimit) is a 429.
   * Starting a server that is already starting is not an error: it returns the same 'pending'. A named server
   * (`serverName` not '') needs namedServers.enabled and a valid name; creating one more than
   * namedServers.limitPerUser is refused. `userOptions` (stored with the server) and `overrides`
   * (the chosen profile's changes for the spawner) were checked by resolveUserOptions.
   */
  start(user: UserRow, serverName = '', userOptions: UserOptions = {}, overrides?: SpawnOverrides): 'pending' {
    const name = user.name;
    if (this.#pending.has(name, serverName)) return 'pending';
    if (serverName !== '') requireNamedServerAllowed(this.#deps.config.namedServers, this.#deps.repository, user, serverName);
    if (this.#stopping.has(name, serverName)) throw gatehouseError('GATEHOUSE_ERR_SERVER_PENDING', 'the server is stopping; try again when it has stopped');
    if (this.#running.has(name, serverName)) throw gatehouseError('GATEHOUSE_ERR_SERVER_ALREADY_RUNNING', `${serverLabel(name, serverName)} is already running`);
    requireRoomToStart(this.#deps.config, { ...this.counts(), waitingOfUser: this.#line.waitingOf(name) }, name);
    const { token, sealedToken } = this.#deps.credentials.issue(user, serverName);
    this.#deps.repository.insertPending(user.id, serverName, sealedToken, userOptions);
    const progress = new ProgressLog();
    this.#progress.set(name, serverName, progress);
    progress.push({ progress: 0, message: 'Server requested' });

    const request = this.#resumeRequest(user, serverName, token);
    this.#follow(user, serverName, token, progress, { waitInLine: true }, (onProgress, signal) =>
      this.#spawner.start(
        {
          ...request,
          ...(overrides === undefined ? {} : { overrides }),
          environment: (port) =>
            serverEnvironment({
              username: name,
              serverName,
              apiToken: token,
              hubApiUrl: this.#deps.hubApiUrl(),
              port,
              adminAccess: this.#deps.config.adminAccess,
              extra: this.#deps.userEnvironment(user),
            }),
        },
        onProgress,
        signal,
      ),
    );
    return 'pending';
  }

  /** The parts of a SpawnRequest that need no environment (what `Spawner.resume` takes). */
  #resumeRequest(user: UserRef, serverName: string, token: string): ResumeRequest {
    return {
      username: user.name,
      serverName,
      prefix: servicePrefix(user.name, serverName),
      apiToken: token,
      launched: (handle) => this.#deps.repository.recordLaunch(user.id, serverName, handle),
    };
  }

  /**
   * Tracks a start (new or resumed) as pending until the spawner's promise settles, bounded by
   * startTimeout from the moment it runs; a new start first waits for its turn in the line.
   */
  #follow(
    user: UserRef,
    serverName: string,
    token: string,
    progress: ProgressLog,
    { waitInLine }: { readonly waitInLine: boolean },
    run: (onProgress: ProgressSink, signal: AbortSignal) => Promise<ServerHandle>,
  ): void {
    const name = user.name;
    const abort = new AbortController();
    let timeout: NodeJS.Timeout | undefined;
    const launch = async (): Promise<ServerHandle> => {
      const leaveLine = waitInLine ? await this.#line.enter(name, abort.signal, (ahead) => progress.push({ progress: 0, message: placeInLine(ahead) })) : undefined;
      timeout = setTimeout(
        () => abort.abort(new SpawnError(`the server did not start within ${this.#spawner.startTimeout} seconds`)),
        this.#spawner.startTimeout * 1000,
      );
      timeout.unref();
      try {
        return await run((event) => progress.push({ progress: Math.min(event.progress, 99), message: event.message }), abort.signal);
      } finally {
        leaveLine?.();
      }
    };
    const started = launch();
    const startedAt = performance.now();
    const settled = (outcome: 'ready' | 'failed') => this.#deps.onSpawnSettled?.(outcome, (performance.now() - startedAt) / 1000);
    const done = started.then(
      (handle) => {
        this.#onStarted(user, serverName, token, handle, progress);
        settled('ready');
      },
      (error: unknown) => {
        this.#onStartFailed(user, serverName, error, progress);
        settled('failed');
      },
    );
    const pending = { abort, done: done.finally(() => clearTimeout(timeout)) };
    this.#pending.set(name, serverName, pending);
    void pending.done.finally(() => this.#pending.delete(name, serverName));
  }

  #onStarted(user: UserRef, serverName: string, token: string, handle: ServerHandle, progress: ProgressLog): void {
    const fields = { username: user.name, serverName, port: handle.port };
    if (this.#deps.repository.get(user.id, serverName)?.handle === undefined) {
      // Without launched(), a hub killed mid-start would not know this process after its restart.
      this.#deps.logger.warn({ ...fields, spawner: this.#spawner.kind }, 'the spawner did not report the process through launched() before it was ready');
    }
    this.#deps.repository.markRunning(user.id, serverName, handle);
    this.#running.set(user.name, serverName, this.#runningFor(user, serverName, handle, token));
    this.#problems.clear(user.name, serverName);
    this.#deps.logger.info(fields, 'server started');
    progress.push({ progress: 100, message: 'Server ready', ready: true, url: servicePrefix(user.name, serverName) });
  }

  #onStartFailed(user: UserRef, serverName: string, error: unknown, progress: ProgressLog): void {
    if (error instanceof HubShuttingDown && this.#spawner.resume !== undefined) {
      // Its record stays pending, with its handle, for the next hub to resume (Spawner.resume).
      this.#deps.logger.info({ username: user.name, serverName }, 'hub shutting down; the pending server is left for the next start of the hub');
      return;
    }
    const reason = error instanceof SpawnError ? error.reason : 'the server failed to start (see the hub log)';
    this.#forget(user, serverName);
    if (!this.#cancellations.has(error as object)) this.#problems.record(user.name, serverName, 'start-failed', reason);
    this.#deps.logger.warn({ username: user.name, serverName, reason, err: error instanceof SpawnError ? undefined : error }, 'server failed to start');
    progress.push({ progress: 100, message: `Spawn failed: ${reason}`, failed: true });
  }

  #runningFor(user: UserRef, serverName: string, handle: ServerHandle, token: string | undefined): Running {
    const route: Route = {
      username: user.name,
      userId: user.id,
      serverName,
      host: handle.host,
      port: handle.port,
      authorization: handle.credential === 'token-header' && token !== undefined ? `token ${token}` : undefined,
      readyAt: (this.#deps.now ?? Date.now)(),
    };
    const timeoutMs = this.#deps.config.serverUnresponsiveTimeout * 1000;
    return { route, handle, responsiveness: new Responsiveness(handle.host, handle.port, servicePrefix(user.name, serverName), timeoutMs) };
  }

  /** Waits for a pending start or a stop to finish (tests, and the API's synchronous callers). */
  async settled(username: string, serverName = ''): Promise<ServerState> {
    await this.#pending.get(username, serverName)?.done;
    await this.#stopping.get(username, serverName);
    return this.state(username, serverName);
  }

  /** Stops one server (aborting a pending start); resolves when it is gone. No-op when stopped. */
  async stop(user: UserRef, serverName = ''): Promise<void> {
    const pending = this.#pending.get(user.name, serverName);
    if (pending !== undefined) {
      const cancelled = new SpawnError('the start was cancelled');
      this.#cancellations.add(cancelled);
      pending.abort.abort(cancelled);
      await pending.done;
    }
    const inFlight = this.#stopping.get(user.name, serverName);
    if (inFlight !== undefined) return inFlight;
    const running = this.#removeRoute(user.name, serverName); // no new traffic from this moment
    if (running === undefined) return;
    return this.#stopHandle(user, serverName, running.handle);
  }

  /** Stops every server of the user (before the user is deleted). */
  async stopAll(user: UserRef): Promise<void> {
    const names = new Set([...this.#running.namesOf(user.name), ...this.#pending.namesOf(user.name), ...this.#stopping.namesOf(user.name)]);
    await Promise.all([...names].map((serverName) => this.stop(user, serverName)));
  }

  /** Stops a named server and forgets its record (JupyterHub's `DELETE … {"remove": true}`). */
  async remove(user: UserRef, serverName: string): Promise<void> {
    await this.stop(user, serverName);
    this.#deps.repository.remove(user.id, serverName);
    this.#problems.clear(user.name, serverName);
    this.#progress.delete(user.name, serverName);
  }

  /** 'stopping' (its port still claimed) until the spawner says the server is gone, then forgotten. */
  #stopHandle(user: UserRef, serverName: string, handle: ServerHandle): Promise<void> {
    this.#deps.repository.markStopping(user.id, serverName);
    const stopping = this.#spawner
      .stop(handle)
      .catch((error: unknown) => this.#deps.logger.error({ username: user.name, serverName, err: error }, 'stopping the server failed'))
      .finally(() => {
        this.#forget(user, serverName);
        this.#stopping.delete(user.name, serverName);
        this.#deps.logger.info({ username: user.name, serverName }, 'server stopped');
      });
    this.#stopping.set(user.name, serverName, stopping);
    return stopping;
  }

  #forget(user: UserRef, serverName: string): void {
    this.#deps.repository.markStopped(user.id, serverName);
    this.#deps.credentials.revoke(user, serverName);
  }

  /**
   * After a hub restart: re-attach to servers still running (same process, same port), forget
   * the ones that died while the hub was down, and end in the background (so the hub listens at
   * once) the starts the old hub left pending and the stops it did not finish: those show
   * 'stopping', their ports claimed, until they are gone.
   */
  async restore(): Promise<void> {
    const { repository, logger, credentials } = this.#deps;
    for (const row of repository.all()) {
      if (row.status === 'stopped') continue;
      const user = { id: row.userId, name: row.username };
      const fields = { username: row.username, serverName: row.serverName, status: row.status, port: row.handle?.port };
      const alive = row.handle !== undefined && (await this.#spawner.poll(row.handle)) === 'running';
      if (alive && row.handle !== undefined && row.status === 'running') {
        const token = row.sealedToken === null ? undefined : credentials.open(row.sealedToken);
        this.#running.set(row.username, row.serverName, this.#runningFor(user, row.serverName, row.handle, token));
        logger.info(fields, 're-attached to running server');
        continue;
      }
      const resume = this.#spawner.resume?.bind(this.#spawner);
      const token = row.sealedToken === null ? undefined : credentials.open(row.sealedToken);
      if (alive && row.handle !== undefined && row.status === 'pending' && resume !== undefined && token !== undefined) {
        // A queued batch job outlives its hub by design: follow it again (Spawner.resume).
        const handle = row.handle;
        const progress = new ProgressLog();
        this.#progress.set(row.username, row.serverName, progress);
        this.#follow(user, row.serverName, token, progress, { waitInLine: false }, (onProgress, signal) => resume(handle, this.#resumeRequest(user, row.serverName, token), onProgress, signal));
        logger.info(fields, 'following a pending server again after a restart');
        continue;
      }
      if (alive && row.handle !== undefined) {
        logger.warn(fields, 'stopping a server the previous hub left pending or stopping');
        void this.#stopHandle(user, row.serverName, row.handle);
        continue;
      }
      if (row.handle !== undefined) await this.#releaseGone(row.handle, fields);
      this.#forget(user, row.serverName);
      logger.warn(fields, 'server found stopped after restart; route removed');
    }
    repository.releaseOrphanedPorts();
  }

  /** A server found gone: its spawner still owns the port claim, and stop() releases it. */
  async #releaseGone(handle: ServerHandle, fields: Record<string, unknown>): Promise<void> {
    await this.#spawner.stop(handle).catch((error: unknown) => this.#deps.logger.error({ ...fields, err: error }, 'releasing a gone server failed'));
  }

  /**
   * One liveness check of every running server: dead ones lose their route at once; live ones get
   * an HTTP probe, and one that has not answered for serverUnresponsiveTimeout is stopped.
   */
  async pollOnce(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      for (const [username, serverName, running] of this.#running.entries()) {
        const alive = (await this.#spawner.poll(running.handle)) === 'running';
        if (this.#running.get(username, serverName) !== running) continue; // stopped meanwhile
        if (alive) {
          this.#stopIfSilent(running);
          continue;
        }
        this.#removeRoute(username, serverName);
        const user = { id: running.route.userId, name: username };
        await this.#releaseGone(running.handle, { username, serverName });
        this.#forget(user, serverName);
        this.#problems.record(username, serverName, 'exited', await this.#exitReason(username, serverName));
        this.#deps.logger.warn({ username, serverName, port: running.handle.port }, 'server exited; route removed');
      }
    } finally {
      this.#polling = false;
    }
  }

  /** "The server exited while it was running", with its last output lines when the log has any. */
  async #exitReason(username: string, serverName: string): Promise<string> {
    let output = '';
    try {
      output = lastLines(await this.readLog(username, serverName, EXIT_OUTPUT_BYTES), EXIT_OUTPUT_LINES);
    } catch {
      // no log to quote
    }
    return `The server exited while it was running. ${output.trim() === '' ? 'It wrote nothing.' : `Its last output:\n${output}`}`;
  }

  #stopIfSilent(running: Running): void {
    const silentSeconds = running.responsiveness.silentFor();
    if (silentSeconds === undefined) return running.responsiveness.probe();
    const { username, userId, serverName, port } = running.route;
    this.#deps.logger.warn({ username, serverName, port, silentSeconds }, 'server alive but not answering HTTP; stopping it (serverUnresponsiveTimeout)');
    this.#removeRoute(username, serverName);
    this.#problems.record(username, serverName, 'exited', `The server stopped answering for ${Math.round(silentSeconds)} seconds, so the hub stopped it.`);
    void this.#stopHandle({ id: userId, name: username }, serverName, running.handle);
  }

  startPolling(): void {
    this.#pollTimer = setInterval(() => {
      this.pollOnce().catch((error: unknown) => this.#deps.logger.error({ err: error }, 'server poll failed'));
    }, this.#deps.config.serverPollInterval * 1000);
    this.#pollTimer.unref();
  }

  /** Hub shutdown: stop polling, cancel pending starts, and stop servers if configured to. */
  async close(): Promise<void> {
    clearInterval(this.#pollTimer);
    const pending = this.#pending.values();
    for (const start of pending) {
      const shutdown = new HubShuttingDown();
      this.#cancellations.add(shutdown);
      start.abort.abort(shutdown);
    }
    // Running servers get their SIGTERM now, alongside the cancelled starts, not after them.
    const stopRunning = () =>
      this.#deps.config.stopServersOnShutdown
        ? Promise.allSettled(this.#running.values().map(({ route }) => this.stop({ id: route.userId, name: route.username }, route.serverName)))
        : Promise.resolve([]);
    // allSettled: one start whose bookkeeping failed must not leave every other server running.
    await Promise.allSettled([...pending.map((start) => start.done), stopRunning()]);
    await Promise.allSettled(this.#stopping.values());
    // A start that answered just before its cancellation landed is running now: stop it too.
    await stopRunning();
  }
}
