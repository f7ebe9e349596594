/**
 * Trying Gatehouse out: any username, and any password unless GATEHOUSE_DUMMY_PASSWORD is set.
 * Never for real users. Run: pnpm gatehouse start --config config/examples/dummy.config.ts
 */
import { defineConfig } from '@gatehouse/hub';
import { DummyAuthenticator } from '@gatehouse/authenticators';
import { LocalProcessSpawner } from '@gatehouse/spawner';

const sharedPassword = process.env['GATEHOUSE_DUMMY_PASSWORD'];

export default defineConfig({
  dataDir: './data-dummy',
  adminUsers: ['admin'],
  authenticator: new DummyAuthenticator(sharedPassword ? { password: sharedPassword } : {}),
  spawner: new LocalProcessSpawner(),
});
