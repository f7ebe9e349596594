import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { gatehouseError } from '../errors.ts';
import type { FrontProxyTrust } from '../auth/front-proxy-trust.ts';

export interface FrontProxySocketOptions {
  readonly path: string;
  /** File mode; others never get access (the config refuses it). */
  readonly mode: number;
  /** The front proxy's group (name or gid); the socket keeps the hub's group when absent. */
  readonly group?: string | number | undefined;
}

export interface FrontProxySocket {
  readonly path: string;
  /** Stops accepting and removes the socket file (connections already accepted belong to the HTTP server). */
  close(): Promise<void>;
}

/**
 * Listens on a unix domain socket for the front proxy and hands each connection to the hub's own
 * HTTP server, marked as the front proxy's (FrontProxyTrust). The socket is created 0600 and only
 * then given its configured mode and group, so there is no moment when others could connect.
 */
export async function listenOnFrontProxySocket(server: http.Server, trust: FrontProxyTrust, options: FrontProxySocketOptions): Promise<FrontProxySocket> {
  const gid = options.group === undefined ? undefined : groupId(options.group);
  prepareDirectory(path.dirname(options.path), gid);
  await removeStaleSocket(options.path);
  const listener = net.createServer((socket) => {
    trust.markSocketConnection(socket);
    server.emit('connection', socket);
  });
  listener.maxConnections = server.maxConnections;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(gatehouseError('GATEHOUSE_ERR_LISTEN', `cannot listen on the front-proxy socket ${options.path}: ${error.code ?? error.message}`, { cause: error }));
    listener.once('error', onError);
    const previousUmask = process.umask(0o177); // bind() creates the file: 0600 until chmod below
    try {
      listener.listen(options.path, () => {
        listener.off('error', onError);
        resolve();
      });
    } finally {
      process.umask(previousUmask);
    }
  });
  try {
    if (gid !== undefined) chownSync(options.path, -1, gid);
    chmodSync(options.path, options.mode);
  } catch (error) {
    listener.close();
    throw gatehouseError('GATEHOUSE_ERR_LISTEN', `cannot set the owner or mode of ${options.path}: ${(error as Error).message}`, { cause: error });
  }
  let closed: Promise<void> | undefined;
  return {
    path: options.path,
    close() {
      // net.Server removes its socket file when it closes.
      closed ??= new Promise<void>((resolve) => listener.close(() => resolve()));
      return closed;
    },
  };
}

/** `www-data` or `33` → 33, through NSS (getent), so LDAP groups work too. */
function groupId(group: string | number): number {
  if (typeof group === 'number') return group;
  if (/^\d+$/.test(group)) return Number(group);
  try {
    const line = execFileSync('getent', ['group', group], { encoding: 'utf8' });
    const gid = Number(line.split(':')[2]);
    if (Number.isInteger(gid)) return gid;
  } catch {
    // fall through to the error below
  }
  throw gatehouseError('GATEHOUSE_ERR_CONFIG_INVALID', `frontProxy.socket.group: there is no group named ${group}`);
}

/** Creates a missing parent directory 0750 (group: the front proxy's, so it can reach the socket). */
function prepareDirectory(dir: string, gid: number | undefined): void {
  if (lstatSync(dir, { throwIfNoEntry: false }) !== undefined) return;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    if (gid !== undefined) chownSync(dir, -1, gid);
    chmodSync(dir, gid === undefined ? 0o700 : 0o750);
  } catch (error) {
    throw gatehouseError('GATEHOUSE_ERR_LISTEN', `cannot create ${dir} for the front-proxy socket: ${(error as Error).message}`, { cause: error });
  }
}

/** A socket file left by a hub that died is removed; a live one (another hub) or any other file is an error. */
async function removeStaleSocket(file: string): Promise<void> {
  const stat = lstatSync(file, { throwIfNoEntry: false });
  if (stat === undefined) return;
  if (!stat.isSocket()) throw gatehouseError('GATEHOUSE_ERR_LISTEN', `${file} exists and is not a socket; refusing to replace it`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(file);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw gatehouseError('GATEHOUSE_ERR_LISTEN', `another process is listening on ${file}`);
  unlinkSync(file);
}
