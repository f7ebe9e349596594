import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from './helpers.ts';
import type { ProbeAnswer } from './probe-server.ts';

// A hub that runs as an ordinary OS account (not root) still sandboxes its servers with bubblewrap:
// the fixture plays that hub as a user this test creates.

const isRoot = process.getuid?.() === 0;
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/unprivileged-hub.ts', import.meta.url));
// Beside the Jupyter suite's blocks: the spawner's (30000-31399) and the proxy suite's (31400-) are taken.
const [PORT_MIN, PORT_MAX] = [45200, 45299];

interface Findings {
  readonly hubUid: number;
  readonly isolation: { level: string; summary: string };
  readonly homeMode: number;
  readonly server: ProbeAnswer;
  readonly own: ProbeAnswer;
  readonly bobsFile: ProbeAnswer;
  readonly bobsHome: ProbeAnswer;
  readonly secret: ProbeAnswer;
  readonly dataDir: ProbeAnswer;
}

describe.skipIf(!isRoot)('a hub running as an unprivileged OS user (needs root to create it)', () => {
  const username = uniqueName('gh-hub');
  let scratch: string;
  let uid: number;
  let gid: number;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'gatehouse-unprivileged-'));
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', scratch, '--shell', '/usr/sbin/nologin', username]);
    uid = Number(execFileSync('id', ['-u', username], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', username], { encoding: 'utf8' }).trim());
    chownSync(scratch, uid, gid);
    mkdirSync(path.join(scratch, 'data'), { mode: 0o700 });
    chownSync(path.join(scratch, 'data'), uid, gid);
  });

  afterAll(async () => {
    execFileSync('userdel', [username]);
    await rm(scratch, { recursive: true, force: true });
  });

  it("sandboxes alice's server with bwrap: her own home only, not bob's nor the hub's data dir", async () => {
    const dataDir = path.join(scratch, 'data');
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', FIXTURE, dataDir, String(PORT_MIN), String(PORT_MAX)],
        { cwd: REPO_ROOT, uid, gid, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: scratch }, timeout: 90_000 },
        (error, out, err) => (error === null ? resolve(out) : reject(new Error(`${error.message}\n${err}`))),
      );
    });
    const findings = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Findings;

    expect(findings.hubUid).toBe(uid);
    expect(findings.isolation.level).toBe('sandbox');
    expect(findings.homeMode).toBe(0o700);
    expect(findings.server.uid).toBe(uid);
    expect(findings.server.home).toBe(path.join(dataDir, 'homes', 'alice'));
    expect(findings.own.content).toBe('alice');
    expect(findings.bobsFile.error).toBe('ENOENT');
    expect(findings.bobsHome.error).toBe('ENOENT');
    expect(findings.secret.error).toBe('ENOENT');
    expect(findings.dataDir.listing).toEqual(['homes']);
  }, 120_000);
});
