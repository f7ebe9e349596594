import type { AccountManagement } from '@gatehouse/authenticators';
import path from 'node:path';
import { gatehouseError } from '../errors.ts';
import { listRunningHubs } from '../runtime-file.ts';
import { mintSetupPath } from '../tokens/setup-link.ts';
import { integerOption, stringOption, type ParsedArgs } from './args.ts';
import type { Command } from './command.ts';
import type { OfflineHub } from './context.ts';
import { newPassword, readPasswordFromStdin } from './password-input.ts';

/** Commands that manage users and accounts in the hub's database (the hub may be running). */

function requireName(args: ParsedArgs, command: string): string {
  const name = args.positionals[0];
  if (name === undefined) throw gatehouseError('GATEHOUSE_ERR_CLI_USAGE', `usage: gatehouse ${command} NAME`);
  return name;
}

function accountsOf(hub: OfflineHub): AccountManagement | undefined {
  return hub.config.authenticator.accountManagement;
}

async function withHub<T>(args: ParsedArgs, work: (hub: OfflineHub) => Promise<T>): Promise<T> {
  const { openOfflineHub } = await import('./context.ts');
  const hub = await openOfflineHub(args);
  try {
    return await work(hub);
  } finally {
    hub.close();
  }
}

/**
 * The hub's address for links printed by the CLI: the running hub on this data dir if there is one
 * (its real port), else the configured ip:port.
 */
function hubUrl(hub: OfflineHub): string {
  const dataDir = path.resolve(hub.config.dataDir);
  const running = listRunningHubs().find((info) => path.resolve(info.dataDir) === dataDir);
  if (running !== undefined) return running.url;
  const host = hub.config.ip.includes(':') ? `[${hub.config.ip}]` : hub.config.ip;
  return `http://${host}:${hub.config.port}/`;
}

const useradd: Command = {
  name: 'useradd',
  summary: 'add a user (and a local account when the authenticator keeps accounts)',
  usage: 'gatehouse useradd NAME [--admin] [--password-stdin | --setup-link]',
  optionHelp: [
    '--admin           make the user an admin',
    '--password-stdin  read the password from standard input (otherwise prompted on a TTY)',
    '--setup-link      print a one-time link where they choose their password (the default without a TTY)',
  ],
  options: { admin: { type: 'boolean' }, 'password-stdin': { type: 'boolean' }, 'setup-link': { type: 'boolean' } },
  maxPositionals: 1,
  run: (args, io) =>
    withHub(args, async (hub) => {
      const name = hub.userAdmin.validName(requireName(args, 'useradd'));
      if (hub.users.get(name) !== undefined) throw gatehouseError('GATEHOUSE_ERR_USER_EXISTS', `the user ${name} already exists`);
      const fromStdin = args.values['password-stdin'] === true;
      const usesPasswords = accountsOf(hub)?.usesPasswords === true;
      // Without a terminal to ask on (a script, ssh without -t), a setup link is the way to a password.
      const setupLink = usesPasswords && !fromStdin && (args.values['setup-link'] === true || !process.stdin.isTTY);
      const password = usesPasswords && !setupLink ? await newPassword(fromStdin) : null;
      const user = await hub.userAdmin.add(name, { admin: args.values['admin'] === true, password }, 'cli');
      io.out(`Added ${name}${args.values['admin'] === true ? ' (admin)' : ''}.`);
      if (setupLink) {
        io.out(`Send ${name} this one-time link to choose their password (valid 24 hours):`);
        io.out(`  ${hubUrl(hub)}${mintSetupPath(hub.tokens, user).slice(1)}`);
      }
      return 0;
    }),
};

const passwd: Command = {
  name: 'passwd',
  summary: "set a local account's password",
  usage: 'gatehouse passwd NAME [--password-stdin]',
  optionHelp: ['--password-stdin  read the password from standard input (otherwise prompted on a TTY)'],
  options: { 'password-stdin': { type: 'boolean' } },
  maxPositionals: 1,
  run: (args, io) =>
    withHub(args, async (hub) => {
      const name = hub.userAdmin.validName(requireName(args, 'passwd'));
      hub.userAdmin.passwordAccounts();
      if (hub.accounts.get(name) === undefined) throw gatehouseError('GATEHOUSE_ERR_USER_NOT_FOUND', `no account named ${name}`);
      if (hub.users.get(name) === undefined) hub.userAdmin.create(name, false, 'cli');
      await hub.userAdmin.resetPassword(name, await newPassword(args.values['password-stdin'] === true), 'cli');
      io.out(`Password changed for ${name}; their sessions were ended.`);
      return 0;
    }),
};

const userdel: Command = {
  name: 'userdel',
  summary: 'delete a user, their account, sessions and tokens',
  usage: 'gatehouse userdel NAME',
  optionHelp: [],
  options: {},
  maxPositionals: 1,
  run: (args, io) =>
    withHub(args, async (hub) => {
      const name = hub.userAdmin.validName(requireName(args, 'userdel'));
      const hadAccount = (await accountsOf(hub)?.removeAccount(name)) === true;
      if (hub.users.get(name) === undefined && !hadAccount) throw gatehouseError('GATEHOUSE_ERR_USER_NOT_FOUND', `no user named ${name}`);
      if (hub.users.get(name) !== undefined) await hub.userAdmin.delete(name, 'cli');
      io.out(`Deleted ${name}.`);
      return 0;
    }),
};

const token: Command = {
  name: 'token',
  summary: 'mint an API token for a user and print it once',
  usage: 'gatehouse token NAME [--note TEXT] [--expires-in SECONDS]',
  optionHelp: ['--note TEXT           what the token is for', '--expires-in SECONDS  lifetime (default: never expires)'],
  options: { note: { type: 'string' }, 'expires-in': { type: 'string' } },
  maxPositionals: 1,
  run: (args, io) => {
    const expiresInSeconds = integerOption(args, 'expires-in', 1, 10 * 365 * 86400);
    return withHub(args, async (hub) => {
      const user = hub.userAdmin.require(hub.userAdmin.validName(requireName(args, 'token')));
      const { token: value } = hub.tokens.mint({
        userId: user.id,
        kind: 'api',
        scopes: ['inherit'],
        note: stringOption(args, 'note') ?? 'made with gatehouse token',
        expiresInSeconds,
      });
      io.out(value);
      return 0;
    });
  },
};

const hashPasswordCommand: Command = {
  name: 'hash-password',
  summary: "print an argon2id hash of a password, for LocalAuthenticator's accounts option in hub.config.ts",
  usage: 'gatehouse hash-password [--password-stdin]',
  optionHelp: ['--password-stdin  read the password from standard input'],
  options: { 'password-stdin': { type: 'boolean' } },
  maxPositionals: 0,
  async run(args, io) {
    const password = args.values['password-stdin'] === true ? await readPasswordFromStdin() : await newPassword(false);
    const { hashPassword } = await import('@gatehouse/authenticators');
    io.out(await hashPassword(password));
    return 0;
  },
};

export const ACCOUNT_COMMANDS: readonly Command[] = [useradd, passwd, userdel, token, hashPasswordCommand];
