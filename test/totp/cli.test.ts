import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';
import { writeHubConfig } from '../api/helpers.ts';
import { enrolThroughApi, isSignedIn, passwordStep, toFreshStep } from './helpers.ts';

// `gatehouse totp-reset NAME` as a child process against the data dir of a running hub.

let hub: TestHub;
let config: string;
let dataDir: string;

beforeAll(async () => {
  const dir = tempDir('gatehouse-totp-cli-');
  dataDir = path.join(dir, 'data');
  config = writeHubConfig(dir, 'new DummyAuthenticator()');
  hub = await startTestHub({ dataDir });
});
afterAll(async () => {
  await hub.close();
  cleanupTempDirs();
});

describe('gatehouse totp-reset', () => {
  it("removes the user's second factor, saying who did it; the next login needs no code", async () => {
    toFreshStep(hub);
    await enrolThroughApi(hub, await loginWithForm(hub.baseUrl, 'alice'), 'alice');
    await passwordStep(hub.baseUrl, 'alice');
    const result = await runCli(['totp-reset', 'alice', '--config', config, '--data-dir', dataDir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe("Reset alice's second factor; they can set up a new one at their next sign-in.");
    expect(result.stderr).toMatch(/"username":"alice".*"actor":"cli:[^"]+".*second factor reset/);
    expect(await isSignedIn(await loginWithForm(hub.baseUrl, 'alice'))).toBe(true);
  });

  it('refuses an unknown user with a one-line reason', async () => {
    const result = await runCli(['totp-reset', 'nobody', '--config', config, '--data-dir', dataDir]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('no user named nobody');
  });
});
