/** The reference proxies: configurable-http-proxy 5.3, and the bench-only mini proxies. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { MiniProxyKind } from './mini-proxy.ts';
import { REPO_ROOT, StopWaiting, freePort, startChild, waitFor, type ManagedChild } from './processes.ts';

export const CHP_BIN = path.join(REPO_ROOT, 'node_modules/.bin/configurable-http-proxy');

export interface StartedProxy {
  readonly port: number;
  readonly child: ManagedChild;
}

/** CHP with the demo app as its default target; log level warn, like the hub. */
export async function startChp(targetPort: number): Promise<StartedProxy> {
  if (!existsSync(CHP_BIN)) throw new Error(`configurable-http-proxy is not installed at ${CHP_BIN}: run pnpm install`);
  const port = await freePort();
  const apiPort = await freePort();
  const { child } = await startChild(
    'configurable-http-proxy',
    CHP_BIN,
    ['--ip', '127.0.0.1', '--port', String(port), '--api-ip', '127.0.0.1', '--api-port', String(apiPort), '--default-target', `http://127.0.0.1:${targetPort}`, '--log-level', 'warn'],
    { env: { CONFIGPROXY_AUTH_TOKEN: 'bench-chp-api-token' } },
  );
  // At log level warn CHP prints nothing once it is up: poll its port instead.
  const answers = async () => {
    if (child.process.exitCode !== null) throw new StopWaiting(`configurable-http-proxy exited:\n${child.output()}`);
    return fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) }).then(() => true);
  };
  await waitFor(`configurable-http-proxy on port ${port}`, answers, 15_000);
  return { port, child };
}

export async function startMiniProxy(kind: MiniProxyKind, targetPort: number): Promise<StartedProxy> {
  const port = await freePort();
  const { child } = await startChild(`mini-proxy ${kind}`, process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'bench/mini-proxy.ts'), kind, String(port), String(targetPort)], {
    readyPattern: /listening on/,
  });
  return { port, child };
}
