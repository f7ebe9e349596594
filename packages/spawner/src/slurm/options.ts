import { checkKeys, environment, fail, programAndArguments, seconds, stringList } from '../local-process-options.ts';
import { SERVER_KINDS, type ServerKind } from '../server-presets.ts';

/** Options of `SlurmSpawner`; every one is optional. Durations are in seconds. */
export interface SlurmSpawnerOptions {
  /** `sbatch --partition`. Default: the cluster's default partition. */
  readonly partition?: string;
  /** `sbatch --account`. Default: the submitting user's default account. */
  readonly account?: string;
  /** `sbatch --qos`. Default: none. */
  readonly qos?: string;
  /** `sbatch --time`, Slurm's format: `MM`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, … Default: the partition's. */
  readonly time?: string;
  /** `sbatch --cpus-per-task`. Default: 1. */
  readonly cpus?: number;
  /** `sbatch --mem`: megabytes as a number, or a string like `4G`, `512M`. Default: the partition's. */
  readonly memory?: number | string;
  /** `sbatch --gres`, e.g. `gpu:1`. Default: none. */
  readonly gres?: string;
  /**
   * More `sbatch` options, each one argument of the form `--name` or `--name=value` (never a
   * shell string), e.g. `['--constraint=skylake']`. Options the spawner sets itself are refused.
   */
  readonly sbatchArgs?: readonly string[];
  /** Which bundled server the job runs: the same commands as the local presets. Default: 'demo'. */
  readonly server?: ServerKind;
  /** Program and its first arguments, instead of `server` (the job must have it at that path). */
  readonly command?: readonly string[];
  /** More arguments appended after the command. Default: none. */
  readonly args?: readonly string[];
  /** Extra environment for every server, under the hub's JUPYTERHUB_* variables. Default: none. */
  readonly env?: Readonly<Record<string, string>>;
  /** How long a job may wait in the queue (PENDING) before the start fails. Default: 3600. */
  readonly queueTimeout?: number;
  /** How long from the job RUNNING until its server answers before the start fails. Default: 120. */
  readonly startTimeout?: number;
  /** Seconds between `squeue` calls (one call for all of this hub's jobs). Default: 2. */
  readonly pollInterval?: number;
  /**
   * The hub's URL as compute nodes reach it, e.g. `http://hub.cluster.local:8000/` (they cannot use
   * the hub's 127.0.0.1). Jobs report their location there and Jupyter talks to the hub API there.
   * Default: the hub's own API URL (right when the hub runs on the node itself, as in tests).
   */
  readonly hubUrl?: string;
  /**
   * Hosts a job may report (anchored regular expression over the node name Slurm gives the job).
   * The host must also be the node `squeue` says the job runs on. Default: any host name.
   */
  readonly nodeHostPattern?: RegExp | string;
  /** The address the server binds on its node. Default: '0.0.0.0' (the hub connects from elsewhere). */
  readonly serverIp?: string;
}

export interface ResolvedSlurmOptions {
  readonly partition: string | undefined;
  readonly account: string | undefined;
  readonly qos: string | undefined;
  readonly time: string | undefined;
  readonly cpus: number | undefined;
  readonly memory: string | undefined;
  readonly gres: string | undefined;
  readonly sbatchArgs: readonly string[];
  readonly server: ServerKind;
  readonly command: readonly string[] | undefined;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly queueTimeout: number;
  readonly startTimeout: number;
  readonly pollInterval: number;
  readonly hubUrl: string | undefined;
  readonly nodeHostPattern: RegExp;
  readonly serverIp: string;
}

const KNOWN_KEYS = [
  'partition', 'account', 'qos', 'time', 'cpus', 'memory', 'gres', 'sbatchArgs', 'server', 'command', 'args', 'env',
  'queueTimeout', 'startTimeout', 'pollInterval', 'hubUrl', 'nodeHostPattern', 'serverIp',
] as const;

/** Slurm names (partitions, accounts, QOS): letters, digits and `_.-`, as Slurm itself accepts them. */
const SLURM_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
/** `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S`, or `UNLIMITED`. */
const SLURM_TIME = /^(?:\d{1,6}(?::\d{1,2}){0,2}|\d{1,4}-\d{1,2}(?::\d{1,2}){0,2}|UNLIMITED|INFINITE)$/;
const SLURM_MEMORY = /^[1-9]\d{0,9}[KMGT]?$/;
/** `name[:type]:count` items, comma separated. */
const SLURM_GRES = /^[A-Za-z0-9_]+(?::[A-Za-z0-9_.-]+)*(?:,[A-Za-z0-9_]+(?::[A-Za-z0-9_.-]+)*)*$/;
const SBATCH_OPTION = /^--[a-z][a-z0-9-]*(?:=[^\n\r\0]*)?$/;
/** Options whose value the spawner owns: a second value would redirect output, environment or the script. */
const OWN_SBATCH_OPTIONS = new Set(['parsable', 'export', 'export-file', 'output', 'error', 'input', 'job-name', 'open-mode', 'wrap', 'chdir', 'get-user-env']);
const DEFAULT_HOST_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const IP_ADDRESS = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+)$/;

function slurmName(key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !SLURM_NAME.test(value)) fail(key, 'expected a Slurm name (letters, digits, _ . -)');
  return value;
}

function matching(key: string, value: unknown, pattern: RegExp, expected: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) fail(key, `expected ${expected}`);
  return value;
}

function memory(value: unknown): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value <= 0) fail('memory', 'expected a positive whole number of megabytes');
    return String(value);
  }
  return matching('memory', value, SLURM_MEMORY, "megabytes, or a size like '4G' or '512M'");
}

function cpus(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65536) fail('cpus', 'expected a whole number of CPUs, at least 1');
  return value;
}

function sbatchArgs(value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  const args = stringList('sbatchArgs', value, true);
  args.forEach((arg, index) => {
    if (!SBATCH_OPTION.test(arg)) fail(`sbatchArgs[${index}]`, "expected one option of the form '--name' or '--name=value'");
    const name = arg.slice(2).split('=')[0] as string;
    if (OWN_SBATCH_OPTIONS.has(name)) fail(`sbatchArgs[${index}]`, `--${name} is set by the spawner`);
  });
  return args;
}

function hostPattern(value: unknown): RegExp {
  if (value === undefined) return DEFAULT_HOST_PATTERN;
  let source: string;
  if (value instanceof RegExp) source = value.source;
  else if (typeof value === 'string') source = value;
  else fail('nodeHostPattern', 'expected a regular expression or its source as a string');
  try {
    return new RegExp(`^(?:${source})$`); // anchored, whatever the config wrote
  } catch (error) {
    fail('nodeHostPattern', `not a valid regular expression: ${(error as Error).message}`);
  }
}

function hubUrl(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || !['http:', 'https:'].includes(url.protocol) || url.search !== '' || url.hash !== '') {
    fail('hubUrl', "expected the hub's http(s) URL, e.g. 'http://hub.cluster.local:8000/'");
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

function serverKind(value: unknown, command: unknown): ServerKind {
  if (value !== undefined && command !== undefined) fail('server', 'set either server or command, not both');
  if (value === undefined) return 'demo';
  if (!(SERVER_KINDS as readonly unknown[]).includes(value)) fail('server', `expected one of ${SERVER_KINDS.map((kind) => `'${kind}'`).join(', ')}`);
  return value as ServerKind;
}

/** Validates once, at construction, and returns a frozen copy; errors name `spawner.<option>`. */
export function resolveSlurmOptions(options: unknown): ResolvedSlurmOptions {
  if (options === undefined) options = {};
  checkKeys(options, KNOWN_KEYS);
  const o = options as { [K in keyof SlurmSpawnerOptions]?: unknown };
  if (o.serverIp !== undefined && (typeof o.serverIp !== 'string' || !IP_ADDRESS.test(o.serverIp))) fail('serverIp', 'expected an IP address');
  return Object.freeze({
    partition: slurmName('partition', o.partition),
    account: slurmName('account', o.account),
    qos: slurmName('qos', o.qos),
    time: matching('time', o.time, SLURM_TIME, "Slurm's time format, e.g. '60', '8:00:00' or '1-00:00'"),
    cpus: cpus(o.cpus),
    memory: memory(o.memory),
    gres: matching('gres', o.gres, SLURM_GRES, "Slurm's gres format, e.g. 'gpu:1' or 'gpu:a100:2'"),
    sbatchArgs: sbatchArgs(o.sbatchArgs),
    server: serverKind(o.server, o.command),
    command: o.command === undefined ? undefined : programAndArguments(o.command),
    args: o.args === undefined ? Object.freeze([]) : stringList('args', o.args, true),
    env: environment(o.env),
    queueTimeout: seconds('queueTimeout', o.queueTimeout, 3600),
    startTimeout: seconds('startTimeout', o.startTimeout, 120),
    pollInterval: seconds('pollInterval', o.pollInterval, 2),
    hubUrl: hubUrl(o.hubUrl),
    nodeHostPattern: hostPattern(o.nodeHostPattern),
    serverIp: (o.serverIp as string | undefined) ?? '0.0.0.0',
  });
}
