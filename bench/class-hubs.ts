/**
 * The two hubs of the class-arrival bench, each set up the way the comparison in the issue was
 * measured, with the person accounts the class needs:
 * - Gatehouse with LocalAuthenticator (argon2id; every account added through the REST API, which
 *   hashes its password) and the bundled demo app, or real jupyterhub-singleuser;
 * - JupyterHub 3.0 with its DummyAuthenticator (no hashing at all) and SimpleLocalProcessSpawner
 *   running a small Node server (bench/class-server.mjs), or real jupyterhub-singleuser.
 * Both get the same generous start timeouts (300 s): the bench measures waiting, not timeouts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { addAccount, mintAdminToken, randomPassword, startGatehouse, type ConfigValue } from './gatehouse.ts';
import { startJupyterHub } from './jupyterhub.ts';
import { CLASS_SERVER_PROBE, DEMO_APP_PROBE, JUPYTER_PROBE, personAddress, type HubKind, type Person, type ServerProbe } from './class-people.ts';
import { REPO_ROOT, registerFinalCheck } from './processes.ts';

export type ServerKind = 'demo' | 'jupyter';

export interface HubUnderTest {
  readonly kind: HubKind;
  readonly label: string;
  readonly baseUrl: string;
  /** The hub's own process, whose peak RSS is reported. */
  readonly pid: number;
  readonly probe: ServerProbe;
  /** The hub's inspector URL when started to be profiled (Gatehouse only). */
  readonly inspectorUrl?: string | undefined;
  stop(): Promise<void>;
}

const START_TIMEOUT_S = 300;
/** Accounts are added this many at a time (each costs the hub one argon2 hash). */
const ACCOUNT_BATCH = 8;
/** Address blocks: the class arrives from 127.20.x.y, the working users from 127.30.x.y. */
export const CLASS_ADDRESS_BLOCK = 20;
export const WORKING_ADDRESS_BLOCK = 30;

/** Each hub's name in the report, and the probe of its demo servers (Jupyter servers answer alike under both). */
const HUBS: Readonly<Record<HubKind, { readonly label: string; readonly demoProbe: ServerProbe }>> = {
  gatehouse: { label: 'Gatehouse', demoProbe: DEMO_APP_PROBE },
  jupyterhub: { label: 'JupyterHub 3.0', demoProbe: CLASS_SERVER_PROBE },
};

function underTest(kind: HubKind, servers: ServerKind, baseUrl: string, pid: number, stop: () => Promise<void>): HubUnderTest {
  const { label, demoProbe } = HUBS[kind];
  return { kind, label, baseUrl, pid, probe: servers === 'demo' ? demoProbe : JUPYTER_PROBE, stop };
}

export function makePeople(prefix: string, count: number, block: number): Person[] {
  return Array.from({ length: count }, (_, i) => ({ name: `${prefix}${String(i).padStart(3, '0')}`, password: randomPassword(), localAddress: personAddress(block, i) }));
}

/** Peak resident memory (VmHWM) of a process, in MB; NaN when it cannot be read. */
export function peakRssMB(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? Number.NaN : Number(match[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

export interface GatehouseClassOptions {
  /** Started with the inspector on, to be profiled. */
  readonly inspect?: boolean;
  /** Top-level config beside the bench's own (e.g. `{ concurrentSpawnLimit: 8 }`). */
  readonly extraConfig?: Readonly<Record<string, ConfigValue>>;
}

export async function startGatehouseForClass(
  servers: ServerKind,
  people: readonly Person[],
  portRange: readonly [number, number],
  { inspect = false, extraConfig = {} }: GatehouseClassOptions = {},
): Promise<HubUnderTest> {
  const hub = await startGatehouse({
    portRange,
    inspect,
    extraConfig,
    authenticator: 'local',
    name: 'gatehouse (class)',
    spawnerClass: servers === 'demo' ? 'LocalProcessSpawner' : 'JupyterhubSingleuserSpawner',
    spawnerOptions: { startTimeout: START_TIMEOUT_S, httpTimeout: START_TIMEOUT_S },
  });
  try {
    const token = await mintAdminToken(hub);
    for (let i = 0; i < people.length; i += ACCOUNT_BATCH) {
      await Promise.all(people.slice(i, i + ACCOUNT_BATCH).map((person) => addAccount(hub.baseUrl, token, person.name, person.password)));
    }
  } catch (error) {
    await hub.stop();
    throw error;
  }
  return {
    ...underTest('gatehouse', servers, hub.baseUrl, hub.child.pid, async () => {
      await hub.stop();
    }),
    inspectorUrl: hub.inspectorUrl,
  };
}

/** Kills what a JupyterHub left behind: servers carrying its marker in their environment. */
function killMarkedProcesses(marker: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(marker)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone, or not ours to read
    }
  }
}

export async function startJupyterHubForClass(servers: ServerKind): Promise<HubUnderTest> {
  let marker = '';
  const jupyterhub = await startJupyterHub({
    extraConfig: (dir) => {
      marker = `CLASS_BENCH_HUB=${dir}`;
      const command = servers === 'demo' ? [process.execPath, path.join(REPO_ROOT, 'bench/class-server.mjs')] : ['/usr/bin/jupyterhub-singleuser', '--allow-root'];
      const environment: Record<string, string> = { CLASS_BENCH_HUB: dir };
      if (servers === 'jupyter' && !existsSync('/usr/bin/jupyter-lab')) environment['JUPYTERHUB_SINGLEUSER_APP'] = 'notebook.notebookapp.NotebookApp';
      return [
        'c.Authenticator.allowed_users = set()',
        "c.JupyterHub.spawner_class = 'simple'",
        `c.Spawner.cmd = ${JSON.stringify(command)}`,
        `c.Spawner.environment = ${JSON.stringify(environment)}`,
        `c.SimpleLocalProcessSpawner.home_dir_template = ${JSON.stringify(path.join(dir, 'homes/{username}'))}`,
        `c.Spawner.start_timeout = ${START_TIMEOUT_S}`,
        `c.Spawner.http_timeout = ${START_TIMEOUT_S}`,
      ];
    },
  });
  registerFinalCheck(() => killMarkedProcesses(marker));
  return underTest('jupyterhub', servers, jupyterhub.publicUrl, jupyterhub.child.pid, async () => {
    await jupyterhub.child.stop();
    killMarkedProcesses(marker);
  });
}
