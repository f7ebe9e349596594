import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boundLogFile } from '@gatehouse/spawner';
import { eventually, inlineServerCommand, makeRequest, makeTempDir, silentLogger, testPortRange, useSpawnerFixtures } from './helpers.ts';

const PORTS = testPortRange(4);

/** A server that answers HTTP and writes a numbered ~100-byte line to stdout every 10 ms. */
const CHATTY_SERVER = inlineServerCommand("(q, s) => s.end('ok')", {
  before: "let n = 0; setInterval(() => console.log('line ' + n++ + ' ' + 'x'.repeat(90)), 10);",
});

describe('boundLogFile', () => {
  let dir: string;
  const makeFixture = useSpawnerFixtures();

  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves a file within the limit alone, and ignores a missing file', () => {
    const file = path.join(dir, 'small.log');
    writeFileSync(file, 'hello\n');

    expect(boundLogFile(file, 6)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('hello\n');
    expect(boundLogFile(path.join(dir, 'missing.log'), 10)).toBe(false);
  });

  it('moves the last maxBytes to <file>.1 (replacing it, mode 0600) and truncates the file', () => {
    const file = path.join(dir, 'big.log');
    writeFileSync(`${file}.1`, 'older rotation');
    writeFileSync(file, `${'a'.repeat(100)}${'z'.repeat(50)}`);

    expect(boundLogFile(file, 50)).toBe(true);

    expect(readFileSync(`${file}.1`, 'utf8')).toBe('z'.repeat(50));
    expect(statSync(`${file}.1`).mode & 0o777).toBe(0o600);
    expect(statSync(file).size).toBe(0);
  });

  it('rejects a maxBytes that is not a positive integer', () => {
    expect(() => boundLogFile(path.join(dir, 'x.log'), 0)).toThrow(RangeError);
    expect(() => boundLogFile(path.join(dir, 'x.log'), 1.5)).toThrow(RangeError);
  });

  it('a running server keeps logging from the start of the truncated file (O_APPEND, no hole)', async () => {
    const fixture = await makeFixture({ portRange: PORTS, command: CHATTY_SERVER });
    const request = makeRequest(fixture.dir);
    await fixture.start(request);
    await eventually(() => statSync(fixture.spawner.logFileFor(request)).size > 2000);

    expect(boundLogFile(fixture.spawner.logFileFor(request), 1000)).toBe(true);

    const rotated = readFileSync(`${fixture.spawner.logFileFor(request)}.1`, 'utf8');
    expect(rotated.length).toBe(1000);
    expect(rotated).toMatch(/line \d+ x+\n$/);
    await eventually(() => /line \d+ x+\n/.test(readFileSync(fixture.spawner.logFileFor(request), 'utf8')));
    const current = readFileSync(fixture.spawner.logFileFor(request));
    // Without O_APPEND the child would write at its old offset, leaving a run of NUL bytes first.
    expect(current[0]).not.toBe(0);
    expect(current.length).toBeLessThan(2000);
  });

  it('poll() keeps a running server\'s log within serverLogMaxBytes; readLog() reads it, also after stop', async () => {
    const fixture = await makeFixture({ portRange: PORTS, command: CHATTY_SERVER });
    await fixture.spawner.init({ logger: silentLogger, ports: fixture.ports, dataDir: fixture.dataDir, serverLogMaxBytes: 4096 });
    const request = { ...makeRequest(fixture.dir), serverName: 'lab' };
    const handle = await fixture.start(request);
    const file = fixture.spawner.logFileFor(request);
    expect(path.basename(file)).toBe(`${request.username}+lab.log`);
    await eventually(() => statSync(file).size > 4096);

    expect(await fixture.spawner.poll(handle)).toBe('running');
    expect(statSync(`${file}.1`).size).toBe(4096);
    expect(statSync(file).size).toBeLessThan(4096);
    await eventually(() => statSync(file).size > 0);
    expect(await fixture.spawner.readLog(request, 200)).toMatch(/line \d+ x+\n$/);

    await fixture.spawner.stop(handle);
    expect((await fixture.spawner.readLog(request, 100_000)).length).toBeGreaterThan(0);
    // Another server of the same user has a log of its own.
    expect(await fixture.spawner.readLog({ username: request.username, serverName: '' }, 100)).toBe('');
  });
});
