import { mkdirSync, readdirSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writePrivateFileExclusive } from './data-dir.ts';

/** What `gatehouse list` shows about a running hub. Written 0600 at start, removed on exit. */
export interface RuntimeInfo {
  readonly pid: number;
  readonly url: string;
  /** Logs the owner in (a token inside): this file is 0600, readable by the owner only. */
  readonly loginUrl?: string | undefined;
  readonly dataDir: string;
  readonly configFile: string;
  readonly startedAt: string;
}

/** Per-OS-user directory of runtime files (like Jupyter's runtime dir); GATEHOUSE_RUNTIME_DIR overrides. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['GATEHOUSE_RUNTIME_DIR'];
  if (explicit) return path.resolve(explicit);
  const xdg = env['XDG_RUNTIME_DIR'];
  if (xdg) return path.join(xdg, 'gatehouse');
  return path.join(os.homedir(), '.local/share/gatehouse/runtime');
}

function ensureRuntimeDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

export function writeRuntimeFile(info: RuntimeInfo, dir = runtimeDir()): string {
  ensureRuntimeDir(dir);
  const file = path.join(dir, `hub-${info.pid}.json`);
  rmSync(file, { force: true }); // a stale file from a reused pid
  writePrivateFileExclusive(file, `${JSON.stringify(info, null, 2)}\n`);
  return file;
}

export function removeRuntimeFile(file: string): void {
  rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** Running hubs of this OS user; files left by hubs that died are removed on the way. */
export function listRunningHubs(dir = runtimeDir()): RuntimeInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /^hub-\d+\.json$/.test(name));
  } catch {
    return [];
  }
  const hubs: RuntimeInfo[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const info = JSON.parse(readFileSync(file, 'utf8')) as RuntimeInfo;
      if (isAlive(info.pid)) hubs.push(info);
      else removeRuntimeFile(file);
    } catch {
      // unreadable or half-written: not a hub we can report
    }
  }
  return hubs.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}
