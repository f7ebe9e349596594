import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, openSync, readFileSync, statSync, writeSync, closeSync, constants } from 'node:fs';
import path from 'node:path';
import { gatehouseError } from './errors.ts';

export const COOKIE_SECRET_FILE = 'cookie_secret';

/** Creates the data directory 0700 (it holds the database and secrets); reports whether it was new. */
export function ensureDataDir(dataDir: string): { created: boolean; looseMode?: number } {
  try {
    const stat = statSync(dataDir, { throwIfNoEntry: false });
    if (stat === undefined) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      chmodSync(dataDir, 0o700); // mkdir's mode is filtered by umask
      return { created: true };
    }
    if (!stat.isDirectory()) throw gatehouseError('GATEHOUSE_ERR_DATA_DIR', `${dataDir} exists and is not a directory`);
    const mode = stat.mode & 0o777;
    return (mode & 0o077) === 0 ? { created: false } : { created: false, looseMode: mode };
  } catch (error) {
    if ((error as { code?: string }).code === 'GATEHOUSE_ERR_DATA_DIR') throw error;
    throw gatehouseError('GATEHOUSE_ERR_DATA_DIR', `cannot use data directory ${dataDir}: ${(error as Error).message}`, { cause: error });
  }
}

/** Fails when a secret file can be read or written by group or others, with the command that fixes it. */
export function assertPrivateFile(file: string): void {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw gatehouseError(
      'GATEHOUSE_ERR_SECRET_PERMISSIONS',
      `${file} is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')}); ` +
        `refusing to start. Fix it with: chmod 600 ${file}`,
    );
  }
}

/** Writes a new file only this OS user can read (0600), failing if it already exists. */
export function writePrivateFileExclusive(file: string, content: string): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

/**
 * The cookie secret: GATEHOUSE_COOKIE_SECRET (hex, ≥ 32 bytes) when set, otherwise `cookie_secret`
 * in the data dir, generated 0600 on first start. Signs XSRF tokens and keys auth-state encryption.
 */
export function loadCookieSecret(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env['GATEHOUSE_COOKIE_SECRET'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!/^[0-9a-fA-F]{64,}$/.test(fromEnv)) {
      throw gatehouseError('GATEHOUSE_ERR_CONFIG_INVALID', 'GATEHOUSE_COOKIE_SECRET: expected at least 64 hex characters (32 bytes)');
    }
    return Buffer.from(fromEnv, 'hex');
  }
  const file = path.join(dataDir, COOKIE_SECRET_FILE);
  try {
    writePrivateFileExclusive(file, `${randomBytes(32).toString('hex')}\n`);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  }
  assertPrivateFile(file);
  const hex = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-fA-F]{64,}$/.test(hex)) {
    throw gatehouseError('GATEHOUSE_ERR_DATA_DIR', `${file} is not a valid secret (expected ≥ 64 hex characters); delete it to generate a new one`);
  }
  return Buffer.from(hex, 'hex');
}
