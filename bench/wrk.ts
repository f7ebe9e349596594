/** Runs wrk as a separate process (never in the hub's event loop) and parses its `--latency` report. */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, trackTransient } from './processes.ts';

const run = promisify(execFile);

export interface WrkOptions {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly threads: number;
  readonly connections: number;
  readonly durationS: number;
}

export interface WrkResult {
  readonly requestsPerSec: number;
  readonly requests: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** Responses outside 2xx/3xx: a result with any is not a valid measurement. */
  readonly non2xx: number;
  readonly socketErrors: number;
}

/** The wrk binary, installing the Debian package when missing and we are root; else a clear error. */
export function ensureWrk(): string {
  const onPath = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((candidate) => existsSync(candidate));
  if (onPath !== undefined) return onPath;
  if (process.getuid?.() === 0) {
    process.stdout.write('wrk is missing; installing it with apt-get …\n');
    try {
      execFileSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'inherit' });
    } catch {
      // reported below
    }
    if (existsSync('/usr/bin/wrk')) return '/usr/bin/wrk';
  }
  throw new Error('bench needs wrk (https://github.com/wg/wrk): install it, e.g. `sudo apt-get install -y wrk`');
}

let scriptDir: string | undefined;
let scriptCount = 0;

/**
 * The headers as a wrk Lua script in a private temp dir: tokens and cookies on wrk's command line
 * would be visible to every user in `ps`, and in error messages.
 */
function headerScript(headers: Readonly<Record<string, string>>): string {
  scriptDir ??= makeTempDir('gatehouse-bench-wrk-');
  const lines = Object.entries(headers).map(([name, value]) => {
    if (!/^[\x20-\x7e]*$/.test(name + value)) throw new Error(`wrk: header ${name} must be printable ASCII`);
    return `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`; // printable ASCII: a valid Lua literal
  });
  const file = path.join(scriptDir, `headers-${scriptCount++}.lua`);
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

export async function runWrk(wrk: string, options: WrkOptions): Promise<WrkResult> {
  const args = [`-t${options.threads}`, `-c${options.connections}`, `-d${options.durationS}s`, '--latency', '--timeout', '5s'];
  if (options.headers !== undefined && Object.keys(options.headers).length > 0) args.push('-s', headerScript(options.headers));
  args.push(options.url);
  const running = run(wrk, args, { timeout: (options.durationS + 30) * 1000, maxBuffer: 1024 * 1024 });
  trackTransient(running.child);
  try {
    return parseWrkOutput((await running).stdout);
  } catch (error) {
    const { code, signal, stderr } = error as { code?: number; signal?: string; stderr?: string };
    if (code === undefined && signal === undefined) throw error; // a parse error: the output is the message
    throw new Error(`wrk on ${options.url} failed (${signal ?? `exit code ${code}`}): ${(stderr ?? '').trim().slice(0, 500)}`);
  }
}

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** `1.23ms`, `850.00us`, `2.01s` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (match?.[1] === undefined || match[2] === undefined) throw new Error(`wrk: unreadable duration ${JSON.stringify(text)}`);
  return Number(match[1]) * (UNIT_MS[match[2]] ?? Number.NaN);
}

function numberAfter(output: string, pattern: RegExp, what: string): number {
  const value = pattern.exec(output)?.[1];
  if (value === undefined) throw new Error(`wrk: no ${what} in output:\n${output}`);
  return Number(value);
}

export function parseWrkOutput(output: string): WrkResult {
  const percentile = (p: string) => {
    const value = new RegExp(`^\\s*${p}%\\s+(\\S+)\\s*$`, 'm').exec(output)?.[1];
    if (value === undefined) throw new Error(`wrk: no ${p}% latency (was --latency given?):\n${output}`);
    return parseDuration(value);
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requestsPerSec: numberAfter(output, /^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec'),
    requests: numberAfter(output, /^\s*(\d+) requests in/m, 'request count'),
    latencyP50Ms: percentile('50'),
    latencyP99Ms: percentile('99'),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
    socketErrors: socketErrors === null ? 0 : socketErrors.slice(1).reduce((sum, count) => sum + Number(count), 0),
  };
}
