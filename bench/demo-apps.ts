/**
 * The demo-app processes a Gatehouse hub started, found through /proc: their environment holds
 * the port and the server token (JUPYTERHUB_SERVICE_URL, JUPYTERHUB_API_TOKEN), which the direct
 * and CHP measurements need, and lets the bench make sure none outlives it.
 * Linux only, like wrk and /proc/cpuinfo; synchronous so that it also works in an exit handler.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface DemoApp {
  readonly pid: number;
  readonly user: string;
  readonly port: number;
  /** `token <server token>`: what the hub's proxy sends as Authorization. */
  readonly authorization: string;
}

function readEnviron(pid: number): Map<string, string> | undefined {
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('demo-app.mjs')) return undefined;
    const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return new Map(entries.filter((entry) => entry.includes('=')).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
  } catch {
    return undefined; // exited while we looked, or not ours to read
  }
}

/** Demo apps whose hub API URL points at the hub on `hubPort`. */
export function demoAppsOf(hubPort: number): DemoApp[] {
  const apps: DemoApp[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const env = readEnviron(Number(entry));
    const apiUrl = env?.get('JUPYTERHUB_API_URL');
    const serviceUrl = env?.get('JUPYTERHUB_SERVICE_URL');
    const token = env?.get('JUPYTERHUB_API_TOKEN');
    const user = env?.get('JUPYTERHUB_USER');
    if (apiUrl === undefined || serviceUrl === undefined || token === undefined || user === undefined) continue;
    if (new URL(apiUrl).port !== String(hubPort)) continue;
    apps.push({ pid: Number(entry), user, port: Number(new URL(serviceUrl).port), authorization: `token ${token}` });
  }
  return apps;
}

export function demoAppOf(hubPort: number, user: string): DemoApp | undefined {
  return demoAppsOf(hubPort).find((app) => app.user === user);
}

/** SIGKILLs the process group of every demo app still serving the hub on `hubPort`; returns how many. */
export function killDemoApps(hubPort: number): number {
  const apps = demoAppsOf(hubPort);
  for (const app of apps) {
    try {
      process.kill(-app.pid, 'SIGKILL'); // the spawner starts each app as its own group leader
    } catch {
      try {
        process.kill(app.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  return apps.length;
}
