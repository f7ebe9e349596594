import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

/**
 * The spawner contract suite can fail: run against spawners that each break one promise
 * (fixtures/broken-spawners.contract.ts, in a child vitest), it reports exactly that promise.
 */

afterAll(cleanupTempDirs);

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** The start of each contract test's title. */
const SHAPE = 'has the shape';
const START = 'start() resolves';
const POLL = 'poll() says running';
const CRASH = 'poll() notices';
const STOP = 'stop() resolves only once';
const ABORT_LAUNCHED = 'a start aborted once launched';
const ABORT_BEFORE = 'a start aborted before';
const FAILED = 'a failed start';
const REATTACH = 'another instance re-attaches';
const CONCURRENT = 'concurrent starts';
const READ_LOG = 'readLog() answers';
const ALL = [SHAPE, START, POLL, CRASH, STOP, ABORT_LAUNCHED, ABORT_BEFORE, FAILED, REATTACH, CONCURRENT, READ_LOG];

const EXPECTED_FAILURES: Record<string, readonly string[]> = {
  Control: [],
  StopsInTheBackground: [POLL, CRASH, STOP, REATTACH],
  AlwaysRunning: [POLL, CRASH, STOP, ABORT_LAUNCHED, REATTACH],
  IgnoresAbort: [ABORT_LAUNCHED, ABORT_BEFORE],
  PlainErrors: [ABORT_LAUNCHED, ABORT_BEFORE, FAILED],
  NeverLaunched: [START, ABORT_LAUNCHED],
  ForgetsOnRestart: [REATTACH],
  UnboundedLog: [READ_LOG],
};

interface JsonReport {
  readonly testResults: { readonly assertionResults: { readonly ancestorTitles: string[]; readonly title: string; readonly status: string }[] }[];
}

/** Runs the fixture in a child vitest; per spawner, each contract test's status by its title's start. */
async function runBrokenSpawners(): Promise<Map<string, Map<string, string>>> {
  const output = path.join(tempDir(), 'report.json');
  const vitest = path.join(repoRoot, 'node_modules/vitest/vitest.mjs');
  const config = path.join(repoRoot, 'test/spawner/fixtures/vitest.contract.config.ts');
  // Exits non-zero: failures are the point.
  await promisify(execFile)(process.execPath, [vitest, 'run', '--config', config, '--reporter=json', `--outputFile=${output}`], { cwd: repoRoot }).catch(() => undefined);
  const report = JSON.parse(readFileSync(output, 'utf8')) as JsonReport;
  const bySpawner = new Map<string, Map<string, string>>();
  for (const test of report.testResults.flatMap((file) => file.assertionResults)) {
    const spawner = test.ancestorTitles[0]?.replace(/ meets the Spawner contract$/, '') ?? '';
    const key = ALL.find((start) => test.title.startsWith(start)) ?? test.title;
    bySpawner.set(spawner, (bySpawner.get(spawner) ?? new Map<string, string>()).set(key, test.status));
  }
  return bySpawner;
}

describe('the spawner contract suite', () => {
  it('reports exactly the promise each broken spawner breaks, and nothing for a correct one', async () => {
    const results = await runBrokenSpawners();

    expect([...results.keys()].sort()).toEqual(Object.keys(EXPECTED_FAILURES).sort());
    for (const [spawner, expected] of Object.entries(EXPECTED_FAILURES)) {
      const statuses = results.get(spawner) ?? new Map<string, string>();
      expect([...statuses.keys()].sort(), spawner).toEqual([...ALL].sort());
      const failed = [...statuses].filter(([, status]) => status === 'failed').map(([key]) => key);
      expect(failed.sort(), spawner).toEqual([...expected].sort());
    }
  }, 180_000);
});
