#!/usr/bin/env node
// Installs the Debian packages the test suite drives for real (a browser, nginx, Jupyter, Slurm) when
// they are missing. Runs before `vitest run` in `pnpm test`, so one command works on a fresh
// Debian machine. As root it uses apt-get; otherwise it names what to install and fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Each test dependency: the executable the tests run and the Debian package that provides it. */
const REQUIREMENTS = [
  { command: '/usr/bin/chromium', pkg: 'chromium', why: 'browser tests (playwright-core)' },
  { command: '/usr/sbin/nginx', pkg: 'nginx', why: 'front-proxy tests (RemoteUserAuthenticator)' },
  { command: '/usr/bin/jupyterhub-singleuser', pkg: 'jupyterhub', why: 'real jupyterhub-singleuser tests' },
  { command: '/usr/bin/jupyter-notebook', pkg: 'jupyter-notebook', why: 'classic notebook UI for Jupyter tests' },
  { command: '/usr/share/jupyter/kernels/python3/kernel.json', pkg: 'python3-ipykernel', why: 'a Python kernel for Jupyter tests' },
  { command: '/usr/bin/bwrap', pkg: 'bubblewrap', why: 'the server sandbox (spawner and Jupyter isolation tests)' },
  { command: '/usr/bin/oathtool', pkg: 'oathtool', why: 'TOTP codes from an independent implementation' },
  { command: '/usr/bin/zbarimg', pkg: 'zbar-tools', why: 'reading back the enrolment QR code' },
  { command: '/usr/sbin/slurmctld', pkg: 'slurmctld', why: 'a real single-node Slurm for the SlurmSpawner tests' },
  { command: '/usr/sbin/slurmd', pkg: 'slurmd', why: 'a real single-node Slurm for the SlurmSpawner tests' },
  { command: '/usr/bin/sbatch', pkg: 'slurm-client', why: 'sbatch, squeue and scancel for the SlurmSpawner' },
  { command: '/usr/sbin/munged', pkg: 'munge', why: "Slurm's authentication daemon" },
];

const missing = REQUIREMENTS.filter((requirement) => !existsSync(requirement.command));
if (missing.length === 0) process.exit(0);

const packages = [...new Set(missing.map((requirement) => requirement.pkg))];
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt) {
  for (const requirement of missing) console.error(`missing ${requirement.command} (${requirement.why})`);
  console.error(`Install them first: sudo apt-get install -y ${packages.join(' ')}`);
  process.exit(1);
}

console.error(`Installing test dependencies: ${packages.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'], env });
execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: ['ignore', 'inherit', 'inherit'], env });
const stillMissing = REQUIREMENTS.filter((requirement) => !existsSync(requirement.command));
if (stillMissing.length > 0) {
  for (const requirement of stillMissing) console.error(`still missing after install: ${requirement.command}`);
  process.exit(1);
}
