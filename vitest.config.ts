import path from 'node:path';
import { defineConfig } from 'vitest/config';

const packageEntry = (name: string, file = 'index.ts') => path.resolve(import.meta.dirname, 'packages', name, 'src', file);
/** Exactly `specifier` (a plain string alias would also rewrite `@gatehouse/spawner/testing`). */
const exactly = (specifier: string) => new RegExp(`^${specifier.replaceAll('/', '\\/')}$`);

// Integration tests start real processes and servers; they run in forked workers so each file
// gets its own process, and every test cleans up what it started.
export default defineConfig({
  // Config files written to temp dirs import '@gatehouse/*' (the CLI does the same with a Node resolve hook).
  resolve: {
    alias: [
      { find: exactly('@gatehouse/hub'), replacement: packageEntry('hub') },
      { find: exactly('@gatehouse/authenticators'), replacement: packageEntry('authenticators') },
      { find: exactly('@gatehouse/spawner'), replacement: packageEntry('spawner') },
      { find: exactly('@gatehouse/spawner/testing'), replacement: packageEntry('spawner', 'testing/index.ts') },
      { find: exactly('@gatehouse/plugin-types'), replacement: packageEntry('plugin-types') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.tmp/vitest-results.json' },
  },
});
