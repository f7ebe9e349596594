import { execFile } from 'node:child_process';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The bubblewrap sandbox a server runs in when it shares the hub's OS account. Inside it the server
 * sees the whole system read-only, its own home read-write, a private /tmp, a fresh /dev and its own
 * /proc (a new pid namespace: no other process of the account is visible, signalled or traced), and
 * an empty directory (or /dev/null, unopenable on its nodev mount) in place of each hidden path (the hub's data dir, the homes of other users).
 * The network namespace is shared: the server listens on loopback and calls the hub's API.
 *
 * bwrap stays the process the hub started: it leads the server's process group (its children keep
 * that group inside the pid namespace), so one signal to the group still reaches the server. It is
 * not given --die-with-parent, which would end every server with the hub; nor --new-session, which
 * would take the server out of the group (the group is already its own session, with no terminal).
 */

/** A path the sandbox must hide, and how: an empty tmpfs over a directory, /dev/null over anything else. */
export interface HiddenPath {
  readonly path: string;
  readonly kind: 'directory' | 'file';
}

export interface SandboxSpec {
  /** The bwrap executable. */
  readonly bwrap: string;
  /** Read-write inside the sandbox, at the same path. */
  readonly home: string;
  /** Where the server starts; bound read-write too when it is not inside `home` (a configured shared cwd). */
  readonly cwd: string;
  /** Real paths, covered in this order after the system is mounted; `home` (and `cwd`) are bound after. */
  readonly hidden: readonly HiddenPath[];
  /**
   * Real paths inside /tmp that servers need (the installation they run from, when it was cloned
   * there): bound read-only again over the private /tmp, before anything is hidden.
   */
  readonly visibleInTmp?: readonly string[];
  /** The server's own program and arguments. */
  readonly command: readonly string[];
}

/** Whether `child` is `parent` or lies below it (both absolute and normalised). */
export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The argv that runs `spec.command` in the sandbox (bwrap applies mounts in argument order). */
export function sandboxedArgv(spec: SandboxSpec): string[] {
  const argv = [spec.bwrap, '--ro-bind', '/', '/', '--dev', '/dev', '--tmpfs', '/dev/shm', '--proc', '/proc', '--tmpfs', '/tmp'];
  for (const visible of spec.visibleInTmp ?? []) argv.push('--ro-bind', visible, visible);
  const sharedCwd = !isInside(spec.cwd, spec.home);
  // A shared cwd that contains a hidden path (e.g. the data dir) must not uncover it: bind it first.
  if (sharedCwd) argv.push('--bind', spec.cwd, spec.cwd);
  for (const hidden of spec.hidden) {
    if (hidden.kind === 'directory') argv.push('--tmpfs', hidden.path);
    else argv.push('--ro-bind', '/dev/null', hidden.path);
  }
  argv.push('--bind', spec.home, spec.home);
  argv.push(
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    // As root bwrap would otherwise keep every capability, enough to unmount what hides the data dir.
    '--cap-drop', 'ALL',
    '--chdir', spec.cwd,
    '--', ...spec.command,
  );
  return argv;
}

/**
 * The hidden paths as the sandbox needs them: real paths (a mount follows no symlink), the missing
 * ones left out (nothing to hide), and none that lies inside another one (already hidden).
 */
export async function resolveHiddenPaths(paths: readonly string[]): Promise<HiddenPath[]> {
  const found = new Map<string, HiddenPath>();
  for (const candidate of paths) {
    const real = await realpath(candidate).catch(() => undefined);
    if (real === undefined) continue;
    const info = await stat(real);
    found.set(real, { path: real, kind: info.isDirectory() ? 'directory' : 'file' });
  }
  const all = [...found.values()];
  return all.filter((entry) => !all.some((other) => other !== entry && isInside(entry.path, other.path)));
}

/** The first hidden path that contains `target`, if any (what the sandbox would make invisible). */
export function hiddenContaining(target: string, hidden: readonly HiddenPath[]): HiddenPath | undefined {
  return hidden.find((entry) => isInside(target, entry.path));
}

/**
 * Runs a minimal sandbox once, with `probeCommand`: undefined when it works, else bwrap's own words
 * (e.g. user namespaces switched off, or a container without the right to make one).
 */
export function probeSandbox(bwrap: string, probeCommand: readonly string[]): Promise<string | undefined> {
  const argv = sandboxedArgv({ bwrap, home: '/tmp', cwd: '/tmp', hidden: [], command: probeCommand });
  return new Promise((resolve) => {
    execFile(argv[0] as string, argv.slice(1), { timeout: 15_000, cwd: '/' }, (error, _stdout, stderr) => {
      if (error === null) return resolve(undefined);
      resolve(stderr.trim().split('\n')[0] || error.message);
    });
  });
}
