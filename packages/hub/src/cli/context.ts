import path from 'node:path';
import { pino } from 'pino';
import { loadConfig, resolveConfigFile } from '../config/load.ts';
import type { GatehouseConfig } from '../config/schema.ts';
import { ensureDataDir } from '../data-dir.ts';
import { SqliteAccountStore, SqliteThrottleStore } from '../db/accounts.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { SessionStore } from '../db/sessions.ts';
import { UserRepository } from '../db/users.ts';
import { RecordedServerStopper } from '../servers/recorded-server-stop.ts';
import { ServerRepository } from '../servers/server-repository.ts';
import { TokenStore } from '../tokens/token-store.ts';
import { UserAdmin } from '../user-admin.ts';
import { stringOption, type ParsedArgs } from './args.ts';

export async function configFromArgs(args: ParsedArgs, overrides: { ip?: string | undefined; port?: number | undefined } = {}) {
  const file = resolveConfigFile(stringOption(args, 'config'));
  const config = await loadConfig(file, { ...overrides, dataDir: stringOption(args, 'data-dir') });
  return { file, config };
}

/** The database of the configured hub, for commands that manage it while it runs or not. */
export interface OfflineHub {
  readonly config: GatehouseConfig;
  readonly db: Database;
  readonly users: UserRepository;
  readonly accounts: SqliteAccountStore;
  readonly sessions: SessionStore;
  readonly tokens: TokenStore;
  readonly userAdmin: UserAdmin;
  close(): void;
}

export async function openOfflineHub(args: ParsedArgs): Promise<OfflineHub> {
  const { config } = await configFromArgs(args);
  const dataDir = path.resolve(config.dataDir);
  ensureDataDir(dataDir);
  const db = openDatabase(dataDir);
  try {
    const users = new UserRepository(db);
    const accounts = new SqliteAccountStore(db);
    const sessions = new SessionStore(db, { idleTimeoutMs: config.session.idleTimeout * 1000, maxAgeMs: config.session.maxAge * 1000 });
    const tokens = new TokenStore(db);
    // Commands print their own results; the plugins' start-up notices would only be noise here.
    const quiet = pino({ level: 'silent' });
    await config.authenticator.init({ logger: quiet, accounts, throttle: new SqliteThrottleStore(db), listenAddress: config.ip });
    const policy = { pattern: new RegExp(config.usernamePattern, 'u'), maxLength: config.usernameMaxLength };
    // Deleting a user stops their server here too: the spawner stops it from its recorded handle.
    const servers = new ServerRepository(db);
    await config.spawner.init({ logger: quiet, ports: servers, dataDir });
    const userAdmin = new UserAdmin(users, sessions, tokens, new RecordedServerStopper(servers, config.spawner), config.authenticator, policy, quiet, config.totp.requiredFor === 'admins');
    return { config, db, users, accounts, sessions, tokens, userAdmin, close: () => db.close() };
  } catch (error) {
    db.close();
    throw error;
  }
}
