import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { portBlock } from '../proxy/helpers.ts';
import { waitFor } from '../support/processes.ts';
import { adminApi, useCliHubs, type CliHubOptions } from './helpers.ts';

/**
 * `stopServersOnShutdown: true`: once a SIGTERM'd hub has exited, no process of any server it
 * started is left — starts still pending and servers running alike, the bubblewrap sandbox's own
 * processes included. Each hub gives its servers a marker in their environment, and /proc is
 * searched for it afterwards.
 *
 * The hub finds a sandboxed server's processes by reading /proc. With many servers stopping at once
 * (the class-arrival bench: 70) every stop used to scan /proc on its own, which can run the hub out of
 * file descriptors; an unreadable /proc then ended the stop as failed (and the hub forgot the server)
 * or a process that could not be read counted as gone. Here a small descriptor limit (prlimit) makes
 * the same happen with ten servers: before the fix most of their sandboxes outlived the hub.
 */

const PORTS = portBlock(23);
const startHub = useCliHubs();
const SERVERS = 10;
/** Open files for the hub: plenty for itself and ten servers, far too few for ten /proc scans at once. */
const HUB_OPEN_FILES = 200;

/** Live processes whose environment holds `marker`, as `pid: command line`. */
function markedProcesses(marker: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'utf8').includes(marker)) continue;
      if (/^\d+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue; // exited, awaiting its parent
      found.push(`${entry}: ${readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 200)}`);
    } catch {
      // exited while we looked
    }
  }
  return found;
}

function killMarked(marker: string): void {
  for (const line of markedProcesses(marker)) {
    try {
      process.kill(Number(line.split(':')[0]), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function serverStates(baseUrl: string, names: readonly string[]): Promise<string[]> {
  return Promise.all(
    names.map(async (name) => {
      const user = (await (await adminApi(baseUrl, 'GET', `/users/${name}`)).json()) as { server: string | null; pending: string | null };
      return user.pending ?? (user.server === null ? 'stopped' : 'running');
    }),
  );
}

/**
 * Starts half of SERVERS servers and waits until they run, then starts the other half at once and
 * SIGTERMs the hub as soon as their processes exist (so that they are still starting), waits for it
 * to exit, and returns what is left of its servers (nothing, when all is well).
 */
async function sigtermWhileStarting(options: CliHubOptions): Promise<{ left: string[]; exit: unknown[]; states: string[] }> {
  const marker = `GATEHOUSE_SHUTDOWN_TEST=${randomUUID()}`;
  const [name, value] = marker.split('=') as [string, string];
  const spawner = options.spawner ?? { className: 'LocalProcessSpawner' };
  const hub = await startHub(PORTS, { ...options, spawner: { ...spawner, options: { ...spawner.options, env: { [name]: value } } } });
  try {
    const names = Array.from({ length: SERVERS }, (_, i) => `class${i}`);
    const [running, starting] = [names.slice(0, SERVERS / 2), names.slice(SERVERS / 2)];
    for (const user of names) expect((await adminApi(hub.baseUrl, 'POST', `/users/${user}`)).status).toBe(201);
    const start = (users: readonly string[]) => Promise.all(users.map(async (user) => expect((await adminApi(hub.baseUrl, 'POST', `/users/${user}/server`)).status).toBe(202)));
    await start(running);
    await waitFor('the first servers to run', async () => (await serverStates(hub.baseUrl, running)).every((state) => state === 'running'), 60_000);
    const processesOfRunning = markedProcesses(marker).length;
    await start(starting);
    await waitFor('processes of the servers now starting', () => markedProcesses(marker).length > processesOfRunning, 60_000);
    const states = await serverStates(hub.baseUrl, names);
    const exited = once(hub.process, 'exit');
    hub.process.kill('SIGTERM');
    const exit = await exited;
    const left = markedProcesses(marker);
    if (left.length > 0) console.info(hub.output().slice(-5000));
    return { left, exit, states };
  } finally {
    killMarked(marker);
  }
}

describe('SIGTERM with stopServersOnShutdown', () => {
  it('leaves no sandboxed server process behind when /proc cannot be read all at once', async () => {
    const sandboxed: CliHubOptions = { spawner: { className: 'LocalProcessSpawner', options: { sandbox: true } }, launcher: ['prlimit', `--nofile=${HUB_OPEN_FILES}:${HUB_OPEN_FILES}`] };
    const { left, exit, states } = await sigtermWhileStarting(sandboxed);
    console.info(`SIGTERM with servers ${states.join(', ')}`);
    expect(exit).toEqual([0, null]);
    expect(left).toEqual([]);
  });
});
