import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as authenticators from '@gatehouse/authenticators';
import * as pluginTypes from '@gatehouse/plugin-types';
import * as spawner from '@gatehouse/spawner';
import { loadConfig } from '../../packages/hub/src/config/load.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

/** The contracts both plugin packages share are one definition (@gatehouse/plugin-types), re-exported. */

afterAll(cleanupTempDirs);

describe('@gatehouse/plugin-types', () => {
  it('is what both plugin packages export, not a copy', () => {
    expect(authenticators.PluginOptionsError).toBe(pluginTypes.PluginOptionsError);
    expect(spawner.PluginOptionsError).toBe(pluginTypes.PluginOptionsError);
    expect(authenticators.isLoopbackAddress).toBe(pluginTypes.isLoopbackAddress);
  });

  it("a spawner's option error from a config file is reported as invalid configuration, naming the key", async () => {
    const file = path.join(tempDir(), 'hub.config.ts');
    writeFileSync(
      file,
      `import { defineConfig } from '@gatehouse/hub';
       import { DummyAuthenticator } from '@gatehouse/authenticators';
       import { LocalProcessSpawner } from '@gatehouse/spawner';
       export default defineConfig({ authenticator: new DummyAuthenticator(), spawner: new LocalProcessSpawner({ stopGracePriod: 3 } as never) });`,
    );
    await expect(loadConfig(file)).rejects.toThrow(/^invalid configuration in .*:\n  spawner\.stopGracePriod: unknown key; did you mean `stopGracePeriod`\?$/);
  });
});
