import { fileURLToPath } from 'node:url';
import { findExecutable } from './executables.ts';
import { LocalProcessSpawner } from './local-process.ts';
import type { LocalProcessSpawnerOptions } from './local-process-options.ts';

/**
 * Spawn presets for the servers people actually use. Each is a LocalProcessSpawner with the right
 * command, environment and proxy credential; `options` may override any of it (e.g. portRange).
 *
 * - jupyterhub-singleuser: JupyterHub's own single-user server. It runs OAuth with the hub, so the
 *   proxy adds no credential. Debian has no JupyterLab: the classic notebook UI is selected.
 * - jupyter server / jupyter notebook: plain servers authenticated by the per-server token, which
 *   the proxy injects as `Authorization: token …` (users never see it).
 * - demo: the bundled demo app (no Jupyter needed).
 */

type PresetOptions = Omit<LocalProcessSpawnerOptions, 'command'>;

const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function hasJupyterLab(): boolean {
  return findExecutable('jupyter-lab') !== undefined;
}

/** Where gatehouse_auth.py lives (Jupyter imports the login handler from PYTHONPATH). */
const JUPYTER_AUTH_DIR = fileURLToPath(new URL('../jupyter/', import.meta.url));

/** The port a server must bind, read from JUPYTERHUB_SERVICE_URL by the shell (plain Jupyter takes --port). */
const PORT_FROM_SERVICE_URL = 'port=${JUPYTERHUB_SERVICE_URL##*:}; port=${port%%/*}';

export class JupyterhubSingleuserSpawner extends LocalProcessSpawner {
  override readonly description: string;
  constructor(options: PresetOptions = {}) {
    super({
      credential: 'none',
      ...options,
      command: [findExecutable('jupyterhub-singleuser') ?? 'jupyterhub-singleuser', ...(runningAsRoot ? ['--allow-root'] : [])],
      env: { ...(hasJupyterLab() ? {} : { JUPYTERHUB_SINGLEUSER_APP: 'notebook.notebookapp.NotebookApp' }), ...options.env },
    });
    this.description = 'jupyterhub-singleuser (OAuth with the hub)';
  }
}

export class JupyterServerSpawner extends LocalProcessSpawner {
  override readonly description: string;
  /** `app`: 'server' runs `jupyter server` (Jupyter Server 1.x), 'notebook' the classic `jupyter notebook`. */
  constructor(options: PresetOptions & { app?: 'server' | 'notebook' } = {}) {
    const { app = 'server', ...rest } = options;
    const appClass = app === 'server' ? 'ServerApp' : 'NotebookApp';
    const allowRoot = runningAsRoot ? ' --allow-root' : '';
    // Jupyter's own token stays empty (it would be written into every page); gatehouse_auth checks
    // the proxy's Authorization header instead.
    const script =
      `${PORT_FROM_SERVICE_URL}; exec jupyter ${app} --no-browser --ip=127.0.0.1 --port="$port"${allowRoot} ` +
      `--${appClass}.base_url="$JUPYTERHUB_SERVICE_PREFIX" --${appClass}.token='' --${appClass}.password='' ` +
      `--${appClass}.login_handler_class=gatehouse_auth.GatehouseLoginHandler --${appClass}.port_retries=0`;
    super({
      credential: 'token-header',
      ...rest,
      env: { PYTHONPATH: JUPYTER_AUTH_DIR, ...rest.env },
      command: ['/bin/sh', '-c', script],
    });
    this.description = `jupyter ${app} (token injected by the proxy)`;
  }
}

export class DemoAppSpawner extends LocalProcessSpawner {
  override readonly description = 'the bundled demo app';
}

/** The best server installed here: jupyterhub-singleuser, then jupyter server, then the demo app. */
export function bestAvailableSpawner(options: PresetOptions = {}): LocalProcessSpawner & { description: string } {
  if (findExecutable('jupyterhub-singleuser') !== undefined) return new JupyterhubSingleuserSpawner(options);
  if (findExecutable('jupyter-server') !== undefined) return new JupyterServerSpawner({ ...options, app: 'server' });
  return new DemoAppSpawner(options);
}
