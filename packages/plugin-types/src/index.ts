/**
 * What every Gatehouse plugin (authenticator, spawner) shares with the hub, defined once: the
 * option error a constructor throws, the logger it is given, and the address rule both sides apply.
 * The plugin packages re-export these; the hub matches them with `instanceof`, never by name.
 */
export { PluginOptionsError } from './options-error.ts';
export type { PluginLogger } from './logger.ts';
export { isLoopbackAddress } from './addresses.ts';
