import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { boundLogFile, HubShuttingDown, lastLines, readLogSince, SpawnError, type ProgressSink, type ResumeRequest, type ServerHandle, type Spawner } from '@gatehouse/spawner';
import type { GatehouseConfig } from '../config/schema.ts';
import type { UserRow } from '../db/users.ts';
import { gatehouseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SecretBox } from '../secret-box.ts';
import type { OAuthStore } from '../oauth/oauth-store.ts';
import type { TokenStore } from '../tokens/token-store.ts';
import { oauthCallbackPath, oauthClientId, serverEnvironment, servicePrefix } from './environment.ts';
import { ServerProblems, type ServerProblem } from './problems.ts';
import { ProgressLog } from './progress.ts';
import { Responsiveness } from './responsiveness.ts';
import type { ServerRepository } from './server-repository.ts';

/** What the proxy needs to forward to a running server; looked up once per request, in memory. */
export interface Route {
  readonly username: string;
  readonly userId: number;
  readonly host: string;
  readonly port: number;
  /** `token <server token>` for servers that expect the proxy to authenticate; undefined otherwise. */
  readonly authorization: string | undefined;
}

export type ServerState = 'stopped' | 'pending' | 'running' | 'stopping';

export interface ServerManagerDeps {
  readonly config: GatehouseConfig;
  readonly logger: Logger;
  readonly repository: ServerRepository;
  readonly tokens: TokenStore;
  readonly oauth: OAuthStore;
  readonly box: SecretBox;
  readonly dataDir: string;
  /** The hub's own API URL as servers reach it; known once the hub listens. */
  readonly hubApiUrl: () => string;
  /** Told how each start ended and how long it took (metrics). */
  readonly onSpawnSettled?: (outcome: 'ready' | 'failed', seconds: number) => void;
  /** Extra environment for a user's server (the authenticator's user-data mapping). */
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

/** Lines of a server's output quoted when it exits by itself. */
const EXIT_OUTPUT_LINES = 10;

/** Seconds a client should wait before retrying when the spawn limit is reached. */
const SPAWN_RETRY_AFTER_SECONDS = 10;

/**
 * Owns the life cycle of users' servers: start (with limits, a fresh server token, progress),
 * stop, the routes the proxy uses, liveness polling, and re-attaching after a hub restart.
 * The database is the record; the in-memory maps are the fast path for the proxy.
 */
export class ServerManager {
  readonly #deps: ServerManagerDeps;
  readonly #spawner: Spawner;
  readonly #running = new Map<string, Running>();
  readonly #pending = new Map<string, PendingStart>();
  readonly #stopping = new Map<string, Promise<void>>();
  readonly #progress = new Map<string, ProgressLog>();
  readonly #routeRemovedListeners: Array<(route: Route) => void> = [];
  readonly #problems: ServerProblems;
  /** Aborts that a person asked for (Cancel, Stop, shutdown): not a failure to report. */
  readonly #cancellations = new WeakSet<object>();
  #pollTimer: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(deps: ServerManagerDeps) {
    this.#deps = deps;
    this.#spawner = deps.config.spawner;
    this.#problems = new ServerProblems(deps.now ?? Date.now);
    mkdirSync(this.#logDir, { recursive: true, mode: 0o700 });
  }

  get #logDir(): string {
    return path.join(this.#deps.dataDir, 'logs');
  }

  /** The file a user's server writes its output to (bounded by serverLogMaxBytes). */
  logFileFor(username: string): string {
    return path.join(this.#logDir, `${encodeURIComponent(username)}.log`);
  }

  /** Called whenever a route goes away (stop, exit), so the proxy can close its connection pool. */
  onRouteRemoved(listener: (route: Route) => void): void {
    this.#routeRemovedListeners.push(listener);
  }

  #removeRoute(username: string): Running | undefined {
    const running = this.#running.get(username);
    if (running === undefined) return undefined;
    this.#running.delete(username);
    for (const listener of this.#routeRemovedListeners) listener(running.route);
    return running;
  }

  route(username: string): Route | undefined {
    return this.#running.get(username)?.route;
  }

  state(username: string): ServerState {
    if (this.#stopping.has(username)) return 'stopping';
    if (this.#pending.has(username)) return 'pending';
    return this.#running.has(username) ? 'running' : 'stopped';
  }

  counts(): { running: number; pending: number } {
    return { running: this.#running.size, pending: this.#pending.size };
  }

  /** The last failed start or unexpected exit since the last successful start (undefined: none). */
  lastProblem(username: string): ServerProblem | undefined {
    return this.#problems.last(username);
  }

  /** The latest start's progress (live while pending), or undefined if none since the hub started. */
  progress(username: string): ProgressLog | undefined {
    return this.#progress.get(username);
  }

  /**
   * Begins starting `user`'s server and returns at once ('pending'); progress() follows it.
   * Starting a server that is already starting is not an error: it returns the same 'pending'.
   */
  start(user: UserRow): 'pending' {
    const name = user.name;
    if (this.#pending.has(name)) return 'pending';
    if (this.#stopping.has(name)) throw gatehouseError('GATEHOUSE_ERR_SERVER_PENDING', 'the server is stopping; try again when it has stopped');
    if (this.#running.has(name)) throw gatehouseError('GATEHOUSE_ERR_SERVER_ALREADY_RUNNING', `${name}'s server is already running`);
    const { concurrentSpawnLimit, activeServerLimit } = this.#deps.config;
    if (this.#pending.size >= concurrentSpawnLimit) {
      throw gatehouseError('GATEHOUSE_ERR_SPAWN_LIMIT', undefined, { details: { retryAfterSeconds: SPAWN_RETRY_AFTER_SECONDS } });
    }
    if (activeServerLimit > 0 && this.#running.size + this.#pending.size >= activeServerLimit) {
      throw gatehouseError('GATEHOUSE_ERR_ACTIVE_SERVER_LIMIT', `the hub runs at most ${activeServerLimit} servers at once`, {
        details: { retryAfterSeconds: SPAWN_RETRY_AFTER_SECONDS * 3 },
      });
    }
    const { tokens, repository, box } = this.#deps;
    tokens.revokeAllFor(user.id, ['server']);
    const { token } = tokens.mint({
      userId: user.id,
      kind: 'server',
      serverName: '',
      scopes: [`users:activity!user=${name}`, `access:servers!server=${name}/`, `read:users!user=${name}`],
      note: 'server token',
    });
    repository.insertPending(user.id, box.seal(token));
    this.#deps.oauth.registerClient(oauthClientId(name), user.id, token, oauthCallbackPath(name));
    const progress = new ProgressLog();
    this.#progress.set(name, progress);
    progress.push({ progress: 0, message: 'Server requested' });

    const request = this.#resumeRequest(user, token);
    this.#follow(user, token, progress, (onProgress, signal) =>
      this.#spawner.start(
        {
          ...request,
          environment: (port) =>
          serverEnvironment({
            username: name,
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
  #resumeRequest(user: Pick<UserRow, 'id' | 'name'>, token: string): ResumeRequest {
    return {
      username: user.name,
      serverName: '',
      prefix: servicePrefix(user.name),
      apiToken: token,
      logFile: this.logFileFor(user.name),
      launched: (handle) => this.#deps.repository.recordLaunch(user.id, handle),
    };
  }

  /** Tracks a start (new or resumed) as pending until the spawner's promise settles, bounded by startTimeout. */
  #follow(user: Pick<UserRow, 'id' | 'name'>, token: string, progress: ProgressLog, run: (onProgress: ProgressSink, signal: AbortSignal) => Promise<ServerHandle>): void {
    const name = user.name;
    const abort = new AbortController();
    const timeout = setTimeout(
      () => abort.abort(new SpawnError(`the server did not start within ${this.#spawner.startTimeout} seconds`)),
      this.#spawner.startTimeout * 1000,
    );
    timeout.unref();
    const started = run((event) => progress.push({ progress: Math.min(event.progress, 99), message: event.message }), abort.signal);
    const startedAt = performance.now();
    const settled = (outcome: 'ready' | 'failed') => this.#deps.onSpawnSettled?.(outcome, (performance.now() - startedAt) / 1000);
    const done = started.then(
      (handle) => {
        this.#onStarted(user, token, handle, progress);
        settled('ready');
      },
      (error: unknown) => {
        this.#onStartFailed(user, error, progress);
        settled('failed');
      },
    );
    const pending = { abort, done: done.finally(() => clearTimeout(timeout)) };
    this.#pending.set(name, pending);
    void pending.done.finally(() => this.#pending.delete(name));
  }

  #onStarted(user: Pick<UserRow, 'id' | 'name'>, token: string, handle: ServerHandle, progress: ProgressLog): void {
    if (this.#deps.repository.get(user.id)?.handle === undefined) {
      // Without launched(), a hub killed mid-start would not know this process after its restart.
      this.#deps.logger.warn({ username: user.name, spawner: this.#spawner.kind }, 'the spawner did not report the process through launched() before it was ready');
    }
    this.#deps.repository.markRunning(user.id, handle);
    this.#running.set(user.name, this.#runningFor(user, handle, token));
    this.#problems.clear(user.name);
    this.#deps.logger.info({ username: user.name, port: handle.port }, 'server started');
    progress.push({ progress: 100, message: 'Server ready', ready: true, url: servicePrefix(user.name) });
  }

  #onStartFailed(user: Pick<UserRow, 'id' | 'name'>, error: unknown, progress: ProgressLog): void {
    if (error instanceof HubShuttingDown && this.#spawner.resume !== undefined) {
      // Its record stays pending, with its handle, for the next hub to resume (Spawner.resume).
      this.#deps.logger.info({ username: user.name }, 'hub shutting down; the pending server is left for the next start of the hub');
      return;
    }
    const reason = error instanceof SpawnError ? error.reason : 'the server failed to start (see the hub log)';
    this.#forget(user.id);
    if (!this.#cancellations.has(error as object)) this.#problems.record(user.name, 'start-failed', reason);
    this.#deps.logger.warn({ username: user.name, reason, err: error instanceof SpawnError ? undefined : error }, 'server failed to start');
    progress.push({ progress: 100, message: `Spawn failed: ${reason}`, failed: true });
  }

  #runningFor(user: { id: number; name: string }, handle: ServerHandle, token: string | undefined): Running {
    const route: Route = {
      username: user.name,
      userId: user.id,
      host: handle.host,
      port: handle.port,
      authorization: handle.credential === 'token-header' && token !== undefined ? `token ${token}` : undefined,
    };
    const timeoutMs = this.#deps.config.serverUnresponsiveTimeout * 1000;
    return { route, handle, responsiveness: new Responsiveness(handle.host, handle.port, servicePrefix(user.name), timeoutMs) };
  }

  /** Waits for a pending start to finish (tests, and the API's synchronous callers). */
  async settled(username: string): Promise<ServerState> {
    await this.#pending.get(username)?.done;
    await this.#stopping.get(username);
    return this.state(username);
  }

  /** Stops the server (aborting a pending start); resolves when it is gone. No-op when stopped. */
  async stop(user: Pick<UserRow, 'id' | 'name'>): Promise<void> {
    const name = user.name;
    const pending = this.#pending.get(name);
    if (pending !== undefined) {
      const cancelled = new SpawnError('the start was cancelled');
      this.#cancellations.add(cancelled);
      pending.abort.abort(cancelled);
      await pending.done;
    }
    const inFlight = this.#stopping.get(name);
    if (inFlight !== undefined) return inFlight;
    const running = this.#removeRoute(name); // no new traffic from this moment
    if (running === undefined) return;
    return this.#stopHandle(user, running.handle);
  }

  /** 'stopping' (its port still claimed) until the spawner says the server is gone, then forgotten. */
  #stopHandle(user: Pick<UserRow, 'id' | 'name'>, handle: ServerHandle): Promise<void> {
    this.#deps.repository.markStopping(user.id);
    const stopping = this.#spawner
      .stop(handle)
      .catch((error: unknown) => this.#deps.logger.error({ username: user.name, err: error }, 'stopping the server failed'))
      .finally(() => {
        this.#forget(user.id);
        this.#stopping.delete(user.name);
        this.#deps.logger.info({ username: user.name }, 'server stopped');
      });
    this.#stopping.set(user.name, stopping);
    return stopping;
  }

  #forget(userId: number): void {
    this.#deps.repository.delete(userId);
    this.#deps.tokens.revokeAllFor(userId, ['server']);
    this.#deps.oauth.removeClientsOf(userId);
  }

  /**
   * After a hub restart: re-attach to servers still running (same process, same port), forget
   * the ones that died while the hub was down, and end in the background (so the hub listens at
   * once) the starts the old hub left pending and the stops it did not finish: those show
   * 'stopping', their ports claimed, until they are gone.
   */
  async restore(): Promise<void> {
    const { repository, box, logger } = this.#deps;
    for (const row of repository.all()) {
      const user = { id: row.userId, name: row.username };
      const alive = row.handle !== undefined && (await this.#spawner.poll(row.handle)) === 'running';
      if (alive && row.handle !== undefined && row.status === 'running') {
        const token = row.sealedToken === null ? undefined : box.open(row.sealedToken);
        this.#running.set(row.username, this.#runningFor(user, row.handle, token));
        logger.info({ username: row.username, port: row.handle.port }, 're-attached to running server');
        continue;
      }
      const resume = this.#spawner.resume?.bind(this.#spawner);
      const token = row.sealedToken === null ? undefined : box.open(row.sealedToken);
      if (alive && row.handle !== undefined && row.status === 'pending' && resume !== undefined && token !== undefined) {
        // A queued batch job outlives its hub by design: follow it again (Spawner.resume).
        const handle = row.handle;
        const progress = new ProgressLog();
        this.#progress.set(row.username, progress);
        this.#follow(user, token, progress, (onProgress, signal) => resume(handle, this.#resumeRequest(user, token), onProgress, signal));
        logger.info({ username: row.username }, 'following a pending server again after a restart');
        continue;
      }
      if (alive && row.handle !== undefined) {
        logger.warn({ username: row.username, status: row.status, port: row.handle.port }, 'stopping a server the previous hub left pending or stopping');
        void this.#stopHandle(user, row.handle);
        continue;
      }
      if (row.handle !== undefined) repository.release(row.handle.port);
      this.#forget(row.userId);
      logger.warn({ username: row.username, status: row.status }, 'server found stopped after restart; route removed');
    }
    repository.releaseOrphanedPorts();
  }

  /**
   * One liveness check of every running server: dead ones lose their route at once; live ones get
   * an HTTP probe, and one that has not answered for serverUnresponsiveTimeout is stopped.
   */
  async pollOnce(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      for (const [name, running] of [...this.#running]) {
        this.#boundLog(name);
        const alive = (await this.#spawner.poll(running.handle)) === 'running';
        if (this.#running.get(name) !== running) continue; // stopped meanwhile
        if (alive) {
          this.#stopIfSilent(running);
          continue;
        }
        this.#removeRoute(name);
        this.#deps.repository.release(running.handle.port);
        this.#forget(running.route.userId);
        this.#problems.record(name, 'exited', this.#exitReason(name));
        this.#deps.logger.warn({ username: name, port: running.handle.port }, 'server exited; route removed');
      }
      for (const name of this.#pending.keys()) this.#boundLog(name);
    } finally {
      this.#polling = false;
    }
  }

  /** "The server exited while it was running", with its last output lines when the log has any. */
  #exitReason(username: string): string {
    let output = '';
    try {
      output = lastLines(readLogSince(this.logFileFor(username), 0), EXIT_OUTPUT_LINES);
    } catch {
      // no log to quote
    }
    return `The server exited while it was running. ${output.trim() === '' ? 'It wrote nothing.' : `Its last output:\n${output}`}`;
  }

  #stopIfSilent(running: Running): void {
    const silentSeconds = running.responsiveness.silentFor();
    if (silentSeconds === undefined) return running.responsiveness.probe();
    const { username, userId, port } = running.route;
    this.#deps.logger.warn({ username, port, silentSeconds }, 'server alive but not answering HTTP; stopping it (serverUnresponsiveTimeout)');
    this.#removeRoute(username);
    this.#problems.record(username, 'exited', `The server stopped answering for ${Math.round(silentSeconds)} seconds, so the hub stopped it.`);
    void this.#stopHandle({ id: userId, name: username }, running.handle);
  }

  /** Keeps a server's log within serverLogMaxBytes; one unreadable file must not stop the poll. */
  #boundLog(username: string): void {
    try {
      boundLogFile(this.logFileFor(username), this.#deps.config.serverLogMaxBytes);
    } catch (error) {
      this.#deps.logger.warn({ username, err: error }, 'could not bound the server log');
    }
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
    for (const pending of this.#pending.values()) {
      const shutdown = new HubShuttingDown();
      this.#cancellations.add(shutdown);
      pending.abort.abort(shutdown);
    }
    await Promise.all([...this.#pending.values()].map((pending) => pending.done));
    await Promise.all(this.#stopping.values());
    if (this.#deps.config.stopServersOnShutdown) {
      await Promise.all([...this.#running.values()].map((running) => this.stop({ id: running.route.userId, name: running.route.username })));
    }
  }
}
