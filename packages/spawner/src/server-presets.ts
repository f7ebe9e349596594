import { fileURLToPath } from 'node:url';
import { findExecutable } from './executables.ts';

/**
 * The commands of the servers people actually use, shared by the local presets (presets.ts) and
 * SlurmSpawner's `server` option, so that both run the same thing:
 * - jupyterhub-singleuser: JupyterHub's own single-user server. It runs OAuth with the hub, so the
 *   proxy adds no credential. Debian has no JupyterLab: the classic notebook UI is selected. It binds
 *   the host and port of JUPYTERHUB_SERVICE_URL.
 * - jupyter server / jupyter notebook: plain servers authenticated by the per-server token, which
 *   the proxy injects as `Authorization: token …` (users never see it).
 * - demo: the bundled demo app (no Jupyter needed).
 */

export type ServerKind = 'demo' | 'jupyterhub-singleuser' | 'jupyter-server';
export const SERVER_KINDS: readonly ServerKind[] = ['demo', 'jupyterhub-singleuser', 'jupyter-server'];

export interface ServerPreset {
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly credential: 'token-header' | 'none';
  readonly description: string;
}

/** Absolute path of the bundled demo app, the default server (run with this Node binary). */
export const demoAppPath = fileURLToPath(new URL('../demo/demo-app.mjs', import.meta.url));

const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Where gatehouse_auth.py lives (Jupyter imports the login handler from PYTHONPATH). */
const JUPYTER_AUTH_DIR = fileURLToPath(new URL('../jupyter/', import.meta.url));

/** The port a server must bind, read from JUPYTERHUB_SERVICE_URL by the shell (plain Jupyter takes --port). */
const PORT_FROM_SERVICE_URL = 'port=${JUPYTERHUB_SERVICE_URL##*:}; port=${port%%/*}';

export function demoPreset(): ServerPreset {
  return { command: [process.execPath, demoAppPath], env: {}, credential: 'token-header', description: 'the bundled demo app' };
}

export function jupyterhubSingleuserPreset(): ServerPreset {
  const hasJupyterLab = findExecutable('jupyter-lab') !== undefined;
  return {
    command: [findExecutable('jupyterhub-singleuser') ?? 'jupyterhub-singleuser', ...(runningAsRoot ? ['--allow-root'] : [])],
    env: hasJupyterLab ? {} : { JUPYTERHUB_SINGLEUSER_APP: 'notebook.notebookapp.NotebookApp' },
    credential: 'none',
    description: 'jupyterhub-singleuser (OAuth with the hub)',
  };
}

/** `app`: 'server' runs `jupyter server` (Jupyter Server 1.x), 'notebook' the classic `jupyter notebook`; it listens on `ip`. */
export function jupyterServerPreset(app: 'server' | 'notebook', ip: string): ServerPreset {
  const appClass = app === 'server' ? 'ServerApp' : 'NotebookApp';
  const allowRoot = runningAsRoot ? ' --allow-root' : '';
  // Jupyter's own token stays empty (it would be written into every page); gatehouse_auth checks
  // the proxy's Authorization header instead.
  const script =
    `${PORT_FROM_SERVICE_URL}; exec jupyter ${app} --no-browser --ip=${ip} --port="$port"${allowRoot} ` +
    `--${appClass}.base_url="$JUPYTERHUB_SERVICE_PREFIX" --${appClass}.token='' --${appClass}.password='' ` +
    `--${appClass}.login_handler_class=gatehouse_auth.GatehouseLoginHandler --${appClass}.port_retries=0`;
  return {
    command: ['/bin/sh', '-c', script],
    env: { PYTHONPATH: JUPYTER_AUTH_DIR },
    credential: 'token-header',
    description: `jupyter ${app} (token injected by the proxy)`,
  };
}

/** The preset for `kind`, its server listening on `ip` where the server takes an address option. */
export function serverPreset(kind: ServerKind, ip: string): ServerPreset {
  if (kind === 'jupyterhub-singleuser') return jupyterhubSingleuserPreset();
  if (kind === 'jupyter-server') return jupyterServerPreset('server', ip);
  return demoPreset();
}
