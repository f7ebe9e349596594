import { access, constants, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerAccount } from './account.ts';
import { findExecutable } from './executables.ts';
import { ensurePrivateHome, homeFor, homesRoot } from './home.ts';
import type { ResolvedLocalProcessOptions } from './local-process-options.ts';
import { hiddenContaining, isInside, probeSandbox, resolveHiddenPaths, sandboxedArgv } from './sandbox.ts';
import { PluginOptionsError, SpawnError, type ServerIsolation, type SpawnerHost } from './types.ts';

/**
 * How LocalProcessSpawner keeps users apart, decided once in `init()`: per-user homes and, when
 * bubblewrap works here, a sandbox around each server; or the system accounts of `systemUsers`.
 */
export interface IsolationPlan {
  readonly isolation: ServerIsolation;
  /** The `{username}` pattern of homes; undefined with systemUsers (the account's home is used). */
  readonly homePattern: string | undefined;
  /** The bwrap executable when servers run sandboxed. */
  readonly bwrap: string | undefined;
  /** What every sandbox hides: the data dir, the homes directory, configured and host-given paths. */
  readonly hiddenPaths: readonly string[];
}

/** Where one server lives: its HOME and the directory it starts in. */
export interface Workspace {
  readonly home: string;
  readonly cwd: string;
}

/** The installation servers run from (demo app, Jupyter login handler) and the Node binary. */
const INSTALLATION_PATHS = [fileURLToPath(new URL('../', import.meta.url)), process.execPath];
/** The workspace this package is installed in (its node_modules, sibling packages, tests). */
const INSTALLATION_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export async function planIsolation(options: ResolvedLocalProcessOptions, host: SpawnerHost, account: ServerAccount): Promise<IsolationPlan> {
  if (options.systemUsers) {
    const summary = 'Each server runs as the system account of its user, so the OS keeps their files and processes apart.';
    return { isolation: { level: 'system-users', summary }, homePattern: undefined, bwrap: undefined, hiddenPaths: [] };
  }
  const homePattern = options.home ?? path.join(host.dataDir, 'homes', '{username}');
  const hiddenPaths = [host.dataDir, homesRoot(homePattern), ...options.sandboxHide, ...(host.privatePaths ?? [])];
  const sandbox = await findSandbox(options.sandbox);
  if (sandbox.bwrap === undefined) {
    const summary =
      `Servers run as the hub's own OS account (${account.name}) without a sandbox (${sandbox.reason}): each has its own home ` +
      `directory, but any user's code can read and change every other user's files and the hub's data directory. ` +
      (options.sandbox === false ? `Set spawner.sandbox to 'auto'` : 'Install bubblewrap') + ' or use spawner.systemUsers to keep users apart.';
    return { isolation: { level: 'shared-account', summary }, homePattern, bwrap: undefined, hiddenPaths };
  }
  await assertInstallationVisible(hiddenPaths);
  const summary =
    `Servers run as the hub's own OS account (${account.name}), each in a bubblewrap sandbox that shows it only its own ` +
    `home directory (${homePattern}), the system read-only, and not the hub's data directory.`;
  return { isolation: { level: 'sandbox', summary }, homePattern, bwrap: sandbox.bwrap, hiddenPaths };
}

async function findSandbox(setting: boolean | 'auto'): Promise<{ bwrap: string; reason?: undefined } | { bwrap?: undefined; reason: string }> {
  if (setting === false) return { reason: 'spawner.sandbox is false' };
  const bwrap = findExecutable('bwrap');
  const problem = bwrap === undefined ? 'bwrap is not installed (Debian: bubblewrap)' : await probeSandbox(bwrap, [process.execPath, '-e', '']);
  if (problem === undefined && bwrap !== undefined) return { bwrap };
  if (setting === true) throw new PluginOptionsError('spawner.sandbox', `true, but the sandbox does not work here: ${problem}`);
  return { reason: bwrap === undefined ? problem ?? '' : `bwrap does not work here: ${problem}` };
}

/** Servers must still find Node and this package's files under the paths the sandbox hides. */
async function assertInstallationVisible(hiddenPaths: readonly string[]): Promise<void> {
  const hidden = await resolveHiddenPaths(hiddenPaths);
  for (const needed of INSTALLATION_PATHS) {
    const cover = hiddenContaining(needed, hidden);
    if (cover !== undefined) {
      throw new PluginOptionsError('spawner.home', `the sandbox would hide ${cover.path}, which holds ${needed} that servers need`);
    }
  }
}

/** The server's HOME (created 0700 when it is one of ours) and its working directory, which must exist. */
export async function prepareWorkspace(plan: IsolationPlan, options: ResolvedLocalProcessOptions, account: ServerAccount, username: string): Promise<Workspace> {
  const home = plan.homePattern === undefined ? account.home : homeFor(plan.homePattern, username);
  if (plan.homePattern !== undefined) await ensurePrivateHome(home);
  const cwd = options.cwd ?? home;
  const info = await stat(cwd).catch(() => undefined);
  if (info?.isDirectory() !== true) {
    const what = options.cwd === undefined ? `HOME of "${account.name}"` : 'spawner.cwd';
    throw new SpawnError(`Cannot start the server in ${cwd} (${what}): no such directory`);
  }
  return { home, cwd };
}

/** `command` as it must be launched: inside the sandbox when the plan has one. */
export async function launchCommand(plan: IsolationPlan, workspace: Workspace, command: readonly string[]): Promise<readonly string[]> {
  if (plan.bwrap === undefined) return command;
  const program = command[0] ?? '';
  if (program.includes('/')) {
    // Said by bwrap it would read "exited with code 1"; say what spawn() would say without a sandbox.
    await access(program, constants.X_OK).catch((error: Error) => {
      throw new SpawnError(`The server (${program}, in ${workspace.cwd}) could not be started: ${error.message}`, { cause: error });
    });
  }
  const hidden = await resolveHiddenPaths(plan.hiddenPaths);
  // Mounts follow no symlink: bind the real directories.
  const [home, cwd] = await Promise.all([realpath(workspace.home), realpath(workspace.cwd)]);
  const cover = hiddenContaining(cwd, hidden);
  if (cover !== undefined && !isInside(cwd, home)) {
    throw new SpawnError(`spawner.cwd ${workspace.cwd} lies inside ${cover.path}, which the sandbox hides from servers`);
  }
  // A checkout under /tmp (CI, a quick try) would vanish behind the private /tmp: show it read-only.
  const root = await realpath(INSTALLATION_ROOT);
  const visibleInTmp = isInside(root, '/tmp') ? [root] : [];
  return sandboxedArgv({ bwrap: plan.bwrap, home, cwd, hidden, command, visibleInTmp });
}
