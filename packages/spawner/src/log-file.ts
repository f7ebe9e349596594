import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** A server's log, opened by the hub side so that the child only inherits an append-only descriptor. */
export interface OpenedLogFile {
  readonly handle: FileHandle;
  /** Size when opened: what the new server writes starts here. */
  readonly startOffset: number;
}

/** Opens (creating, mode 0600) for appending; refuses a symlink so the log cannot be redirected. */
export async function openLogFile(file: string): Promise<OpenedLogFile> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
  const handle = await open(file, flags, 0o600);
  try {
    await handle.chmod(0o600); // an existing file keeps its old mode otherwise
    return { handle, startOffset: (await handle.stat()).size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The bytes written after `offset`, at most the last `maxBytes` of them (none when the file is gone). */
function readBytesSince(file: string, offset: number, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(size < offset ? 0 : offset, size - maxBytes); // a rotated file restarts at 0
    const buffer = Buffer.alloc(size - from);
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, from));
  } finally {
    closeSync(fd);
  }
}

/** The text a server wrote after `offset`, at most its last `maxBytes`. */
export function readLogSince(file: string, offset: number, maxBytes = 8192): string {
  return readBytesSince(file, offset, maxBytes).toString('utf8');
}

export function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** Node, Python and most servers say one of these when the port is taken. */
export function mentionsAddressInUse(text: string): boolean {
  // Node and Python say EADDRINUSE; the notebook server (jupyterhub-singleuser 3.0) says it in its own words.
  return /EADDRINUSE|address already in use|port \d+ is already in use|port \d+ is not available/i.test(text);
}

/**
 * Keeps a server's log under `maxBytes`: when it is larger, its last `maxBytes` go to `<file>.1`
 * (replacing the previous one, mode 0600) and the file is truncated to 0. The server keeps writing
 * through its O_APPEND descriptor, so it continues at the new start without noticing. Returns
 * whether it rotated; a missing file is not an error. Synchronous, so that the copy and the
 * truncation are as close together as possible: what the server writes in between is lost.
 */
export function boundLogFile(file: string, maxBytes: number): boolean {
  if (!Number.isInteger(maxBytes) || maxBytes <= 0) throw new RangeError('boundLogFile: maxBytes must be a positive integer');
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (size <= maxBytes) return false;
  const rotated = `${file}.1`;
  const temporary = `${rotated}.${process.pid}.tmp`;
  const out = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    writeFileSync(out, readBytesSince(file, 0, maxBytes));
    renameSync(temporary, rotated); // atomic: a reader never sees a half-written `.1`
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  } finally {
    closeSync(out);
  }
  const current = openSync(file, constants.O_WRONLY | constants.O_NOFOLLOW);
  try {
    ftruncateSync(current, 0);
  } finally {
    closeSync(current);
  }
  return true;
}

/**
 * Where a server's output goes under a hub's data dir: `<dataDir>/logs/<user>.log` for the default
 * server, `<dataDir>/logs/<user>+<server>.log` for a named one ('+' never occurs in an encoded name).
 * The spawners that keep logs as local (or shared) files use it; the hub reads logs through readLog() only.
 */
export function serverLogFile(dataDir: string, server: { readonly username: string; readonly serverName: string }): string {
  const name = encodeURIComponent(server.username) + (server.serverName === '' ? '' : `+${encodeURIComponent(server.serverName)}`);
  return path.join(dataDir, 'logs', `${name}.log`);
}
