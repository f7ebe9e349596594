import path from 'node:path';
import { defineConfig } from 'vitest/config';

const packageEntry = (name: string) => path.resolve(import.meta.dirname, 'packages', name, 'src/index.ts');

// Integration tests start real processes and servers; they run in forked workers so each file
// gets its own process, and every test cleans up what it started.
export default defineConfig({
  // Config files written to temp dirs import '@gatehouse/*' (the CLI does the same with a Node resolve hook).
  resolve: {
    alias: {
      '@gatehouse/hub': packageEntry('hub'),
      '@gatehouse/authenticators': packageEntry('authenticators'),
      '@gatehouse/spawner': packageEntry('spawner'),
    },
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
