import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { findExecutable } from '../executables.ts';
import { lastLines, openLogFile, readLogSince, serverLogFile } from '../log-file.ts';
import { waitForHttp } from '../readiness.ts';
import { serverPreset, type ServerPreset } from '../server-presets.ts';
import {
  HubShuttingDown,
  SpawnError,
  type LocationVerdict,
  type ProgressSink,
  type ResumeRequest,
  type ServerHandle,
  type ServerRef,
  type ServerIsolation,
  type ServerLocationReport,
  type SpawnRequest,
  type Spawner,
  type SpawnerHost,
} from '../types.ts';
import { batchScript, jobNameFor, sbatchArguments } from './batch-script.ts';
import { clientEnvironment, runSlurmCommand } from './commands.ts';
import { resolveSlurmOptions, type ResolvedSlurmOptions, type SlurmSpawnerOptions } from './options.ts';
import { fateOf, SlurmQueue, type JobFate, type JobObservation } from './queue.ts';

/** The program each job runs in front of the server (see the file's header). */
export const jobWrapperPath = fileURLToPath(new URL('../../slurm/job-wrapper.mjs', import.meta.url));

const LOG_LINES_IN_ERRORS = 15;
/** The path of the location endpoint below the hub's API URL. */
const locationPath = (username: string) => `/users/${encodeURIComponent(username)}/server/location`;

/** `ServerHandle.state` of a Slurm server: the job, and when it was submitted (for queueTimeout). */
interface JobState {
  readonly jobId: string;
  readonly submittedAt: number;
}

function jobStateOf(handle: ServerHandle): JobState | undefined {
  const { jobId, submittedAt } = handle.state;
  return typeof jobId === 'string' && /^\d+$/.test(jobId) && typeof submittedAt === 'number' ? { jobId, submittedAt } : undefined;
}

/** A start waiting for its job's report of where the server listens. */
interface AwaitingLocation {
  readonly jobId: string;
  readonly resolve: (location: { host: string; port: number }) => void;
}

type Follow = { readonly request: ResumeRequest; readonly job: JobState; readonly onProgress: ProgressSink; readonly signal: AbortSignal; readonly logOffset: number };

function describeJob(job: JobObservation): string {
  const reason = job.reason === 'None' || job.reason === '' ? '' : `: ${job.reason}`;
  const start = job.start === 'N/A' || job.start === '' ? 'not estimated yet' : job.start;
  return `${job.state}${reason}; estimated start ${start}`;
}

/**
 * Runs each user's server as a Slurm batch job (JupyterHub's batchspawner, done again): `sbatch`
 * with a script built from validated options, one shared `squeue` poller for every job of this hub,
 * the job's own report of where its server listens (POST .../server/location with the server's
 * token), and `scancel` to stop. Its handle state `{jobId, submittedAt}` lets a restarted hub adopt
 * running and queued jobs alike.
 */
export class SlurmSpawner implements Spawner {
  readonly kind = 'slurm';
  readonly description: string;
  /** The hub's bound on a whole start: the queue wait plus the start once running. */
  readonly startTimeout: number;
  readonly isolation: ServerIsolation = {
    level: 'shared-account',
    summary: "Slurm jobs run as the hub's own account on the compute nodes: nothing there keeps one user's files from another's",
  };
  readonly #options: ResolvedSlurmOptions;
  readonly #preset: ServerPreset;
  readonly #queue: SlurmQueue;
  readonly #awaiting = new Map<string, AwaitingLocation>();
  #host: SpawnerHost | undefined;

  constructor(options: SlurmSpawnerOptions = {}) {
    this.#options = resolveSlurmOptions(options);
    const preset = serverPreset(this.#options.server, this.#options.serverIp);
    this.#preset = this.#options.command === undefined ? preset : { ...preset, command: this.#options.command, env: {}, description: this.#options.command[0] as string };
    this.startTimeout = this.#options.queueTimeout + this.#options.startTimeout;
    this.description = `${this.#preset.description}, one Slurm job per user`;
    this.#queue = new SlurmQueue(this.#options.pollInterval * 1000, (args) => runSlurmCommand('squeue', args, clientEnvironment()));
  }

  /** `squeue` calls made by this spawner so far (one per poll interval at most, whatever the number of jobs). */
  get squeueCalls(): number {
    return this.#queue.calls;
  }

  init(host: SpawnerHost): void {
    for (const program of ['sbatch', 'squeue', 'scancel']) {
      if (findExecutable(program) === undefined) throw new Error(`SlurmSpawner: ${program} is not on PATH (install the Slurm client, e.g. Debian's slurm-client)`);
    }
    this.#host = host;
  }

  /**
   * Where a job's output goes: the hub's logs dir (log-file.ts serverLogFile), which the compute nodes
   * must see at the same path (a shared filesystem), since Slurm writes it there from the node.
   */
  logFileFor(server: ServerRef): string {
    if (this.#host === undefined) throw new SpawnError('SlurmSpawner used before init(host)');
    return serverLogFile(this.#host.dataDir, server);
  }

  async readLog(server: ServerRef, maxBytes: number): Promise<string> {
    return readLogSince(this.logFileFor(server), 0, maxBytes);
  }

  async start(request: SpawnRequest, onProgress: ProgressSink, signal: AbortSignal): Promise<ServerHandle> {
    const logFile = this.logFileFor(request);
    const log = await openLogFile(logFile).catch((error: unknown) => {
      throw new SpawnError(`Cannot open the server log ${logFile}: ${(error as Error).message}`, { cause: error });
    });
    await log.handle.close(); // Slurm appends to it on the node; the hub only reads it
    const job = await this.#submit(request);
    onProgress({ progress: 10, message: `Submitted Slurm job ${job.jobId}` });
    try {
      request.launched(this.#handle(job, undefined)); // recorded before the job may run
    } catch (error) {
      await this.#cancel(job.jobId);
      throw error;
    }
    return this.#followed({ request, job, onProgress, signal, logOffset: log.startOffset });
  }

  async resume(handle: ServerHandle, request: ResumeRequest, onProgress: ProgressSink, signal: AbortSignal): Promise<ServerHandle> {
    const job = jobStateOf(handle);
    if (job === undefined) throw new SpawnError('The saved server handle names no Slurm job');
    onProgress({ progress: 10, message: `Following Slurm job ${job.jobId} again after a hub restart` });
    const known = handle.port > 0 ? { host: handle.host, port: handle.port } : undefined;
    const logOffset = await stat(this.logFileFor(request)).then((file) => file.size, () => 0);
    return this.#followed({ request, job, onProgress, signal, logOffset }, known);
  }

  async poll(handle: ServerHandle): Promise<'running' | 'stopped'> {
    const job = jobStateOf(handle);
    if (job === undefined) return 'stopped';
    const fate = fateOf(await this.#queue.recent(job.jobId), job.jobId);
    return fate.kind === 'alive' || fate.kind === 'unknown' ? 'running' : 'stopped';
  }

  async stop(handle: ServerHandle): Promise<void> {
    const job = jobStateOf(handle);
    if (job === undefined) return this.#host?.logger.warn({ port: handle.port }, 'server handle names no Slurm job; nothing to stop');
    await this.#cancel(job.jobId);
  }

  async acceptLocation(report: ServerLocationReport): Promise<LocationVerdict> {
    const awaiting = this.#awaiting.get(`${report.username}/${report.serverName}`);
    if (awaiting === undefined) return { accepted: false, retry: true, problem: 'no start of this server is waiting for its location' };
    const { host, port } = report;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      return { accepted: false, retry: false, problem: 'port: expected a whole number from 1 to 65535' };
    }
    if (typeof host !== 'string' || !this.#options.nodeHostPattern.test(host)) {
      return { accepted: false, retry: false, problem: 'host: not a node this hub accepts (spawner.nodeHostPattern)' };
    }
    let fate = fateOf(await this.#queue.recent(awaiting.jobId), awaiting.jobId);
    if (fate.kind !== 'alive' || fate.job.node !== host) fate = fateOf(await this.#queue.next(awaiting.jobId), awaiting.jobId);
    if (fate.kind === 'unknown') return { accepted: false, retry: true, problem: `cannot ask Slurm where the job runs: ${fate.problem}` };
    if (fate.kind !== 'alive' || fate.job.state !== 'RUNNING' || fate.job.node !== host) {
      return { accepted: false, retry: false, problem: `host: job ${awaiting.jobId} does not run on ${host}` };
    }
    awaiting.resolve({ host, port });
    return { accepted: true };
  }

  async #submit(request: SpawnRequest): Promise<JobState> {
    const environment = this.#jobEnvironment(request);
    const job = {
      jobName: jobNameFor(request.username),
      logFile: this.logFileFor(request),
      resources: this.#options,
      environment,
      argv: [process.execPath, jobWrapperPath, ...this.#preset.command, ...this.#options.args],
    };
    const submittedAt = Date.now();
    const result = await runSlurmCommand('sbatch', sbatchArguments(job), clientEnvironment(), batchScript(job));
    const jobId = result.stdout.trim().split(';')[0] ?? '';
    if (result.code !== 0 || !/^\d+$/.test(jobId)) {
      throw new SpawnError(`sbatch refused the job: ${result.stderr.trim() || `exit code ${String(result.code)}`}`);
    }
    this.#host?.logger.info({ user: request.username, jobId }, 'Slurm job submitted');
    return { jobId, submittedAt };
  }

  /** The server's environment and nothing else: the hub's JUPYTERHUB_* over the configured `env`, plus what the wrapper needs. */
  #jobEnvironment(request: SpawnRequest): Record<string, string> {
    const hub = request.environment(0); // the wrapper sets JUPYTERHUB_SERVICE_URL once it has the port
    const hubApiUrl = this.#options.hubUrl === undefined ? (hub['JUPYTERHUB_API_URL'] as string) : `${this.#options.hubUrl}hub/api`;
    return {
      ...this.#preset.env,
      ...this.#options.env,
      ...hub,
      JUPYTERHUB_API_URL: hubApiUrl,
      JUPYTERHUB_ACTIVITY_URL: `${hubApiUrl}/users/${encodeURIComponent(request.username)}/activity`,
      GATEHOUSE_LOCATION_URL: `${hubApiUrl}${locationPath(request.username)}`,
      GATEHOUSE_SERVER_IP: this.#options.serverIp,
    };
  }

  /** From queued to ready, or a SpawnError after the job is cancelled and gone. */
  async #followed(follow: Follow, known?: { host: string; port: number }): Promise<ServerHandle> {
    try {
      const location = known ?? (await this.#located(follow));
      const handle = this.#handle(follow.job, location);
      if (known === undefined) follow.request.launched(handle); // a restarted hub knows the port too
      await this.#answering(follow, location);
      follow.onProgress({ progress: 100, message: 'Server ready' });
      return handle;
    } catch (error) {
      if (error instanceof HubShuttingDown) throw error; // the job waits for the next hub's resume()
      await this.#cancel(follow.job.jobId);
      const failure = error instanceof SpawnError ? error : new SpawnError(`Unexpected failure: ${String(error)}`, { cause: error });
      this.#host?.logger.warn({ user: follow.request.username, jobId: follow.job.jobId, reason: failure.reason.split('\n')[0] }, 'server failed to start');
      throw failure;
    }
  }

  /** Waits through the queue (queueTimeout), then for the job's report (startTimeout from RUNNING). */
  async #located(follow: Follow): Promise<{ host: string; port: number }> {
    const { job, request, onProgress } = follow;
    const key = `${request.username}/${request.serverName}`;
    let resolveReport = (_location: { host: string; port: number }) => {};
    const report = new Promise<{ host: string; port: number }>((resolve) => (resolveReport = resolve));
    this.#awaiting.set(key, { jobId: job.jobId, resolve: resolveReport });
    const aborted = new Promise<'aborted'>((resolve) => follow.signal.addEventListener('abort', () => resolve('aborted'), { once: true }));
    try {
      let runningSince: number | undefined;
      let lastMessage = '';
      for (;;) {
        const next = await Promise.race([this.#queue.next(job.jobId), report, aborted]);
        this.#throwIfAborted(follow.signal);
        if (next === 'aborted') continue; // unreachable: the line above threw
        if ('host' in next) return next;
        const fate = fateOf(next, job.jobId);
        const message = this.#progressMessage(job.jobId, fate);
        if (message !== lastMessage) onProgress({ progress: runningSince === undefined ? 20 : 50, message });
        lastMessage = message;
        if (fate.kind === 'gone' || fate.kind === 'ended') throw this.#endedEarly(follow, fate);
        if (fate.kind === 'alive' && fate.job.state !== 'PENDING') runningSince ??= Date.now();
        if (runningSince === undefined && Date.now() - job.submittedAt > this.#options.queueTimeout * 1000) {
          throw new SpawnError(`Slurm job ${job.jobId} waited in the queue longer than spawner.queueTimeout (${this.#options.queueTimeout} s): ${message}`);
        }
        if (runningSince !== undefined && Date.now() - runningSince > this.#options.startTimeout * 1000) {
          throw new SpawnError(`The server in Slurm job ${job.jobId} did not report where it listens within spawner.startTimeout (${this.#options.startTimeout} s).${this.#output(follow)}`);
        }
      }
    } finally {
      if (this.#awaiting.get(key)?.jobId === job.jobId) this.#awaiting.delete(key);
    }
  }

  #progressMessage(jobId: string, fate: JobFate): string {
    if (fate.kind === 'unknown') return `Slurm job ${jobId}: the Slurm controller is not answering (${fate.problem}); waiting`;
    if (fate.kind !== 'alive') return `Slurm job ${jobId} ended`;
    if (fate.job.state === 'PENDING') return `Slurm job ${jobId} is queued (${describeJob(fate.job)})`;
    return `Slurm job ${jobId} is ${fate.job.state} on ${fate.job.node}; waiting for the server`;
  }

  #endedEarly(follow: Follow, fate: JobFate): SpawnError {
    const how = fate.kind === 'ended' ? ` (${fate.job.state})` : '';
    return new SpawnError(`Slurm job ${follow.job.jobId} ended${how} before its server was ready.${this.#output(follow)}`);
  }

  #output(follow: Follow): string {
    const output = readLogSince(this.logFileFor(follow.request), follow.logOffset);
    return output.trim() === '' ? ' It wrote nothing.' : ` Its last output:\n${lastLines(output, LOG_LINES_IN_ERRORS)}`;
  }

  /** The hub's own check that the reported location answers HTTP at the prefix. */
  async #answering(follow: Follow, location: { host: string; port: number }): Promise<void> {
    const url = `http://${location.host}:${location.port}${follow.request.prefix}`;
    const jobEnded = new AbortController();
    const watch = this.#watchUntilEnded(follow.job.jobId, jobEnded);
    const answered = await waitForHttp(url, this.#options.startTimeout * 1000, AbortSignal.any([follow.signal, jobEnded.signal]));
    jobEnded.abort();
    await watch;
    this.#throwIfAborted(follow.signal);
    if (!answered) throw new SpawnError(`The server in Slurm job ${follow.job.jobId} did not answer at ${url}.${this.#output(follow)}`);
  }

  /** Aborts `ended` when the job leaves the queue (or when aborted from outside). */
  async #watchUntilEnded(jobId: string, ended: AbortController): Promise<void> {
    while (!ended.signal.aborted) {
      const fate = fateOf(await this.#queue.next(jobId), jobId);
      if (fate.kind === 'gone' || fate.kind === 'ended') ended.abort();
    }
  }

  /** `scancel`, then waits until `squeue` shows the job over (an unreachable controller is waited for). */
  async #cancel(jobId: string): Promise<void> {
    const result = await runSlurmCommand('scancel', [jobId], clientEnvironment());
    if (result.code !== 0) this.#host?.logger.warn({ jobId, problem: result.stderr.trim() }, 'scancel failed; waiting for the job to end');
    for (;;) {
      const fate = fateOf(await this.#queue.next(jobId), jobId);
      // COMPLETING: its processes are still being ended on the node, and `squeue` still lists it.
      if (fate.kind === 'gone' || (fate.kind === 'ended' && fate.job.state !== 'COMPLETING')) return;
      if (fate.kind === 'alive' && result.code !== 0) await runSlurmCommand('scancel', [jobId], clientEnvironment());
    }
  }

  #handle(job: JobState, location: { host: string; port: number } | undefined): ServerHandle {
    // Until the job reports there is no location: host '' and a port below 0 say so. It is minus the
    // job id because the hub keeps ports unique across servers, pending ones included.
    return { host: location?.host ?? '', port: location?.port ?? -Number(job.jobId), credential: this.#preset.credential, state: { jobId: job.jobId, submittedAt: job.submittedAt } };
  }

  #throwIfAborted(signal: AbortSignal): void {
    if (!signal.aborted) return;
    throw signal.reason instanceof SpawnError ? signal.reason : new SpawnError('The server start was cancelled', { cause: signal.reason });
  }
}
