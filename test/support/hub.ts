import { Writable } from 'node:stream';
import { DummyAuthenticator } from '@gatehouse/authenticators';
import { createLogger, startHub, validateConfig, type GatehouseConfigInput, type RunningHub } from '@gatehouse/hub';
import { LocalProcessSpawner } from '@gatehouse/spawner';
import { tempDir } from './temp.ts';

/** Log lines a test hub wrote, parsed, so tests can assert on them (and that no secret appears). */
export class CapturedLogs extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
    callback();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface TestHub extends RunningHub {
  readonly baseUrl: string;
  readonly dataDir: string;
  readonly logs: CapturedLogs;
  readonly clock: { now: number; advance(ms: number): void };
}

/**
 * A real hub on an ephemeral port with a fresh data dir; defaults to the dummy authenticator
 * (any password) and the demo-app spawner. Close it in afterEach/afterAll.
 */
export async function startTestHub(overrides: Partial<GatehouseConfigInput> = {}, options: { realClock?: boolean } = {}): Promise<TestHub> {
  const dataDir = overrides.dataDir ?? tempDir('gatehouse-hub-');
  const logs = new CapturedLogs();
  const clock = {
    now: Date.now(),
    advance(ms: number) {
      clock.now += ms;
    },
  };
  const config = validateConfig({
    ip: '127.0.0.1',
    port: 0,
    authenticator: new DummyAuthenticator(),
    spawner: new LocalProcessSpawner({ portRange: [32000, 39999] }),
    ...overrides,
    dataDir,
  });
  const hub = await startHub(config, {
    logger: createLogger('debug', logs),
    writeRuntimeFile: false,
    // realClock: time passes by itself (the culler's tests); advance() then has no effect on the hub.
    now: options.realClock === true ? Date.now : () => clock.now,
  });
  return { ...hub, close: hub.close, baseUrl: hub.url.replace(/\/$/, ''), dataDir, logs, clock };
}
