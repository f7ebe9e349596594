import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PluginOptionsError, SlurmSpawner } from '@gatehouse/spawner';
import { batchScript, sbatchArguments, type BatchJob } from '../../packages/spawner/src/slurm/batch-script.ts';
import { resolveSlurmOptions } from '../../packages/spawner/src/slurm/options.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

function keyOf(options: unknown): string | undefined {
  try {
    new SlurmSpawner(options as ConstructorParameters<typeof SlurmSpawner>[0]);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(PluginOptionsError);
    return (error as PluginOptionsError).key;
  }
}

function job(overrides: Partial<BatchJob> = {}): BatchJob {
  return { jobName: 'gatehouse-alice', logFile: '/data/logs/alice.log', resources: resolveSlurmOptions({}), environment: {}, argv: ['/bin/true'], ...overrides };
}

afterAll(() => cleanupTempDirs());

describe('SlurmSpawner options', () => {
  it('refuses each bad option by its full key', () => {
    expect(keyOf({ partitoin: 'debug' })).toBe('spawner.partitoin');
    expect(keyOf({ partition: 'debug; rm -rf ~' })).toBe('spawner.partition');
    expect(keyOf({ account: '' })).toBe('spawner.account');
    expect(keyOf({ qos: 'a b' })).toBe('spawner.qos');
    expect(keyOf({ time: '8 hours' })).toBe('spawner.time');
    expect(keyOf({ cpus: 0 })).toBe('spawner.cpus');
    expect(keyOf({ cpus: 1.5 })).toBe('spawner.cpus');
    expect(keyOf({ memory: '4X' })).toBe('spawner.memory');
    expect(keyOf({ memory: -1 })).toBe('spawner.memory');
    expect(keyOf({ gres: 'gpu:1 --uid=0' })).toBe('spawner.gres');
    expect(keyOf({ sbatchArgs: ['--output=/tmp/elsewhere'] })).toBe('spawner.sbatchArgs[0]');
    expect(keyOf({ sbatchArgs: ['--constraint=skylake', '-p debug'] })).toBe('spawner.sbatchArgs[1]');
    expect(keyOf({ sbatchArgs: ['--export=ALL'] })).toBe('spawner.sbatchArgs[0]');
    expect(keyOf({ server: 'rstudio' })).toBe('spawner.server');
    expect(keyOf({ server: 'demo', command: ['/bin/app'] })).toBe('spawner.server');
    expect(keyOf({ env: { HOME: '/x' } })).toBe('spawner.env.HOME');
    expect(keyOf({ queueTimeout: 0 })).toBe('spawner.queueTimeout');
    expect(keyOf({ pollInterval: 'fast' })).toBe('spawner.pollInterval');
    expect(keyOf({ hubUrl: 'ftp://hub/' })).toBe('spawner.hubUrl');
    expect(keyOf({ nodeHostPattern: '(' })).toBe('spawner.nodeHostPattern');
    expect(keyOf({ serverIp: 'everywhere' })).toBe('spawner.serverIp');
  });

  it('accepts what Slurm accepts, and bounds a whole start by queue wait plus start', () => {
    const spawner = new SlurmSpawner({ partition: 'gpu-a100', time: '1-00:00', cpus: 4, memory: '16G', gres: 'gpu:a100:2', queueTimeout: 600, startTimeout: 60 });
    expect(spawner.startTimeout).toBe(660);
    expect(resolveSlurmOptions({ memory: 2048 }).memory).toBe('2048');
    expect(resolveSlurmOptions({ nodeHostPattern: 'node[0-9]+' }).nodeHostPattern.test('node12.evil')).toBe(false);
  });
});

describe('the batch job', () => {
  it('passes resources as single sbatch arguments, keeps the environment out, and writes % literally', () => {
    const resources = resolveSlurmOptions({ partition: 'debug', cpus: 2, memory: '1G', sbatchArgs: ['--constraint=skylake'] });
    expect(sbatchArguments(job({ resources, logFile: '/data/logs/%C3%A9l%j.log' }))).toEqual([
      '--parsable', '--export=NONE', '--job-name=gatehouse-alice', '--output=/data/logs/%%C3%%A9l%%j.log', '--open-mode=append',
      '--partition=debug', '--cpus-per-task=2', '--mem=1G', '--constraint=skylake',
    ]);
  });

  it('hands every value to the server as data, whatever the shell would make of it', () => {
    const dir = tempDir('gatehouse-batch-');
    const hostile = "it's $(touch pwned) `touch pwned` ${HOME} \"q\"\nline two; exit 1";
    const script = path.join(dir, 'job.sh');
    writeFileSync(script, batchScript(job({ environment: { SITE: hostile }, argv: ['/usr/bin/printenv', 'SITE'] })));
    const result = spawnSync('/bin/sh', [script], { cwd: dir, env: { HOME: dir, PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${hostile}\n`);
    expect(spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.trim()).toBe('job.sh');
    expect(() => batchScript(job({ environment: { 'BAD NAME': 'x' } }))).toThrow(/not an environment variable name/);
  });
});
