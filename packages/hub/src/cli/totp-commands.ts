import { userInfo } from 'node:os';
import { gatehouseError } from '../errors.ts';
import type { Command } from './commands.ts';

/** `gatehouse totp-reset NAME`: an admin's reset of a user's second factor, from the shell. */
export const totpReset: Command = {
  name: 'totp-reset',
  summary: "remove a user's second factor (TOTP secret and recovery codes) and lift its code lock",
  usage: 'gatehouse totp-reset NAME',
  optionHelp: [],
  options: {},
  maxPositionals: 1,
  async run(args, io) {
    const raw = args.positionals[0];
    if (raw === undefined) throw gatehouseError('GATEHOUSE_ERR_CLI_USAGE', 'usage: gatehouse totp-reset NAME');
    const [{ openOfflineHub }, { secondFactorFor }, { SecretBox }, { loadCookieSecret }, { createLogger }, path] = await Promise.all([
      import('./context.ts'),
      import('../totp/wiring.ts'),
      import('../secret-box.ts'),
      import('../data-dir.ts'),
      import('../log.ts'),
      import('node:path'),
    ]);
    const hub = await openOfflineHub(args);
    try {
      const user = hub.userAdmin.require(hub.userAdmin.validName(raw));
      const box = new SecretBox(loadCookieSecret(path.resolve(hub.config.dataDir)));
      // Logged to stderr like the hub's own log lines: who reset whose second factor.
      const logger = createLogger('info', process.stderr);
      const actor = `cli:${userInfo().username}`;
      const removed = secondFactorFor(hub.config, hub.db, box, logger).reset(user, actor);
      io.out(removed ? `Reset ${user.name}'s second factor; they can set up a new one at their next sign-in.` : `${user.name} had no second factor; its code lock is lifted.`);
      return 0;
    } finally {
      hub.close();
    }
  },
};
