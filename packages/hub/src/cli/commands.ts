import { rmSync } from 'node:fs';
import type { RunningHub } from '../hub.ts';
import { listRunningHubs } from '../runtime-file.ts';
import { integerOption, stringOption } from './args.ts';
import type { Command, CommandIo } from './command.ts';
import { ACCOUNT_COMMANDS } from './account-commands.ts';
import { totpReset } from './totp-commands.ts';

// Commands import the hub's heavy modules when they run, so `--help` and bad usage answer at once.
const context = () => import('./context.ts');

const start: Command = {
  name: 'start',
  summary: 'run the hub',
  usage: 'gatehouse start [--config FILE] [--ip IP] [--port N] [--data-dir DIR] [--open]',
  optionHelp: [
    '--ip IP        address to listen on (overrides the config file)',
    '--port N       port to listen on; 0 picks a free one',
    '--open         open a browser, logged in as you (a one-time link; no secret on any command line)',
  ],
  options: { ip: { type: 'string' }, port: { type: 'string' }, open: { type: 'boolean' } },
  maxPositionals: 0,
  async run(args, io) {
    const port = integerOption(args, 'port', 0, 65535);
    const { file, config } = await (await context()).configFromArgs(args, { ip: stringOption(args, 'ip'), port });
    const [{ startHub }, { createLogger }, { humanLogStream }, { startBanner, stoppedMessage }] = await Promise.all([
      import('../hub.ts'),
      import('../log.ts'),
      import('../log-human.ts'),
      import('./banner.ts'),
    ]);
    // At a terminal the log reads like the banner beside it; piped or redirected it stays JSON.
    const logDestination = process.stderr.isTTY ? humanLogStream(process.stderr) : process.stderr;
    const hub = await startHub(config, { configFile: file, logger: createLogger(config.logLevel, logDestination) });
    for (const line of startBanner({ url: hub.url, configFile: file, dataDir: hub.services.dataDir, config })) io.out(line);
    if (hub.firstAdminSetupUrl !== undefined) {
      io.out(`No administrator can sign in yet. Choose the first admin's password at this one-time link:`);
      io.out(`  ${hub.firstAdminSetupUrl}`);
    }
    const redirectFile = args.values['open'] === true ? await openHub(hub, io) : undefined;
    await new Promise<void>((resolve) => {
      const stop = () => {
        // A second signal, of either kind, meets the default action: the process ends at once.
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    io.out('Stopping: answering the requests in flight (a second signal stops at once)');
    const stillRunning = hub.services.servers.counts().running;
    await hub.close();
    if (redirectFile !== undefined) rmSync(redirectFile, { force: true });
    io.out(stoppedMessage(config, stillRunning));
    return 0;
  },
};

/**
 * `--open`: the browser gets a 0600 redirect file holding a single-use link, never the token itself.
 * Returns the file, which the hub removes when it stops.
 */
async function openHub(hub: RunningHub, io: CommandIo): Promise<string> {
  const { launchPath, openInBrowser, writeRedirectFile } = await import('../launch.ts');
  const path = launchPath(hub.services);
  const target = hub.firstAdminSetupUrl ?? (path === undefined ? `${hub.url}hub/login` : `${hub.url}${path.slice(1)}`);
  const file = writeRedirectFile(hub.services.dataDir, target);
  if (await openInBrowser(file)) io.out(`Opened ${file} in your browser.`);
  else io.out(`No browser could be started here; open ${file} in one (the link in it works once, for 60 seconds).`);
  return file;
}

const users: Command = {
  name: 'users',
  summary: 'list the hub\'s users',
  usage: 'gatehouse users [--config FILE] [--data-dir DIR]',
  optionHelp: [],
  options: {},
  maxPositionals: 0,
  async run(args, io) {
    const hub = await (await context()).openOfflineHub(args);
    try {
      const accounts = new Map(hub.accounts.list().map((account) => [account.username, account]));
      const rows = hub.users.list();
      const names = new Set([...rows.map((row) => row.name), ...accounts.keys()]);
      const { localTimeForCli, toEpochMs } = await import('../time.ts');
      const when = (value: string | null | undefined) => {
        const ms = toEpochMs(value);
        return ms === undefined ? 'never' : localTimeForCli(ms, Date.now());
      };
      io.out(['NAME', 'ADMIN', 'ACCOUNT', 'LAST ACTIVITY'].join('\t'));
      for (const name of [...names].sort()) {
        const user = rows.find((row) => row.name === name);
        const account = accounts.get(name);
        io.out([name, user?.admin ? 'yes' : 'no', account ? account.status : '-', when(user?.lastActivity)].join('\t'));
      }
    } finally {
      hub.close();
    }
    return 0;
  },
};

const list: Command = {
  name: 'list',
  summary: 'hubs running as this OS user: URL, data dir, pid',
  usage: 'gatehouse list',
  optionHelp: [],
  options: {},
  maxPositionals: 0,
  async run(_args, io) {
    const hubs = listRunningHubs();
    if (hubs.length === 0) {
      io.out('No running hubs.');
      return 0;
    }
    io.out(['URL', 'DATA DIR', 'PID', 'LOGIN URL'].join('\t'));
    for (const hub of hubs) io.out([hub.url, hub.dataDir, String(hub.pid), hub.loginUrl ?? '-'].join('\t'));
    return 0;
  },
};

export const COMMANDS: readonly Command[] = [start, users, list, ...ACCOUNT_COMMANDS, totpReset];
