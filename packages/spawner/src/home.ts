import { chmod, lstat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SpawnError } from './types.ts';

/**
 * Per-user homes for servers that share the hub's OS account: a pattern such as
 * `/srv/gatehouse/{username}` names each one; the spawner creates it 0700 before the first start.
 */

export const USERNAME_PLACEHOLDER = '{username}';

/** Why `pattern` cannot name per-user homes, or undefined when it can. */
export function homePatternProblem(pattern: string): string | undefined {
  if (!path.isAbsolute(pattern)) return 'expected an absolute path';
  if (pattern.includes('\0')) return 'expected a path without NUL';
  if (!pattern.includes(USERNAME_PLACEHOLDER)) return `expected ${USERNAME_PLACEHOLDER} in the path, so that every user gets their own home`;
  if (homesRoot(pattern) === '/') return `expected ${USERNAME_PLACEHOLDER} below a directory other than / (the sandbox hides that directory)`;
  return undefined;
}

/** The directory that holds every home: the path before the first segment with `{username}`. */
export function homesRoot(pattern: string): string {
  const segments = path.normalize(pattern).split(path.sep);
  const first = segments.findIndex((segment) => segment.includes(USERNAME_PLACEHOLDER));
  return segments.slice(0, first).join(path.sep) || '/';
}

/** `pattern` for `username`; a name that could step out of the homes directory is refused. */
export function homeFor(pattern: string, username: string): string {
  if (username === '' || username === '.' || username === '..' || /[/\0]/.test(username)) {
    throw new SpawnError(`"${username}" cannot name a home directory`);
  }
  return path.normalize(pattern.replaceAll(USERNAME_PLACEHOLDER, username));
}

/**
 * Creates `home` (and missing parents) 0700, or checks an existing one: a real directory (not a
 * symlink) owned by this process's uid, made 0700 again if someone loosened it.
 */
export async function ensurePrivateHome(home: string): Promise<void> {
  try {
    await mkdir(path.dirname(home), { recursive: true, mode: 0o700 });
    await mkdir(home, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  } catch (error) {
    throw new SpawnError(`Cannot create the home directory ${home}: ${(error as Error).message}`, { cause: error });
  }
  const info = await lstat(home);
  if (!info.isDirectory()) throw new SpawnError(`The home directory ${home} is not a directory (a symlink is refused)`);
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new SpawnError(`The home directory ${home} belongs to uid ${info.uid}, not to the hub's uid ${uid}`);
  }
  if ((info.mode & 0o077) !== 0) await chmod(home, 0o700);
}
