import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { isRunning, waitFor } from './processes.ts';

/**
 * A real single-node Slurm (Debian's slurmctld, slurmd and munge) for the Slurm tests, set up the way
 * a test machine without systemd or cgroups needs it: a munge key, a resolvable short hostname, a
 * slurm.conf with one 8-CPU node and one default partition, both daemons, then polling `sinfo` until
 * the node is `idle`. Needs root (it writes /etc and starts system daemons).
 *
 * Only one test file may run a cluster at a time (there is one /etc/slurm): `startSlurmCluster()`
 * takes a lock file first, and `stop()` releases it after the daemons are gone.
 */

const SLURM_CONF = '/etc/slurm/slurm.conf';
const MUNGE_KEY = '/etc/munge/munge.key';
const LOCK_FILE = '/run/gatehouse-slurm-test.lock';
const PID_FILES = { slurmctld: '/run/slurmctld.pid', slurmd: '/run/slurmd.pid', munged: '/run/munge/munged.pid' } as const;
/** CPUs the node advertises (SlurmdParameters=config_overrides lets it claim more than the machine has). */
export const SLURM_NODE_CPUS = 8;

export interface SlurmCluster {
  /** The node's name (this machine's short hostname), which jobs run on and report. */
  readonly node: string;
  /** Ends every job, then stops slurmd, slurmctld and munged (last), and releases the lock. */
  stop(): Promise<void>;
  /** Stops slurmctld (jobs keep running on the node; `squeue` cannot reach the controller). */
  stopController(): Promise<void>;
  /** Starts slurmctld again and waits until it answers. */
  startController(): Promise<void>;
  /** Job ids in the queue right now, of any state. */
  jobIds(): string[];
}

/** Whether this machine can run the Slurm tests at all (root, and the packages installed). */
export function slurmAvailable(): boolean {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return isRoot && ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/sbin/munged'].every((file) => existsSync(file));
}

function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function pidFrom(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the machine-wide lock; a lock whose holder died is taken over. */
async function acquireLock(): Promise<void> {
  await waitFor(
    'the Slurm test lock (another Slurm test file is running)',
    () => {
      try {
        const fd = openSync(LOCK_FILE, 'wx', 0o600);
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        return true;
      } catch {
        const holder = pidFrom(LOCK_FILE);
        if (holder === undefined || !isRunning(holder)) rmSync(LOCK_FILE, { force: true });
        return false;
      }
    },
    600_000,
  );
}

function ensureMunge(): void {
  if (!existsSync(MUNGE_KEY)) run('/usr/sbin/mungekey', ['--create', `--keyfile=${MUNGE_KEY}`]);
  const munge = Number(run('id', ['-u', 'munge']).trim());
  const mungeGroup = Number(run('id', ['-g', 'munge']).trim());
  chownSync(MUNGE_KEY, munge, mungeGroup);
  chmodSync(MUNGE_KEY, 0o400);
  mkdirSync('/run/munge', { recursive: true });
  chownSync('/run/munge', munge, mungeGroup);
  if (spawnSync('/bin/sh', ['-c', 'munge -n | unmunge'], { stdio: 'ignore' }).status === 0) return;
  rmSync(PID_FILES.munged, { force: true });
  run('runuser', ['-u', 'munge', '--', '/usr/sbin/munged']); // munged refuses to run as root
}

function ensureHostname(node: string): void {
  if (spawnSync('getent', ['hosts', node], { stdio: 'ignore' }).status === 0) return;
  appendFileSync('/etc/hosts', `127.0.0.1 ${node}\n`);
}

/** slurm.conf for one node on loopback with no systemd/cgroups (see docs/slurm.md). */
export function slurmConf(node: string, cpus = SLURM_NODE_CPUS): string {
  return [
    'ClusterName=gatehouse-test',
    `SlurmctldHost=${node}(127.0.0.1)`,
    'SlurmUser=slurm',
    'AuthType=auth/munge',
    'StateSaveLocation=/var/spool/slurmctld',
    'SlurmdSpoolDir=/var/spool/slurmd',
    'SlurmctldPidFile=/run/slurmctld.pid',
    'SlurmdPidFile=/run/slurmd.pid',
    'SlurmctldLogFile=/var/log/slurm/slurmctld.log',
    'SlurmdLogFile=/var/log/slurm/slurmd.log',
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'SchedulerParameters=batch_sched_delay=0',
    'SlurmdParameters=config_overrides',
    'ReturnToService=2',
    'MpiDefault=none',
    `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=1000 State=UNKNOWN`,
    `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n');
}

function nodeState(node: string): string {
  const result = spawnSync('sinfo', ['-h', '-n', node, '-o', '%T'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : '';
}

async function waitForIdle(node: string): Promise<void> {
  await waitFor(`Slurm node ${node} idle`, () => {
    const state = nodeState(node);
    if (/^(down|drain)/.test(state)) spawnSync('scontrol', ['update', `NodeName=${node}`, 'State=RESUME'], { stdio: 'ignore' });
    return state === 'idle';
  }, 60_000);
}

async function stopDaemon(pidFile: string): Promise<void> {
  const pid = pidFrom(pidFile);
  if (pid !== undefined && isRunning(pid)) {
    process.kill(pid, 'SIGTERM');
    await waitFor(`${pidFile} process to exit`, () => !isRunning(pid), 30_000);
  }
  rmSync(pidFile, { force: true }); // a stale pid file makes a later `apt-get purge` fail
}

function startController(): void {
  run('/usr/sbin/slurmctld', []);
}

function queuedJobIds(): string[] {
  const result = spawnSync('squeue', ['-h', '-o', '%i'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n').filter((line) => line !== '') : [];
}

/** Starts the cluster (`cpus`: what its one node advertises); call `stop()` in afterAll. */
export async function startSlurmCluster(options: { cpus?: number } = {}): Promise<SlurmCluster> {
  await acquireLock();
  const node = os.hostname().split('.')[0] as string;
  try {
    ensureHostname(node);
    ensureMunge();
    for (const dir of ['/var/spool/slurmctld', '/var/log/slurm']) {
      mkdirSync(dir, { recursive: true });
      chownSync(dir, Number(run('id', ['-u', 'slurm']).trim()), Number(run('id', ['-g', 'slurm']).trim()));
    }
    mkdirSync('/var/spool/slurmd', { recursive: true });
    writeFileSync(SLURM_CONF, slurmConf(node, options.cpus));
    await stopDaemon(PID_FILES.slurmd);
    await stopDaemon(PID_FILES.slurmctld);
    startController();
    run('/usr/sbin/slurmd', []);
    await waitForIdle(node);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    node,
    stop: stopAll,
    stopController: () => stopDaemon(PID_FILES.slurmctld),
    async startController() {
      startController();
      await waitFor('slurmctld answering', () => spawnSync('squeue', ['-h'], { stdio: 'ignore' }).status === 0, 30_000);
    },
    jobIds: queuedJobIds,
  };
}

async function stopAll(): Promise<void> {
  try {
    if (queuedJobIds().length > 0) {
      spawnSync('scancel', ['--full', ...queuedJobIds()], { stdio: 'ignore' });
      await waitFor('every test job gone', () => queuedJobIds().length === 0 || spawnSync('squeue', ['-h'], { stdio: 'ignore' }).status !== 0, 30_000);
    }
    await stopDaemon(PID_FILES.slurmd);
    await stopDaemon(PID_FILES.slurmctld);
    await stopDaemon(PID_FILES.munged);
    rmSync(SLURM_CONF, { force: true });
  } finally {
    if (pidFrom(LOCK_FILE) === process.pid) rmSync(LOCK_FILE, { force: true });
  }
}
