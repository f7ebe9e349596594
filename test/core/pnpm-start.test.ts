import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';
import { waitFor } from '../support/processes.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

afterAll(cleanupTempDirs);

// Ctrl-C signals the whole foreground process group: pnpm, and the hub under it.
it('`pnpm start` stopped with Ctrl-C says the hub stopped, without pnpm\'s ELIFECYCLE noise', async () => {
  const child = spawn('npx', ['-y', 'pnpm@10.34.9', 'start', '--config', path.join(REPO_ROOT, 'config/examples/dummy.config.ts'), '--data-dir', path.join(tempDir(), 'data'), '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, GATEHOUSE_RUNTIME_DIR: tempDir() },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  try {
    await waitFor('the banner', () => output.includes('Press Ctrl-C'), 60_000);
  } finally {
    process.kill(-(child.pid as number), 'SIGINT');
  }
  await exited;
  expect(output).toMatch(/^Gatehouse stopped\.$/m);
  expect(output).not.toContain('ELIFECYCLE');
}, 90_000);
