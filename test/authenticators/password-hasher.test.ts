import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, getPriority } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LocalAuthenticator, hashPassword, runLoginPipeline, verifyPassword } from '@gatehouse/authenticators';
import { DEFAULT_HASHER_NICE, PasswordHasher, PasswordHasherError } from '../../packages/authenticators/src/password-hasher.ts';
import { ARGON2_PARAMETERS, passwordHasher } from '../../packages/authenticators/src/password-hashing.ts';
import { REPO_ROOT, runCli } from '../support/cli.ts';
import { isRunning, waitFor } from '../support/processes.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';
import { DEFAULT_POLICY, formRequest, useStoreFixtures } from './helpers.ts';

/**
 * Hashing runs in a separate low-priority child process. These tests drive the real child: they
 * read its priority from /proc, kill and stop it mid-request, and kill its parent.
 */

const GOOD = 'correct-horse-battery-staple';
const WRONG = 'lantern-orbit-velvet-9';
const HASHER_SOURCE = path.join(REPO_ROOT, 'packages/authenticators/src/password-hasher.ts');

const hashers: PasswordHasher[] = [];
afterEach(() => {
  for (const hasher of hashers.splice(0)) hasher.close();
});
afterAll(cleanupTempDirs);

function newHasher(options: ConstructorParameters<typeof PasswordHasher>[0] = {}): PasswordHasher {
  const hasher = new PasswordHasher(options);
  hashers.push(hasher);
  return hasher;
}

/** The nice value of each of a process's threads (field 19 of /proc/PID/task/TID/stat). */
function threadNiceValues(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

/** Starts `count` verifies and resolves once the child has received them all and is hashing. */
async function verifiesInProgress(hasher: PasswordHasher, hash: string, count: number): Promise<Array<Promise<boolean>>> {
  const verifies = Array.from({ length: count }, (_, i) => hasher.verify(hash, i % 2 === 0 ? WRONG : GOOD));
  // The channel keeps order: stats is answered after the child has taken the verifies.
  expect((await hasher.stats()).running).toBeGreaterThan(0);
  return verifies;
}

/**
 * Stops the hasher's child (SIGSTOP), then makes the requests: they stay pending whatever the
 * machine's load, instead of racing a hash that takes ~20-30 ms. The caller kills the child.
 */
function pendingOnStoppedChild<T>(hasher: PasswordHasher, makeRequests: () => Array<Promise<T>>): Array<Promise<T>> {
  process.kill(hasher.pid as number, 'SIGSTOP');
  const requests = makeRequests();
  expect(hasher.pendingRequests).toBe(requests.length);
  return requests;
}

describe('the password hasher process', () => {
  it('hashes and verifies in a child process, not in this one', async () => {
    const hash = await hashPassword(GOOD);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, GOOD)).toBe(true);
    expect(await verifyPassword(hash, WRONG)).toBe(false);
    const pid = passwordHasher.pid;
    expect(pid).toBeDefined();
    expect(pid).not.toBe(process.pid);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('password-hasher-child.mjs');
  });

  it.runIf(process.platform === 'linux')('runs in a session of its own (its own scheduling group beside the hub\'s), and one hash fewer than the cores at once', async () => {
    await hashPassword(GOOD);
    const pid = passwordHasher.pid as number;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [, , , session] = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state ppid pgrp session
    expect(Number(session)).toBe(pid);
    const hash = await hashPassword(GOOD);
    const verifies = Array.from({ length: 6 }, () => verifyPassword(hash, GOOD));
    await Promise.all(verifies);
    expect((await passwordHasher.stats()).peak).toBe(Math.max(1, availableParallelism() - 1));
  });

  it.runIf(process.platform === 'linux')('runs every thread, the hashing ones included, at the hasher\'s nice value', async () => {
    const hash = await hashPassword(GOOD);
    const verifies = await verifiesInProgress(passwordHasher, hash, 8);
    const pid = passwordHasher.pid as number;
    const expected = Math.max(DEFAULT_HASHER_NICE, getPriority());
    expect(getPriority(pid)).toBe(expected);
    const niceValues = threadNiceValues(pid);
    // node's main thread, V8's and libuv's pool threads (started before the child's code ran).
    expect(niceValues.length).toBeGreaterThan(4);
    expect(niceValues.every((nice) => nice === expected), `thread nice values ${niceValues.join(' ')}`).toBe(true);
    await Promise.all(verifies);
  });

  it('runs at most `concurrency` hashes at once and queues the rest', async () => {
    const hasher = newHasher({ concurrency: 2 });
    const hash = await hasher.hash(GOOD, ARGON2_PARAMETERS);
    const verifies = Array.from({ length: 12 }, () => hasher.verify(hash, GOOD));
    const during = await hasher.stats();
    expect(during.running).toBeLessThanOrEqual(2);
    expect(during.queued).toBeGreaterThan(0);
    expect(await Promise.all(verifies)).toEqual(Array(12).fill(true));
    expect(await hasher.stats()).toEqual({ running: 0, queued: 0, peak: 2 });
  });

  it('rejects what is pending when the child is killed, and the next request starts a new child', async () => {
    const hasher = newHasher({ concurrency: 1 });
    const hash = await hasher.hash(GOOD, ARGON2_PARAMETERS);
    const first = hasher.pid as number;
    const verifies = pendingOnStoppedChild(hasher, () => Array.from({ length: 6 }, (_, i) => hasher.verify(hash, i % 2 === 0 ? WRONG : GOOD)));
    process.kill(first, 'SIGKILL');
    const outcomes = await Promise.allSettled(verifies);
    // Wrong and right passwords alike: no verdict, least of all `true`.
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(PasswordHasherError);
      expect(reason.message).toMatch(/password hasher exited \(SIGKILL\) before answering/);
    }
    expect(await hasher.verify(hash, WRONG)).toBe(false);
    expect(await hasher.verify(hash, GOOD)).toBe(true);
    expect(hasher.pid).not.toBe(first);
  });

  it('kills a child that makes no progress, so a request never waits forever', async () => {
    // Only requests to the stopped child run under this short watchdog: no argon2 work on a loaded machine does.
    const hasher = newHasher({ progressTimeoutMs: 3000 });
    const hash = await hashPassword(GOOD);
    await hasher.stats();
    const stuck = hasher.pid as number;
    const verifies = pendingOnStoppedChild(hasher, () => [hasher.verify(hash, GOOD), hasher.verify(hash, WRONG)]);
    for (const outcome of await Promise.allSettled(verifies)) {
      expect(outcome.status).toBe('rejected');
      expect(((outcome as PromiseRejectedResult).reason as Error).message).toMatch(/password hasher made no progress for 3 s/);
    }
    await waitFor('the stuck child is gone', () => !isRunning(stuck));
    expect(await hasher.stats()).toMatchObject({ running: 0, queued: 0 });
    expect(hasher.pid).not.toBe(stuck);
  });

  it('reports argon2 errors as errors and keeps working; close() rejects what is pending', async () => {
    const hasher = newHasher();
    await expect(hasher.hash(GOOD, { ...ARGON2_PARAMETERS, memoryCost: 1 })).rejects.toThrow(/password hasher failed: .*memory/i);
    const pid = hasher.pid;
    const hash = await hasher.hash(GOOD, ARGON2_PARAMETERS);
    expect(hasher.pid).toBe(pid);
    expect(await hasher.verify('$argon2id$v=19$garbage', GOOD)).toBe(false);
    const pending = hasher.verify(hash, GOOD);
    hasher.close();
    await expect(pending).rejects.toThrow(/password hasher was closed/);
  });
});

describe('a login while the hasher dies', () => {
  const openStores = useStoreFixtures();

  it('fails with an error, not a refusal that counts against the account, and the next login works', async () => {
    const stores = openStores();
    const authenticator = new LocalAuthenticator();
    await authenticator.init(stores.host);
    expect((await authenticator.accountManagement.addAccount('alice', GOOD)).ok).toBe(true);
    // Stopped first, the hasher cannot finish the verify (a hash takes ~20-30 ms) before it is killed.
    const pid = passwordHasher.pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      const attempt = runLoginPipeline(authenticator, formRequest('alice', WRONG), DEFAULT_POLICY);
      await waitFor('the login to wait for the hasher', () => passwordHasher.pendingRequests > 0);
      process.kill(pid, 'SIGKILL');
      await expect(attempt).rejects.toBeInstanceOf(PasswordHasherError);
    } finally {
      if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    }
    const failures = stores.db.prepare('SELECT count(*) AS n FROM login_failures').get() as { n: number };
    expect(failures.n).toBe(0);
    expect(await runLoginPipeline(authenticator, formRequest('alice', WRONG), DEFAULT_POLICY)).toMatchObject({ ok: false, reason: 'invalid-credentials' });
    expect(await runLoginPipeline(authenticator, formRequest('alice', GOOD), DEFAULT_POLICY)).toMatchObject({ ok: true, username: 'alice' });
  });
});

describe('the hasher and its parent', () => {
  /** A node process that hashes through its own hasher, prints the child's pid, and (busy) keeps ~10 s of verifies pending. */
  function startParent(mode: 'idle' | 'busy') {
    const script = path.join(tempDir('gatehouse-hasher-parent-'), 'parent.mts');
    writeFileSync(
      script,
      [
        `import { PasswordHasher } from ${JSON.stringify(HASHER_SOURCE)};`,
        `const hasher = new PasswordHasher({ concurrency: 1 });`,
        `const hash = await hasher.hash('x', ${JSON.stringify(ARGON2_PARAMETERS)});`,
        `const pending = ${JSON.stringify(mode)} === 'busy' ? Array.from({ length: 300 }, () => hasher.verify(hash, 'x')) : [];`,
        `await hasher.stats();`,
        `console.log(hasher.pid);`,
        `await Promise.all(pending);`,
      ].join('\n'),
    );
    const parent = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const closed = once(parent, 'close');
    const childPid = new Promise<number>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    return { parent, closed, childPid };
  }

  it('does not keep its parent alive once nothing is pending, and exits with it', async () => {
    const { closed, childPid } = startParent('idle');
    const pid = await childPid;
    expect(isRunning(pid)).toBe(true);
    const [code] = (await closed) as [number | null];
    expect(code).toBe(0);
    await waitFor('the hasher has exited', () => !isRunning(pid));
  });

  it('exits when its parent is killed in the middle of a storm', async () => {
    const { parent, closed, childPid } = startParent('busy');
    const pid = await childPid;
    parent.kill('SIGKILL');
    await closed;
    // Well before it could have worked through the queue.
    await waitFor('the orphaned hasher has exited', () => !isRunning(pid), 3000);
  });

  it('lets `gatehouse hash-password` exit as soon as the hash is printed', async () => {
    const started = Date.now();
    const result = await runCli(['hash-password', '--password-stdin'], { input: `${GOOD}\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(await verifyPassword(result.stdout.trim(), GOOD)).toBe(true);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
