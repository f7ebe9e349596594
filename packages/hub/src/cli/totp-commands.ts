import { userInfo } from 'node:os';
import { gatehouseError } from '../errors.ts';
import type { Command } from './command.ts';

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
    const [{ openOfflineHub }, { createLogger }] = await Promise.all([import('./context.ts'), import('../log.ts')]);
    // Logged to stderr like the hub's own log lines: who reset whose second factor.
    const hub = await openOfflineHub(args, createLogger('info', process.stderr));
    try {
      const user = hub.userAdmin.require(hub.userAdmin.validName(raw));
      const removed = hub.secondFactor.reset(user, `cli:${userInfo().username}`);
      io.out(removed ? `Reset ${user.name}'s second factor; they can set up a new one at their next sign-in.` : `${user.name} had no second factor; its code lock is lifted.`);
      return 0;
    } finally {
      hub.close();
    }
  },
};
