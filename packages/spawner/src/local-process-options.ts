import path from 'node:path';
import { homePatternProblem } from './home.ts';
import { PluginOptionsError, type SpawnOverrides } from './types.ts';

/** Options of `LocalProcessSpawner`; every one is optional. Durations are in seconds. */
export interface LocalProcessSpawnerOptions {
  /** Program and its first arguments. Default: the bundled demo app, run by this Node binary. */
  readonly command?: readonly string[];
  /** More arguments appended after `command`. Default: none. */
  readonly args?: readonly string[];
  /**
   * Extra environment for every server, applied under the hub's `JUPYTERHUB_*` variables (those win)
   * and over the default PATH. USER and HOME come from the account and cannot be set here.
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Absolute working directory shared by every server (bound read-write into each sandbox).
   * Default: the server's own HOME.
   */
  readonly cwd?: string;
  /**
   * Each user's HOME when servers share the hub's account: an absolute path with `{username}`,
   * created 0700 on first start. Default: `<dataDir>/homes/{username}`. With systemUsers the
   * system account's own home is used instead.
   */
  readonly home?: string;
  /**
   * Run each server in a bubblewrap sandbox (see sandbox.ts) that shows it its own home read-write,
   * the system read-only, and not the hub's data dir nor other users' homes. 'auto' (default): when
   * `bwrap` is installed and works here; true: required (the hub does not start without it); false: off.
   * Applies to servers sharing the hub's account; systemUsers already separates them by account.
   */
  readonly sandbox?: boolean | 'auto';
  /** More absolute paths every sandbox hides (the hub adds its own private ones, see SpawnerHost). Default: none. */
  readonly sandboxHide?: readonly string[];
  /** Inclusive port range servers listen in. Default: [20000, 29999]. */
  readonly portRange?: readonly [number, number];
  /** How long to wait for the first HTTP answer (< 500) once the process runs. Default: 30. */
  readonly httpTimeout?: number;
  /** Upper bound for a whole start; the hub aborts `start()` after it. Default: 60. */
  readonly startTimeout?: number;
  /** Time between SIGTERM and SIGKILL when stopping. Default: 5. */
  readonly stopGracePeriod?: number;
  /** How the proxy authenticates to the server (see `ServerHandle.credential`). Default: 'token-header'. */
  readonly credential?: 'token-header' | 'none';
  /**
   * Run each server as the system account named like the hub user (uid, gid, HOME from the passwd
   * database). Needs a hub running as root; uid 0 is refused. Default: false (hub's own account).
   */
  readonly systemUsers?: boolean;
}

export interface ResolvedLocalProcessOptions {
  readonly command: readonly string[] | undefined;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | undefined;
  readonly home: string | undefined;
  readonly sandbox: boolean | 'auto';
  readonly sandboxHide: readonly string[];
  readonly portRange: readonly [number, number];
  readonly httpTimeout: number;
  readonly startTimeout: number;
  readonly stopGracePeriod: number;
  readonly credential: 'token-header' | 'none';
  readonly systemUsers: boolean;
}

/** Config path of the spawner in `hub.config.ts`: errors name `spawner.<option>`. */
export const ROOT_KEY = 'spawner';

const KNOWN_KEYS = [
  'command', 'args', 'env', 'cwd', 'portRange', 'httpTimeout', 'startTimeout', 'stopGracePeriod', 'credential',
  'systemUsers', 'home', 'sandbox', 'sandboxHide',
] as const;

/** Set by the spawner from the account the server runs as; silently overriding them would mislead. */
const ACCOUNT_VARIABLES = new Set(['USER', 'HOME']);

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function fail(key: string, problem: string): never {
  throw new PluginOptionsError(`${ROOT_KEY}.${key}`, problem);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export function stringList(key: string, value: unknown, allowEmpty: boolean): readonly string[] {
  if (!Array.isArray(value) || (!allowEmpty && value.length === 0)) {
    fail(key, allowEmpty ? 'expected an array of strings' : 'expected a non-empty array of strings');
  }
  value.forEach((item: unknown, index) => {
    if (typeof item !== 'string' || item.includes('\0')) fail(`${key}[${index}]`, 'expected a string without NUL');
  });
  return Object.freeze([...(value as string[])]);
}

export function programAndArguments(value: unknown): readonly string[] {
  const command = stringList('command', value, false);
  if (command[0] === '') fail('command[0]', 'expected the program to run');
  return command;
}

export function seconds(key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(key, 'expected a positive number of seconds');
  }
  return value;
}

function portRange(value: unknown): readonly [number, number] {
  if (value === undefined) return Object.freeze([20000, 29999] as const);
  const problem = 'expected [min, max] with 1024 <= min <= max <= 65535';
  if (!Array.isArray(value) || value.length !== 2) fail('portRange', problem);
  const [min, max] = value as unknown[];
  const valid =
    Number.isInteger(min) && Number.isInteger(max) && (min as number) >= 1024 &&
    (min as number) <= (max as number) && (max as number) <= 65535;
  if (!valid) fail('portRange', problem);
  return Object.freeze([min as number, max as number] as const);
}

export function environment(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined) return Object.freeze({});
  if (!isPlainObject(value)) fail('env', 'expected an object of string values');
  for (const [name, item] of Object.entries(value)) {
    if (!ENV_NAME.test(name)) fail(`env.${name}`, 'expected a variable name of letters, digits and _');
    if (ACCOUNT_VARIABLES.has(name)) fail(`env.${name}`, 'set by the spawner from the account the server runs as');
    if (typeof item !== 'string' || item.includes('\0')) fail(`env.${name}`, 'expected a string without NUL');
  }
  return Object.freeze({ ...(value as Record<string, string>) });
}

function absolutePaths(key: string, value: unknown): readonly string[] {
  const paths = stringList(key, value, true);
  paths.forEach((item, index) => {
    if (!path.isAbsolute(item)) fail(`${key}[${index}]`, 'expected an absolute path');
  });
  return paths;
}

function checkIsolationOptions(o: { [K in keyof LocalProcessSpawnerOptions]?: unknown }): void {
  if (o.home !== undefined) {
    const problem = typeof o.home === 'string' ? homePatternProblem(o.home) : 'expected a string';
    if (problem !== undefined) fail('home', problem);
    if (o.systemUsers === true) fail('home', 'not used with systemUsers, where each server gets its system account\'s home');
  }
  if (o.sandbox !== undefined && typeof o.sandbox !== 'boolean' && o.sandbox !== 'auto') fail('sandbox', "expected true, false or 'auto'");
  if (o.sandbox === true && o.systemUsers === true) {
    fail('sandbox', 'not used with systemUsers, which already runs each server as its own account');
  }
}

/** An options object with only `knownKeys`; the error for an unknown key lists them. */
export function checkKeys(options: unknown, knownKeys: readonly string[]): asserts options is Record<string, unknown> {
  if (!isPlainObject(options)) throw new PluginOptionsError(ROOT_KEY, 'expected an options object');
  for (const key of Object.keys(options)) {
    if (!knownKeys.includes(key)) {
      throw new PluginOptionsError(`${ROOT_KEY}.${key}`, `unknown key (known keys: ${knownKeys.join(', ')})`, knownKeys);
    }
  }
}

/** Validates once, at construction, and returns a frozen copy (Fastify-style: no later surprises). */
export function resolveLocalProcessOptions(options: unknown): ResolvedLocalProcessOptions {
  if (options === undefined) options = {};
  checkKeys(options, KNOWN_KEYS);
  const o = options as { [K in keyof LocalProcessSpawnerOptions]?: unknown };
  if (o.cwd !== undefined && (typeof o.cwd !== 'string' || !path.isAbsolute(o.cwd))) {
    fail('cwd', 'expected an absolute path');
  }
  if (o.credential !== undefined && o.credential !== 'token-header' && o.credential !== 'none') {
    fail('credential', "expected 'token-header' or 'none'");
  }
  if (o.systemUsers !== undefined && typeof o.systemUsers !== 'boolean') fail('systemUsers', 'expected a boolean');
  checkIsolationOptions(o);
  return Object.freeze({
    command: o.command === undefined ? undefined : programAndArguments(o.command),
    args: o.args === undefined ? Object.freeze([]) : stringList('args', o.args, true),
    env: environment(o.env),
    cwd: o.cwd as string | undefined,
    home: o.home as string | undefined,
    sandbox: (o.sandbox as boolean | 'auto' | undefined) ?? 'auto',
    sandboxHide: o.sandboxHide === undefined ? Object.freeze([]) : absolutePaths('sandboxHide', o.sandboxHide),
    portRange: portRange(o.portRange),
    httpTimeout: seconds('httpTimeout', o.httpTimeout, 30),
    startTimeout: seconds('startTimeout', o.startTimeout, 60),
    stopGracePeriod: seconds('stopGracePeriod', o.stopGracePeriod, 5),
    credential: (o.credential as 'token-header' | 'none' | undefined) ?? 'token-header',
    systemUsers: (o.systemUsers as boolean | undefined) ?? false,
  });
}

/**
 * The options one start runs with: a profile's `command`, `args` and `cwd` replace the configured
 * ones, its `env` is merged over the configured env. The hub validated the overrides against its
 * `profiles` config; `resources` mean nothing to a local process.
 */
export function withOverrides(options: ResolvedLocalProcessOptions, overrides: SpawnOverrides | undefined): ResolvedLocalProcessOptions {
  if (overrides === undefined) return options;
  return Object.freeze({
    ...options,
    command: overrides.command ?? options.command,
    args: overrides.args ?? options.args,
    env: Object.freeze({ ...options.env, ...overrides.env }),
    cwd: overrides.cwd ?? options.cwd,
  });
}
