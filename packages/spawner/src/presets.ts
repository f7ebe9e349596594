import { findExecutable } from './executables.ts';
import { LocalProcessSpawner } from './local-process.ts';
import type { LocalProcessSpawnerOptions } from './local-process-options.ts';
import { jupyterhubSingleuserPreset, jupyterServerPreset } from './server-presets.ts';

/**
 * Spawn presets for the servers people actually use (their commands: server-presets.ts). Each is a
 * LocalProcessSpawner with the right command, environment and proxy credential; `options` may
 * override any of it (e.g. portRange).
 */

type PresetOptions = Omit<LocalProcessSpawnerOptions, 'command'>;

export class JupyterhubSingleuserSpawner extends LocalProcessSpawner {
  override readonly description: string;
  constructor(options: PresetOptions = {}) {
    const preset = jupyterhubSingleuserPreset();
    super({ credential: preset.credential, ...options, command: preset.command, env: { ...preset.env, ...options.env } });
    this.description = preset.description;
  }
}

export class JupyterServerSpawner extends LocalProcessSpawner {
  override readonly description: string;
  /** `app`: 'server' runs `jupyter server` (Jupyter Server 1.x), 'notebook' the classic `jupyter notebook`. */
  constructor(options: PresetOptions & { app?: 'server' | 'notebook' } = {}) {
    const { app = 'server', ...rest } = options;
    const preset = jupyterServerPreset(app, '127.0.0.1');
    super({ credential: preset.credential, ...rest, env: { ...preset.env, ...rest.env }, command: preset.command });
    this.description = preset.description;
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
