import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { demoAppPath } from '@gatehouse/spawner';
import { eventually, httpGet, listenOn, openWebSocket, testPortRange, tokenHeader } from './helpers.ts';

const [PORT_MIN] = testPortRange(6);

interface RunningDemo {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  readonly token: string;
}

const prefix = '/user/demo/';

/** The demo app run directly, the way the spawner runs it, with output captured. */
function runDemo(port: number, overrides: Record<string, string | undefined> = {}): RunningDemo {
  const token = randomBytes(16).toString('hex');
  const env: Record<string, string | undefined> = {
    PATH: process.env['PATH'],
    JUPYTERHUB_USER: 'demo',
    JUPYTERHUB_API_TOKEN: token,
    JUPYTERHUB_SERVICE_PREFIX: prefix,
    JUPYTERHUB_SERVICE_URL: `http://127.0.0.1:${port}${prefix}`,
    ...overrides,
  };
  const child = spawn(process.execPath, [demoAppPath], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited, token };
}

describe('the bundled demo app, run directly', () => {
  const started: RunningDemo[] = [];

  afterEach(async () => {
    for (const demo of started.splice(0)) {
      if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGKILL');
      await demo.exited;
    }
  });

  async function startDemo(port: number): Promise<RunningDemo> {
    const demo = runDemo(port);
    started.push(demo);
    await eventually(() => demo.output().includes('serving demo'));
    return demo;
  }

  it('says EADDRINUSE and exits 1 when its port is taken (the spawner retries on that)', async () => {
    const blocker = await listenOn(PORT_MIN);
    try {
      const demo = runDemo(PORT_MIN);
      started.push(demo);
      expect(await demo.exited).toBe(1);
      expect(demo.output()).toMatch(/cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  it('exits 2 naming the missing variable when not started by a hub', async () => {
    const demo = runDemo(PORT_MIN + 1, { JUPYTERHUB_API_TOKEN: undefined });
    started.push(demo);
    expect(await demo.exited).toBe(2);
    expect(demo.output()).toContain('JUPYTERHUB_API_TOKEN is not set');
  });

  it('exits 0 on SIGINT', async () => {
    const demo = await startDemo(PORT_MIN + 2);
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
  });

  it('closes open WebSockets (1001) and exits 0 on SIGTERM', async () => {
    const demo = await startDemo(PORT_MIN + 3);
    const { ws } = await openWebSocket(PORT_MIN + 3, `${prefix}ws`, tokenHeader(demo.token));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    demo.child.kill('SIGTERM');

    expect(await closed).toBe(1001);
    expect(await demo.exited).toBe(0);
  });

  it('redirects the bare prefix, reports other methods, answers 404 for an unknown route and keeps connections alive', async () => {
    const demo = await startDemo(PORT_MIN + 4);
    const auth = tokenHeader(demo.token);

    const bare = await httpGet(PORT_MIN + 4, '/user/demo?a=1', { ...auth, connection: 'keep-alive' });
    expect(bare.status).toBe(302);
    expect(bare.headers['location']).toBe('/user/demo/?a=1');
    expect((await httpGet(PORT_MIN + 4, `${prefix}nothing-here`, auth)).status).toBe(404);
    expect(bare.headers['keep-alive']).toBe('timeout=65');

    const posted = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: PORT_MIN + 4, path: `${prefix}api/headers`, method: 'POST', headers: auth }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end('ignored body');
    });
    expect(posted.status).toBe(200);
    expect(JSON.parse(posted.body)).toMatchObject({ method: 'POST', user: 'demo' });
  });
});
