/**
 * Thrown by a plugin constructor (or `init`) when its options are wrong; `key` is the full config
 * path (`authenticator.throttle.lockMinutes`, `spawner.portRange`). The hub reports it like its
 * own configuration errors, one line naming the key, with "did you mean" for an unknown key.
 */
export class PluginOptionsError extends Error {
  readonly key: string;
  /** For an unknown key: the keys that would have been accepted (the hub suggests the closest). */
  readonly knownKeys: readonly string[] | undefined;
  constructor(key: string, problem: string, knownKeys?: readonly string[]) {
    super(`${key}: ${problem}`);
    this.name = 'PluginOptionsError';
    this.key = key;
    this.knownKeys = knownKeys;
  }
}
