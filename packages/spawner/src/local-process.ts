import path from 'node:path';
import { hubAccount, systemAccount, type ServerAccount } from './account.ts';
import { launchCommand, planIsolation, prepareWorkspace, type IsolationPlan, type Workspace } from './isolation.ts';
import {
  resolveLocalProcessOptions,
  type LocalProcessSpawnerOptions,
  type ResolvedLocalProcessOptions,
  withOverrides,
} from './local-process-options.ts';
import { boundLogFile, lastLines, mentionsAddressInUse, openLogFile, readLogSince, serverLogFile } from './log-file.ts';
import { claimPort, LOOPBACK } from './port-allocation.ts';
import { isGroupAlive, terminateGroup, type ProcessIdentity } from './process-group.ts';
import { isSameLiveProcess } from './process-table.ts';
import { demoAppPath } from './server-presets.ts';
import { waitForHttp } from './readiness.ts';
import { describeExit, launchServerProcess, type ServerChild, type ServerLauncher } from './server-process.ts';
import {
  SpawnError,
  type JsonObject,
  type ProgressSink,
  type ServerHandle,
  type ServerIsolation,
  type ServerRef,
  type SpawnRequest,
  type Spawner,
  type SpawnerHost,
} from './types.ts';

export { demoAppPath };

const SERVER_HOST = LOOPBACK;
/** SpawnerHost.serverLogMaxBytes when the host gives none. */
const DEFAULT_LOG_MAX_BYTES = 1024 * 1024;
/** Starts on another port after a server reports its port taken (a race the pre-check cannot close). */
const MAX_PORT_ATTEMPTS = 5;
const FALLBACK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const LOG_LINES_IN_ERRORS = 15;

/** Why one attempt did not produce a running server, when that is worth another port. */
type AttemptResult = { readonly handle: ServerHandle } | { readonly portTaken: true };

/** Reads `ServerHandle.state` back, whatever JSON round trips it went through. */
function processIdentity(state: JsonObject): ProcessIdentity | undefined {
  const { pid, pgid, startTime } = state;
  const valid = [pid, pgid, startTime].every((value) => typeof value === 'number' && Number.isInteger(value) && value > 0);
  return valid ? { pid: pid as number, pgid: pgid as number, startTime: startTime as number, launcherLeads: state['sandboxed'] === true } : undefined;
}

/** A detached child leads its own process group, so its pgid is its pid; a sandboxed one is bwrap. */
function identityOf(child: ServerChild, sandboxed: boolean): ProcessIdentity {
  return { pid: child.pid, pgid: child.pid, startTime: child.startTime, launcherLeads: sandboxed };
}

/**
 * JupyterHub's LocalProcessSpawner: one local process per server, on a port claimed in the hub's
 * database, in its own process group, optionally as the user's system account. Its handle state
 * `{pid, pgid, startTime, sandboxed, logFile}` lets any later hub process poll and stop it.
 */
export class LocalProcessSpawner implements Spawner {
  readonly kind = 'local-process';
  /** What the servers are, in words for the start banner; presets say more. */
  readonly description: string;
  readonly startTimeout: number;
  readonly #options: ResolvedLocalProcessOptions;
  #host: SpawnerHost | undefined;
  #plan: IsolationPlan | undefined;
  /** Children of the launcher by pid: stop() waits for it to reap them, so no zombie is left. */
  readonly #children = new Map<number, ServerChild>();
  readonly #launcher: ServerLauncher | undefined;

  /** `launcher`: where the fork/exec happens; the hub's process launcher unless a measurement says otherwise. */
  constructor(options: LocalProcessSpawnerOptions = {}, launcher?: ServerLauncher) {
    this.#options = resolveLocalProcessOptions(options);
    this.#launcher = launcher;
    this.startTimeout = this.#options.startTimeout;
    const program = this.#options.command?.[0];
    this.description = program === undefined ? 'the bundled demo app' : `${path.basename(program)}, one local process per user`;
  }

  async init(host: SpawnerHost): Promise<void> {
    this.#plan = await planIsolation(this.#options, host, hubAccount());
    this.#host = host;
  }

  get isolation(): ServerIsolation | undefined {
    return this.#plan?.isolation;
  }

  async start(request: SpawnRequest, onProgress: ProgressSink, signal: AbortSignal): Promise<ServerHandle> {
    const host = this.#requireHost();
    try {
      return await this.#startOnFreePort(host, request, onProgress, signal);
    } catch (error) {
      const failure = error instanceof SpawnError ? error : new SpawnError(`Unexpected failure: ${String(error)}`, { cause: error });
      host.logger.warn({ user: request.username, reason: failure.reason.split('\n')[0] }, 'server failed to start');
      throw failure;
    }
  }

  /** Also keeps the server's log within serverLogMaxBytes: the hub polls every running server every few seconds. */
  async poll(handle: ServerHandle): Promise<'running' | 'stopped'> {
    const identity = processIdentity(handle.state);
    if (identity === undefined) return 'stopped';
    const alive = await isGroupAlive(identity);
    if (alive) this.#boundLog(handle.state['logFile']);
    return alive ? 'running' : 'stopped';
  }

  /** Where a server's output goes (log-file.ts serverLogFile); local to this spawner. */
  logFileFor(server: ServerRef): string {
    return serverLogFile(this.#requireHost().dataDir, server);
  }

  #logDir(): string {
    return path.join(this.#requireHost().dataDir, 'logs');
  }

  async readLog(server: ServerRef, maxBytes: number): Promise<string> {
    return readLogSince(this.logFileFor(server), 0, maxBytes);
  }

  /** One unreadable file must not fail the poll: the server is fine, only its log grows. */
  #boundLog(file: unknown): void {
    // A handle from before logs were recorded in it has none; only a file of ours is ever truncated.
    if (typeof file !== 'string' || path.dirname(file) !== this.#logDir()) return;
    try {
      boundLogFile(file, this.#host?.serverLogMaxBytes ?? DEFAULT_LOG_MAX_BYTES);
    } catch (error) {
      this.#host?.logger.warn({ err: error }, 'could not bound the server log');
    }
  }

  async stop(handle: ServerHandle): Promise<void> {
    const host = this.#requireHost();
    const identity = processIdentity(handle.state);
    if (identity === undefined) {
      host.logger.warn({ port: handle.port }, 'server handle has no usable process state; nothing to stop');
    } else {
      await terminateGroup(identity, this.#options.stopGracePeriod * 1000, this.#reapedCheck(identity));
    }
    host.ports.release(handle.host, handle.port);
  }

  /** Claims a port and starts there; a server that finds its port taken gets another one. */
  async #startOnFreePort(host: SpawnerHost, request: SpawnRequest, onProgress: ProgressSink, signal: AbortSignal): Promise<ServerHandle> {
    const startSignal = AbortSignal.any([signal, AbortSignal.timeout(this.startTimeout * 1000)]);
    const account = this.#options.systemUsers ? await systemAccount(request.username) : hubAccount();
    const options = withOverrides(this.#options, request.overrides);
    const workspace = await prepareWorkspace(this.#requirePlan(), options, account, request.username);
    const portsTaken = new Set<number>();
    for (let attempt = 1; attempt <= MAX_PORT_ATTEMPTS; attempt++) {
      this.#throwIfAborted(signal, startSignal);
      const port = await claimPort(this.#options.portRange, host.ports, request.username, portsTaken);
      if (port === undefined) {
        const [min, max] = this.#options.portRange;
        throw new SpawnError(`No free port left in spawner.portRange [${min}, ${max}]`);
      }
      onProgress({ progress: 10, message: `Allocated port ${port}` });
      const result = await this.#attempt(request, options, port, account, workspace, onProgress, { signal, startSignal }).catch((error: unknown) => {
        host.ports.release(SERVER_HOST, port);
        throw error;
      });
      if ('handle' in result) return result.handle;
      host.ports.release(SERVER_HOST, port);
      portsTaken.add(port);
      host.logger.info({ user: request.username, port, attempt }, 'port was taken by another process; trying another');
    }
    throw new SpawnError(`The server reported its port in use ${MAX_PORT_ATTEMPTS} times; is another program grabbing ports in spawner.portRange?`);
  }

  /** One process on one claimed port: started, then ready, or cleaned up and explained. */
  async #attempt(
    request: SpawnRequest,
    options: ResolvedLocalProcessOptions,
    port: number,
    account: ServerAccount,
    workspace: Workspace,
    onProgress: ProgressSink,
    signals: { readonly signal: AbortSignal; readonly startSignal: AbortSignal },
  ): Promise<AttemptResult> {
    const logFile = this.logFileFor(request);
    const log = await openLogFile(logFile).catch((error: unknown) => {
      throw new SpawnError(`Cannot open the server log ${logFile}: ${(error as Error).message}`, { cause: error });
    });
    await log.handle.close(); // the launcher opens it again by path
    const argv = await launchCommand(this.#requirePlan(), workspace, [...(options.command ?? [process.execPath, demoAppPath]), ...options.args]);
    // Aborted while the log and the sandbox were prepared: start nothing only to kill it again.
    this.#throwIfAborted(signals.signal, signals.startSignal);
    const child = await launchServerProcess(
      {
        argv,
        env: this.#environment(request, options.env, port, account, workspace.home),
        cwd: workspace.cwd,
        ...(account.uid === undefined ? {} : { uid: account.uid, gid: account.gid }),
        logFile,
      },
      this.#launcher,
    );
    this.#track(child);
    const identity = identityOf(child, this.#plan?.bwrap !== undefined);
    try {
      request.launched(this.#handle(port, identity, logFile)); // recorded before the command may run
      child.release();
      return await this.#readyOrExplained(request, port, child, onProgress, signals, { file: logFile, startOffset: log.startOffset });
    } catch (error) {
      // Whatever went wrong, no process may outlive a failed start.
      await terminateGroup(identity, this.#options.stopGracePeriod * 1000, this.#reapedCheck(identity));
      throw error;
    }
  }

  /** Waits for the first HTTP answer; on failure ends the process and says why, from its own output. */
  async #readyOrExplained(
    request: SpawnRequest,
    port: number,
    child: ServerChild,
    onProgress: ProgressSink,
    signals: { readonly signal: AbortSignal; readonly startSignal: AbortSignal },
    log: { readonly file: string; readonly startOffset: number },
  ): Promise<AttemptResult> {
    const identity = identityOf(child, this.#plan?.bwrap !== undefined);
    onProgress({ progress: 30, message: `Process started (pid ${child.pid})` });
    this.#host?.logger.info({ user: request.username, port, pid: child.pid }, 'server process started');
    const childGone = new AbortController();
    void child.exited.then(() => childGone.abort());
    const url = `http://${SERVER_HOST}:${port}${request.prefix}`;
    const answered = await waitForHttp(url, this.#options.httpTimeout * 1000, AbortSignal.any([signals.startSignal, childGone.signal]));
    // Something answered, but if our process is gone it was someone else on this port.
    if (answered && (await isSameLiveProcess(child.pid, child.startTime))) {
      onProgress({ progress: 100, message: 'Server ready' });
      this.#host?.logger.info({ user: request.username, port, pid: child.pid }, 'server ready');
      return { handle: this.#handle(port, identity, log.file) };
    }

    const exitedByItself = child.exit; // read before terminateGroup, which makes every child exit
    await terminateGroup(identity, this.#options.stopGracePeriod * 1000, this.#reapedCheck(identity));
    const output = readLogSince(log.file, log.startOffset);
    if (exitedByItself !== undefined && mentionsAddressInUse(output)) return { portTaken: true };
    this.#throwIfAborted(signals.signal, signals.startSignal);
    const outputLines = output.trim() === '' ? 'It wrote nothing.' : `Its last output:\n${lastLines(output, LOG_LINES_IN_ERRORS)}`;
    if (exitedByItself !== undefined) {
      throw new SpawnError(`The server ${describeExit(exitedByItself)} before it answered. ${outputLines}`);
    }
    throw new SpawnError(
      `The server did not answer at ${url} within spawner.httpTimeout (${this.#options.httpTimeout} s). ${outputLines}`,
    );
  }

  #handle(port: number, identity: ProcessIdentity, logFile: string): ServerHandle {
    const state: JsonObject = { pid: identity.pid, pgid: identity.pgid, startTime: identity.startTime, sandboxed: identity.launcherLeads === true, logFile };
    return { host: SERVER_HOST, port, credential: this.#options.credential, state };
  }

  /** JUPYTERHUB_* from the hub win over the configured `env` (with a profile's merged in); USER names the account, HOME the server's home. */
  #environment(request: SpawnRequest, env: Readonly<Record<string, string>>, port: number, account: ServerAccount, home: string): Record<string, string> {
    return {
      PATH: process.env['PATH'] ?? FALLBACK_PATH,
      ...env,
      ...request.environment(port),
      USER: account.name,
      HOME: home,
    };
  }

  #track(child: ServerChild): void {
    this.#children.set(child.pid, child);
    void child.exited.then(() => {
      if (this.#children.get(child.pid) === child) this.#children.delete(child.pid);
    });
  }

  /** For our own children, "gone" also means reaped; a re-attached server is reaped by its parent. */
  #reapedCheck(identity: ProcessIdentity): (() => boolean) | undefined {
    const child = this.#children.get(identity.pid);
    if (child === undefined || child.startTime !== identity.startTime) return undefined;
    return () => child.exit !== undefined;
  }

  #throwIfAborted(signal: AbortSignal, startSignal: AbortSignal): void {
    // The hub aborts with a SpawnError saying why (its start timeout, a stop, shutdown): keep that reason.
    if (signal.aborted) throw signal.reason instanceof SpawnError ? signal.reason : new SpawnError('The server start was cancelled', { cause: signal.reason });
    if (startSignal.aborted) {
      throw new SpawnError(`The server did not start within spawner.startTimeout (${this.startTimeout} s)`);
    }
  }

  #requirePlan(): IsolationPlan {
    if (this.#plan === undefined) throw new SpawnError('LocalProcessSpawner used before init(host)');
    return this.#plan;
  }

  #requireHost(): SpawnerHost {
    if (this.#host === undefined) throw new SpawnError('LocalProcessSpawner used before init(host)');
    return this.#host;
  }
}
