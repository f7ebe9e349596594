/**
 * `pnpm bench:class`: the class-arrival section alone (also part of `pnpm bench`, or `--only class`).
 * `--case burst,spread` plays only the named cases; `--hub gatehouse` (or `jupyterhub`) plays one hub
 * alone, for working on it: such a run prints its figures and leaves the results files alone;
 * `--profile` adds Gatehouse's CPU profile over the arrivals to what is printed;
 * `--gatehouse-config '{"concurrentSpawnLimit":8}'` tries a setting (then the results files are left
 * alone too: they hold the defaults). A run of
 * both writes bench/results-class.{md,json}. Every process and temp dir it starts is removed at the
 * end, also on failure or Ctrl-C.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigValue } from './gatehouse.ts';
import { CLASS_CASES, runClassBench, type ClassCase, type HubChoice } from './class-arrival.ts';
import { writeClassResults } from './class-report.ts';
import { report } from './measure.ts';
import { REPO_ROOT, cleanUp, installExitHandlers } from './processes.ts';

/** Cases named by `--case a,b`, or all. */
export function classCasesFromArgs(argv: readonly string[]): readonly ClassCase[] {
  const index = argv.findIndex((arg) => arg === '--case' || arg.startsWith('--case='));
  if (index === -1) return CLASS_CASES;
  const flag = argv[index] as string;
  const names = (flag.startsWith('--case=') ? flag.slice('--case='.length) : (argv[index + 1] ?? '')).split(',').filter((name) => name !== '');
  const unknown = names.filter((name) => !CLASS_CASES.some((c) => c.id === name));
  if (names.length === 0 || unknown.length > 0) throw new Error(`--case expects some of ${CLASS_CASES.map((c) => c.id).join(', ')}${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  return CLASS_CASES.filter((c) => names.includes(c.id));
}

/** `--hub gatehouse|jupyterhub|both` (default both). */
export function hubChoiceFromArgs(argv: readonly string[]): HubChoice {
  const index = argv.findIndex((arg) => arg === '--hub' || arg.startsWith('--hub='));
  if (index === -1) return 'both';
  const flag = argv[index] as string;
  const value = flag.startsWith('--hub=') ? flag.slice('--hub='.length) : (argv[index + 1] ?? '');
  if (value !== 'both' && value !== 'gatehouse' && value !== 'jupyterhub') throw new Error(`--hub expects gatehouse, jupyterhub or both (got ${JSON.stringify(value)})`);
  return value;
}

/** `--gatehouse-config '{"concurrentSpawnLimit":8}'`: top-level Gatehouse config to try (default none). */
export function gatehouseConfigFromArgs(argv: readonly string[]): Record<string, ConfigValue> {
  const index = argv.findIndex((arg) => arg === '--gatehouse-config' || arg.startsWith('--gatehouse-config='));
  if (index === -1) return {};
  const flag = argv[index] as string;
  const text = flag.startsWith('--gatehouse-config=') ? flag.slice('--gatehouse-config='.length) : (argv[index + 1] ?? '');
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('--gatehouse-config expects a JSON object of top-level config keys');
  return value as Record<string, ConfigValue>;
}

/** Runs the chosen cases and writes bench/results-class.{md,json}; returns the markdown. */
export async function runAndWriteClassBench(argv: readonly string[]): Promise<string> {
  const loadStart = os.loadavg()[0] ?? 0;
  const hubs = hubChoiceFromArgs(argv);
  const gatehouseConfig = gatehouseConfigFromArgs(argv);
  const results = await runClassBench(classCasesFromArgs(argv), { hubs, profile: argv.includes('--profile'), gatehouseConfig });
  if (hubs !== 'both' || Object.keys(gatehouseConfig).length > 0) return 'a partial or configured run: results files left as they were';
  const notes = [
    `${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; load average ${loadStart.toFixed(1)} at the start, ${(os.loadavg()[0] ?? 0).toFixed(1)} at the end.`,
    'Each case starts a fresh hub of each kind, Gatehouse first. Arrival times are seeded (the same in every run and for both hubs), uniform at random within the window.',
    'Every person is a client of its own connecting from its own loopback address (127.20.x.y), keeping cookies and following no redirects by itself, as bench/class-people.ts describes step by step. A 429 is waited out for Retry-After and counted as a retry; anything else unexpected is an error.',
    'Gatehouse: LocalAuthenticator (argon2id, each account added through the REST API beforehand), LocalProcessSpawner with the bundled demo app (or JupyterhubSingleuserSpawner), default concurrentSpawnLimit. JupyterHub 3.0 (Debian) with configurable-http-proxy 5.3: DummyAuthenticator (no password hashing), SimpleLocalProcessSpawner running bench/class-server.mjs (or jupyterhub-singleuser), default concurrent_spawn_limit. Both with 300 s start and HTTP timeouts.',
    '20 working users start their servers before the class arrives and then send one request to their server every 200 ms each; their p99 over a 5 s quiet window is the baseline, and over the arrivals (first arrival until the last person is through) the figure during.',
    'The CPU table under each case says what limits its figures on this machine: when "all of these" comes close to the CPUs × the time, the case is bound by the CPU, and the servers\' own start-up (Node\'s boot for the demo app, about 0.13 s; Python\'s imports for jupyterhub-singleuser, about 2 s) sets a floor no hub can go under: the servers\' CPU seconds divided by the CPUs. A part that waited long, runnable, for a CPU was held back by the scheduler, not by its own work: with autogroup scheduling (the Linux default outside systemd services) every server started in a session of its own is a scheduling group as heavy as the hub\'s, so while servers boot the hub, the password hasher and the working users\' servers each get one share among many.',
    'What was tried against what stands in the way, and what each change did, is told under `pnpm bench:class` in the README (the line of starts at several widths, the password hasher\'s scheduling, user servers at a lower priority).',
    'Peak RSS is the hub process\'s own high-water mark (VmHWM) at the end of the case: for Gatehouse the Node process (the argon2 hashing child is separate), for JupyterHub the Python process (configurable-http-proxy is separate).',
  ];
  const markdown = writeClassResults(results, notes, path.join(REPO_ROOT, 'bench/results-class.md'), path.join(REPO_ROOT, 'bench/results-class.json'));
  report('wrote bench/results-class.md and bench/results-class.json');
  return markdown;
}

if (path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  installExitHandlers();
  try {
    process.stdout.write(`${await runAndWriteClassBench(process.argv.slice(2))}\n`);
  } catch (error) {
    process.stderr.write(`class bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}
