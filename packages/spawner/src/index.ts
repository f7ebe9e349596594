export * from './types.ts';
export { LocalProcessSpawner, demoAppPath } from './local-process.ts';
export type { LocalProcessSpawnerOptions } from './local-process-options.ts';
export { boundLogFile, lastLines, readLogSince } from './log-file.ts';
export { JupyterhubSingleuserSpawner, JupyterServerSpawner, DemoAppSpawner, bestAvailableSpawner } from './presets.ts';
export { findExecutable } from './executables.ts';
export { SlurmSpawner, jobWrapperPath } from './slurm/slurm-spawner.ts';
export type { SlurmSpawnerOptions } from './slurm/options.ts';
export type { ServerKind } from './server-presets.ts';
