import type { ResolvedSlurmOptions } from './options.ts';

/** Everything a job is made of; each value was validated by resolveSlurmOptions or is built by the hub. */
export interface BatchJob {
  readonly jobName: string;
  /** The user's server log; the job's stdout and stderr are appended to it. */
  readonly logFile: string;
  readonly resources: Pick<ResolvedSlurmOptions, 'partition' | 'account' | 'qos' | 'time' | 'cpus' | 'memory' | 'gres' | 'sbatchArgs'>;
  /** Exactly the server's environment: the only variables the spawner gives the job. */
  readonly environment: Readonly<Record<string, string>>;
  /** What the job runs (the job wrapper, then the server's command). */
  readonly argv: readonly string[];
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Characters a job name keeps; anything else becomes `_` (job names show in `squeue`, nothing more). */
const JOB_NAME_UNSAFE = /[^A-Za-z0-9_.-]/g;

/** `gatehouse-<username>`, reduced to characters that are safe in any Slurm output. */
export function jobNameFor(username: string): string {
  return `gatehouse-${username.replace(JOB_NAME_UNSAFE, '_')}`.slice(0, 128);
}

/** A POSIX shell word that is exactly `value`: single-quoted, with each `'` written as `'\''`. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new TypeError('a shell word cannot contain NUL');
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** sbatch expands `%j`, `%u`, … in file names; `%%` is a literal `%`. */
function literalFileName(file: string): string {
  return file.replaceAll('%', '%%');
}

/**
 * The `sbatch` arguments: the script comes on stdin, `--export=NONE` keeps the submitting process's
 * environment out of the job, and every resource is one `--name=value` argument (no shell involved).
 */
export function sbatchArguments(job: BatchJob): string[] {
  const { partition, account, qos, time, cpus, memory, gres, sbatchArgs } = job.resources;
  const optional: Array<[string, string | number | undefined]> = [
    ['partition', partition], ['account', account], ['qos', qos], ['time', time], ['cpus-per-task', cpus], ['mem', memory], ['gres', gres],
  ];
  return [
    '--parsable',
    '--export=NONE',
    `--job-name=${job.jobName}`,
    `--output=${literalFileName(job.logFile)}`,
    '--open-mode=append',
    ...optional.filter(([, value]) => value !== undefined).map(([name, value]) => `--${name}=${String(value)}`),
    ...sbatchArgs,
  ];
}

/**
 * The batch script: the server's environment as quoted `export`s, then `exec` of the quoted argv.
 * Every value is data to the shell, never code, whatever characters it holds.
 */
export function batchScript(job: BatchJob): string {
  const exports = Object.entries(job.environment).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new TypeError(`not an environment variable name: ${JSON.stringify(name)}`);
    return `export ${name}=${shellQuote(value)}`;
  });
  return [
    '#!/bin/sh',
    "# Submitted by Gatehouse's SlurmSpawner: the user's server, started by the job wrapper.",
    'cd "$HOME" 2>/dev/null || cd /',
    ...exports,
    `exec ${job.argv.map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
}
