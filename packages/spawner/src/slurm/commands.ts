import { spawn } from 'node:child_process';

/** What a Slurm client command said; `code` is null when it could not be run at all. */
export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a Slurm client (`sbatch`, `squeue`, `scancel`) without a shell, with `input` on stdin. The
 * environment is given in full by the caller: the hub's own environment never reaches a job.
 */
export function runSlurmCommand(program: string, args: readonly string[], env: Record<string, string>, input = ''): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => undefined); // the program may exit before reading its input
    child.on('error', (error) => resolve({ code: null, stdout: '', stderr: `${program}: ${error.message}` }));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }));
    child.stdin.end(input);
  });
}

/** The environment Slurm's client commands need: where to find them and their config, nothing secret. */
export function clientEnvironment(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin' };
  for (const name of ['SLURM_CONF', 'HOME', 'USER', 'LANG']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
