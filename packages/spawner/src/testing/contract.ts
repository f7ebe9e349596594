import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isSpawner, SpawnError, type ServerHandle, type Spawner, type SpawnerHost } from '../types.ts';
import { httpStatus, MemoryPortRegistry, recordedRequest, silentLogger, type RecordedRequest } from './harness.ts';

export type SpawnerFactory = () => Spawner | Promise<Spawner>;

export interface SpawnerContractOptions {
  /**
   * Ends a running server behind the spawner's back, as a crash would (LocalProcessSpawner: SIGKILL
   * to its process group). Without it, "poll() notices a server that exited" is skipped.
   */
  readonly crash?: (handle: ServerHandle) => void | Promise<void>;
  /**
   * Makes a spawner of the same kind whose every start fails (e.g. a command that exits at once).
   * Without it, "a failed start rejects with a SpawnError" is skipped.
   */
  readonly makeFailing?: SpawnerFactory;
  /** Per test, in ms (default 60 000): a real server may take a while to start. */
  readonly timeoutMs?: number;
}

/** Long enough for any server to close its port after stop() resolved; a bound, not a sleep. */
const GONE_WITHIN_MS = 10_000;

/**
 * The Spawner contract (packages/spawner/src/types.ts) as a vitest suite. Call it at the top level
 * of a test file with a factory that makes a fresh, un-initialised spawner whose servers answer
 * HTTP at their prefix:
 *
 *     describeSpawnerContract('MySpawner', () => new MySpawner({ ... }), { crash, makeFailing });
 *
 * Each spawner is initialised with an in-memory port registry and a temporary data directory, as
 * the hub would. Every server a test starts is stopped after it, through the spawner.
 */
export function describeSpawnerContract(name: string, makeSpawner: SpawnerFactory, options: SpawnerContractOptions = {}): void {
  describe(`${name} meets the Spawner contract`, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-spawner-contract-'));
    const host: SpawnerHost & { ports: MemoryPortRegistry } = { logger: silentLogger, ports: new MemoryPortRegistry(), dataDir: path.join(dir, 'data') };
    const started: { spawner: Spawner; handle: ServerHandle }[] = [];
    const timeout = options.timeoutMs ?? 60_000;

    afterEach(async () => {
      // Best effort: a spawner that breaks the contract may fail here too; its own test says why.
      await Promise.all(started.splice(0).map(({ spawner, handle }) => spawner.stop(handle).catch(() => undefined)));
    }, timeout);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    async function ready(make: SpawnerFactory = makeSpawner): Promise<Spawner> {
      const spawner = await make();
      await spawner.init(host);
      return spawner;
    }

    /** A request for a new user; every handle the spawner launches for it is cleaned up after the test. */
    function request(spawner: Spawner, onLaunched?: (handle: ServerHandle) => void): RecordedRequest {
      return recordedRequest(`contract-${randomBytes(4).toString('hex')}`, (handle) => {
        started.push({ spawner, handle });
        onLaunched?.(handle);
      });
    }

    async function start(spawner: Spawner, req: RecordedRequest, signal = new AbortController().signal): Promise<ServerHandle> {
      const handle = await spawner.start(req, req.onProgress, signal);
      started.push({ spawner, handle });
      return handle;
    }

    /** Rejection of a start that must fail; the value it rejected with. */
    async function failedStart(spawner: Spawner, req: RecordedRequest, signal: AbortSignal): Promise<unknown> {
      return spawner.start(req, req.onProgress, signal).then(
        (handle) => {
          started.push({ spawner, handle });
          throw new Error('start() resolved; it should have rejected');
        },
        (error: unknown) => error,
      );
    }

    async function expectGone(spawner: Spawner, handle: ServerHandle, req: RecordedRequest): Promise<void> {
      expect(await spawner.poll(handle)).toBe('stopped');
      expect(await httpStatus(handle, req.prefix, req.apiToken)).toBeUndefined();
    }

    /** Nothing of a start that failed survives: each launched server is gone and no port stays claimed. */
    async function expectNothingLeft(spawner: Spawner, req: RecordedRequest): Promise<void> {
      for (const handle of req.launchedHandles) await expectGone(spawner, handle, req);
      expect([...host.ports.claimed.values()]).not.toContain(req.username);
    }

    it('has the shape the hub config validator accepts', async () => {
      const spawner = await makeSpawner();
      expect(isSpawner(spawner)).toBe(true);
      expect(spawner.kind).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(spawner.startTimeout).toBeGreaterThan(0);
    });

    it('start() resolves with a JSON-safe handle whose address answers HTTP at the prefix, reported through launched() first', async () => {
      const spawner = await ready();
      const req = request(spawner);

      const handle = await start(spawner, req);

      expect(JSON.parse(JSON.stringify(handle))).toEqual(handle);
      expect(['token-header', 'none']).toContain(handle.credential);
      expect(req.launchedHandles.length).toBeGreaterThan(0);
      expect(req.launchedHandles.at(-1)).toMatchObject({ host: handle.host, port: handle.port });
      expect(await httpStatus(handle, req.prefix, req.apiToken)).toBeLessThan(500);
      for (const event of req.progress) {
        expect(event.progress).toBeGreaterThanOrEqual(0);
        expect(event.progress).toBeLessThanOrEqual(100);
      }
    }, timeout);

    it('poll() says running while the server runs and stopped after stop()', async () => {
      const spawner = await ready();
      const req = request(spawner);
      const handle = await start(spawner, req);

      expect(await spawner.poll(handle)).toBe('running');
      await spawner.stop(handle);
      expect(await spawner.poll(handle)).toBe('stopped');
    }, timeout);

    it.skipIf(options.crash === undefined)('poll() notices a server that exited by itself, and stop() of it still resolves', async () => {
      const spawner = await ready();
      const req = request(spawner);
      const handle = await start(spawner, req);

      await options.crash?.(handle);

      const deadline = Date.now() + GONE_WITHIN_MS;
      while ((await spawner.poll(handle)) === 'running' && Date.now() < deadline) await delay(50);
      expect(await spawner.poll(handle)).toBe('stopped');
      await spawner.stop(handle);
      expect(host.ports.claimed.has(handle.port)).toBe(false);
    }, timeout);

    it('stop() resolves only once the server is gone, releases its port, and may be called again', async () => {
      const spawner = await ready();
      const req = request(spawner);
      const handle = await start(spawner, req);

      await spawner.stop(handle);

      await expectGone(spawner, handle, req);
      expect(host.ports.claimed.has(handle.port)).toBe(false);
      await spawner.stop(handle);
      await Promise.all([spawner.stop(handle), spawner.stop(handle)]);
      expect(await spawner.poll(handle)).toBe('stopped');
    }, timeout);

    it('readLog() answers with at most maxBytes of the server\'s output, also after it stopped, and "" for a server it never ran', async () => {
      const spawner = await ready();
      const req = request(spawner);
      const handle = await start(spawner, req);
      await httpStatus(handle, req.prefix, req.apiToken);
      await spawner.stop(handle);

      const log = await spawner.readLog(req, 64 * 1024);
      expect(typeof log).toBe('string');
      expect(Buffer.byteLength(await spawner.readLog(req, 16))).toBeLessThanOrEqual(16);
      expect(await spawner.readLog({ username: `never-${randomBytes(4).toString('hex')}`, serverName: '' }, 1024)).toBe('');
    }, timeout);

    it('a start aborted once launched rejects with a SpawnError and leaves nothing behind', async () => {
      const spawner = await ready();
      const abort = new AbortController();
      const req = request(spawner, () => abort.abort(new Error('the hub stopped this start')));

      const error = await failedStart(spawner, req, abort.signal);

      expect(error).toBeInstanceOf(SpawnError);
      expect(req.launchedHandles.length).toBeGreaterThan(0);
      await expectNothingLeft(spawner, req);
    }, timeout);

    it('a start aborted before it began rejects with a SpawnError and launches nothing', async () => {
      const spawner = await ready();
      const req = request(spawner);

      const error = await failedStart(spawner, req, AbortSignal.abort(new Error('the hub is shutting down')));

      expect(error).toBeInstanceOf(SpawnError);
      expect(req.launchedHandles).toEqual([]);
      await expectNothingLeft(spawner, req);
    }, timeout);

    it.skipIf(options.makeFailing === undefined)('a failed start rejects with a SpawnError whose reason a person can act on, and leaves nothing behind', async () => {
      const spawner = await ready(options.makeFailing);
      const req = request(spawner);

      const error = await failedStart(spawner, req, new AbortController().signal);

      expect(error).toBeInstanceOf(SpawnError);
      expect((error as SpawnError).reason.trim()).not.toBe('');
      await expectNothingLeft(spawner, req);
    }, timeout);

    it('another instance re-attaches from the saved handle alone, as after a hub restart', async () => {
      const before = await ready();
      const req = request(before);
      const saved = JSON.parse(JSON.stringify(await start(before, req))) as ServerHandle;

      const after = await ready();
      expect(await after.poll(saved)).toBe('running');
      await after.stop(saved);

      await expectGone(after, saved, req);
      expect(await before.poll(saved)).toBe('stopped');
    }, timeout);

    it('concurrent starts for different users each get a server of their own', async () => {
      const spawner = await ready();
      const requests = [request(spawner), request(spawner), request(spawner)];

      const handles = await Promise.all(requests.map((req) => start(spawner, req)));

      expect(new Set(handles.map((handle) => `${handle.host}:${handle.port}`)).size).toBe(handles.length);
      for (const [index, handle] of handles.entries()) {
        const req = requests[index] as RecordedRequest;
        expect(await httpStatus(handle, req.prefix, req.apiToken)).toBeLessThan(500);
      }
      await spawner.stop(handles[0] as ServerHandle);
      expect(await spawner.poll(handles[1] as ServerHandle)).toBe('running');
    }, timeout);
  });
}
