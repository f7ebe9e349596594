/**
 * The Spawner contract: how the hub starts, watches and stops servers. The unit is one server,
 * named by its user and its server name (`''` is the user's default server; JupyterHub's named
 * servers have a name): a user may run several at once, each with its own process, port and log.
 *
 * Server states, as the hub records them (the spawner drives the transitions marked *):
 *
 *     stopped ──start()──▶ pending ──*ready──▶ running ──stop()──▶ stopping ──*exited──▶ stopped
 *                          │  ▲  │               │                    ▲
 *                          │  └──┘ *launched()   ├─no HTTP answer─────┤  (the hub's responsiveness probe)
 *                          │                     │                    │
 *                          ├─hub restart finds a saved handle─────────┘
 *                          └─*SpawnError─────────┴─*poll() finds it gone────────────────▶ stopped
 *
 * - `pending`: `start()` is running. It resolves once the server answers HTTP (< 500) at its
 *   prefix, or rejects with a `SpawnError` whose `reason` a person can act on. It must never leave a
 *   process behind when it rejects, and must honour `signal` (the hub aborts on `startTimeout` or stop).
 * - `launched()`: as soon as the process exists, and before it can outlive the hub, the spawner calls
 *   `request.launched(handle)` synchronously; the hub writes the handle to SQLite before it returns.
 *   The server's own command must not run before that (the local spawner holds it on a pipe, which
 *   a hub killed in between closes, so the process ends by itself). A hub that finds a saved pending
 *   handle after a restart stops that server (`stopping`, its port still claimed) and does not adopt
 *   it: whoever waited for the start went away with the old hub — unless the spawner implements
 *   `resume()` (a queued batch job is meant to outlive the hub), which the hub then calls to follow
 *   the start again as `pending`. A pending row without a handle had no process; the hub forgets it.
 * - `running`: the hub proxies to `{host, port}`. Every few seconds it calls `poll()`; `'stopped'`
 *   removes the route at once. The hub also sends `GET <prefix>api` each round; a server that
 *   gives no HTTP answer for `serverUnresponsiveTimeout` seconds (frozen, deadlocked) is stopped.
 * - `stopping`: `stop()` is running. It resolves only when the server is gone (escalating to a
 *   forced kill after its grace period), so that the port can be reused. A hub restarted while a
 *   server was stopping calls `stop()` again, in the background: it listens without waiting.
 *
 * Spawners keep no state of their own that the hub needs: everything required to poll or stop a
 * server later — including after a hub restart, by a different process — is in `ServerHandle.state`,
 * which must survive `JSON.stringify`/`JSON.parse` (the hub persists it in SQLite).
 *
 * Life cycle: constructed in `hub.config.ts` (constructors validate options and throw
 * `PluginOptionsError` naming the key, e.g. `spawner.portRange`), then `init(host)` once before
 * the hub listens. A third-party spawner is any class implementing `Spawner`; the contract suite in
 * `@gatehouse/spawner/testing` (`describeSpawnerContract`) checks one.
 */

import type { PluginLogger } from '@gatehouse/plugin-types';

// The contracts every plugin shares live in @gatehouse/plugin-types; re-exported for existing imports.
export { PluginOptionsError, type PluginLogger } from '@gatehouse/plugin-types';

export type ServerStatus = 'stopped' | 'pending' | 'running' | 'stopping';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Where a started server listens, plus what the spawner needs to find it again. */
export interface ServerHandle {
  readonly host: string;
  readonly port: number;
  /**
   * How the hub's proxy must authenticate to this server:
   * `token-header` adds `Authorization: token <server token>` to every forwarded request
   * (the demo app and plain Jupyter Server); `none` forwards the user's own credentials only
   * (jupyterhub-singleuser, which runs its own OAuth with the hub).
   */
  readonly credential: 'token-header' | 'none';
  /** Spawner-private, JSON-safe: pid, process start time, … */
  readonly state: JsonObject;
}

/**
 * What a person chose for this start (a profile and its choices, validated by the hub against its
 * `profiles` config before they get here). Every field is optional; absent fields leave the spawner's
 * own configuration as it is.
 */
export interface SpawnOverrides {
  /** Replaces the spawner's command (program and first arguments). */
  readonly command?: readonly string[];
  /** Replaces the spawner's extra arguments. */
  readonly args?: readonly string[];
  /** Merged over the spawner's own `env`; the hub's JUPYTERHUB_* variables, USER and HOME still win. */
  readonly env?: Readonly<Record<string, string>>;
  /** Replaces the working directory (absolute). */
  readonly cwd?: string;
  /** For a batch-scheduler spawner (cpus, memory, partition…); the local spawner ignores it. */
  readonly resources?: Readonly<Record<string, string | number>>;
}

/** Which server: a user's default server (`serverName` `''`) or one of their named servers. */
export interface ServerRef {
  readonly username: string;
  readonly serverName: string;
}

/** What the hub asks for when it starts a server. */
export interface SpawnRequest extends ServerRef {
  /**
   * URL prefix the server must serve under: `/user/alice/` for the default server,
   * `/user/alice/lab/` for the named server `lab` (the proxy forwards full paths).
   */
  readonly prefix: string;
  /** The per-server API token (already stored hashed by the hub). Never log it. */
  readonly apiToken: string;
  /**
   * The JupyterHub-named environment for a server listening on `port` (JUPYTERHUB_*), built by the
   * hub. The spawner adds USER, HOME, PATH and its own configured `env` on top.
   */
  environment(port: number): Record<string, string>;
  /**
   * Called synchronously by the spawner as soon as the server's process exists, with a handle that
   * `poll()` and `stop()` accept; again for each new attempt (e.g. on another port), each replacing
   * the last, whose process must be gone by then. The hub persists it before returning. If it
   * throws, the spawner ends that process and rejects the start.
   */
  launched(handle: ServerHandle): void;
  /** The chosen profile's changes (see SpawnOverrides); undefined: the spawner's configuration as is. */
  readonly overrides?: SpawnOverrides;
}

/** One progress event while a server starts (JupyterHub's progress model). */
export interface SpawnProgress {
  /** 0–100. */
  readonly progress: number;
  readonly message: string;
}

export type ProgressSink = (event: SpawnProgress) => void;

/**
 * Ports are recorded in the hub's database under a UNIQUE (host, port) constraint, so two spawns
 * never share one on the same host, while servers on different hosts may use the same number.
 * The spawner is the one owner of its claims: it claims before a server binds, and releases when
 * a start fails and in `stop()` (also for a server found already gone). The hub never releases a
 * claim a spawner holds; it only drops, at its restart, claims no server record refers to (a hub
 * killed between `claim` and `launched()`).
 */
export interface PortRegistry {
  /** Records (`host`, `port`) for `owner`; false when it is already recorded for someone. */
  claim(host: string, port: number, owner: string): boolean;
  release(host: string, port: number): void;
}

/** Structured logging for plugins (the shared PluginLogger). Never pass a secret, a token or a password. */
export type SpawnerLogger = PluginLogger;

export interface SpawnerHost {
  readonly logger: SpawnerLogger;
  readonly ports: PortRegistry;
  /**
   * The hub's data directory (absolute): its database, cookie secret and server logs. A spawner may
   * keep per-user files below it, but must never let a server read the rest of it.
   */
  readonly dataDir: string;
  /** More paths only the hub may read (e.g. a socket or secret file of its front proxy); default none. */
  readonly privatePaths?: readonly string[];
  /** How much of a server's output the spawner keeps (the hub's serverLogMaxBytes); default 1 MiB. */
  readonly serverLogMaxBytes?: number;
}

/**
 * How far apart the servers of different users are, for the start-up log and the admin page:
 * - `system-users`: each server runs as its user's own system account (the OS keeps them apart);
 * - `sandbox`: servers share the hub's account, each in a sandbox that shows it only its own files;
 * - `shared-account`: servers share the hub's account and nothing keeps them apart.
 */
export interface ServerIsolation {
  readonly level: 'system-users' | 'sandbox' | 'shared-account';
  /** One sentence in plain words, e.g. why there is no sandbox. */
  readonly summary: string;
}

export interface Spawner {
  /** A short, stable name for logs and pages, e.g. `local-process`. */
  readonly kind: string;
  /** Optional words for the start-up log, e.g. `jupyterhub-singleuser (OAuth with the hub)`. */
  readonly description?: string;
  /** Upper bound for a whole start, in seconds; the hub aborts `start()` after it. */
  readonly startTimeout: number;
  /** How servers are kept apart; final once `init()` has resolved. Optional for third-party spawners. */
  readonly isolation?: ServerIsolation;
  init(host: SpawnerHost): void | Promise<void>;
  /** Starts the server; resolves when it answers HTTP. Rejects with `SpawnError` (and cleans up). */
  start(request: SpawnRequest, onProgress: ProgressSink, signal: AbortSignal): Promise<ServerHandle>;
  /** `running` while the server is alive, `stopped` once it is gone (exited, killed, never existed). */
  poll(handle: ServerHandle): Promise<'running' | 'stopped'>;
  /**
   * Stops the server and waits until it is gone: SIGTERM (and SIGCONT), then SIGKILL after the grace
   * period. Releases the server's port claim (also when the server was already gone).
   */
  stop(handle: ServerHandle): Promise<void>;
  /**
   * The server's latest output (stdout and stderr), at most its last `maxBytes`; also after it
   * stopped, '' when there is none. Where output lives is the spawner's business (a local file, a
   * batch system's job log) and so is keeping it bounded (`SpawnerHost.serverLogMaxBytes`). The hub
   * quotes it when a server exits and shows it to admins; it never reads a log any other way.
   */
  readLog(server: ServerRef, maxBytes: number): Promise<string>;
  /**
   * Optional, for spawners whose servers pick their own host and port (a batch job on a compute
   * node): the hub calls it for `POST /hub/api/users/:name/server/location`, only once it has checked
   * that the request carries that very server's own token, with nothing but the host and port the
   * server sent. The spawner decides whether they are acceptable (e.g. the host is its job's node).
   */
  acceptLocation?(report: ServerLocationReport): Promise<LocationVerdict>;
  /**
   * Optional: continues a start that a previous hub process left `pending` (its saved handle shows the
   * server still exists, e.g. a queued batch job), instead of stopping it. Same promise as `start()`.
   * Without it the hub stops such servers after a restart (see the state diagram above).
   */
  resume?(handle: ServerHandle, request: ResumeRequest, onProgress: ProgressSink, signal: AbortSignal): Promise<ServerHandle>;
}

/** What a server reports about where it listens; `host` and `port` are as the client sent them, unchecked. */
export interface ServerLocationReport {
  readonly username: string;
  readonly serverName: string;
  readonly host: unknown;
  readonly port: unknown;
}

/**
 * `accepted`: the waiting start goes on with this location. Otherwise `retry` says whether the
 * server should try again later (no start is waiting yet, e.g. the hub is restarting) or never
 * (the location itself is wrong); `problem` is one sentence for the server's log.
 */
export type LocationVerdict = { readonly accepted: true } | { readonly accepted: false; readonly retry: boolean; readonly problem: string };

/** A start continued after a hub restart: the server exists already, so there is no environment to build. */
export type ResumeRequest = Omit<SpawnRequest, 'environment'>;

/** Why a start failed, in words a person can act on (JupyterHub's SpawnException with its reason). */
export class SpawnError extends Error {
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'SpawnError';
    this.reason = reason;
  }
}

/**
 * The abort reason of a start when the hub shuts down: not a failure of the server. A spawner that
 * implements `resume()` leaves such a server alone (a queued job waits for the next hub), and the hub
 * keeps its record for that next hub; other spawners clean up as for any failed start.
 */
export class HubShuttingDown extends SpawnError {
  constructor() {
    super('the hub is shutting down');
    this.name = 'HubShuttingDown';
  }
}

/** True when `value` has the shape of a Spawner (used by the hub's config validator). */
export function isSpawner(value: unknown): value is Spawner {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Spawner>;
  return (
    typeof candidate.kind === 'string' &&
    typeof candidate.startTimeout === 'number' &&
    typeof candidate.init === 'function' &&
    typeof candidate.start === 'function' &&
    typeof candidate.poll === 'function' &&
    typeof candidate.stop === 'function' &&
    typeof candidate.readLog === 'function'
  );
}
