import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** A spawner class of @gatehouse/spawner and its options, as the config file constructs it. */
export interface ConfigFileSpawner {
  readonly className: 'LocalProcessSpawner' | 'SlurmSpawner';
  /** JSON-serialisable: written into the file as a literal. */
  readonly options: Record<string, unknown>;
}

/**
 * Writes `dir/hub.config.ts` for `gatehouse start`: the dummy authenticator, `spawner`, servers
 * polled every second, and the top-level `options` (JSON-serialisable). Returns the file's path.
 */
export function writeDummyHubConfig(dir: string, spawner: ConfigFileSpawner, options: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'hub.config.ts');
  const source = [
    "import { defineConfig } from '@gatehouse/hub';",
    "import { DummyAuthenticator } from '@gatehouse/authenticators';",
    `import { ${spawner.className} } from '@gatehouse/spawner';`,
    'export default defineConfig({',
    '  authenticator: new DummyAuthenticator(),',
    `  spawner: new ${spawner.className}(${JSON.stringify(spawner.options)}),`,
    `  ...${JSON.stringify({ serverPollInterval: 1, ...options })},`,
    '});',
  ];
  writeFileSync(file, `${source.join('\n')}\n`);
  return file;
}
