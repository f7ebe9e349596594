import path from 'node:path';
import { loadConfig, resolveConfigFile } from '../config/load.ts';
import type { GatehouseConfig } from '../config/schema.ts';
import { ensureDataDir } from '../data-dir.ts';
import { SqliteAccountStore } from '../db/accounts.ts';
import { openDatabase, type Db } from '../db/database.ts';
import { SessionStore } from '../db/sessions.ts';
import { UserRepository } from '../db/users.ts';
import { stringOption, type ParsedArgs } from './args.ts';

export async function configFromArgs(args: ParsedArgs, overrides: { ip?: string; port?: number } = {}) {
  const file = resolveConfigFile(stringOption(args, 'config'));
  const config = await loadConfig(file, { ...overrides, dataDir: stringOption(args, 'data-dir') });
  return { file, config };
}

/** The database of the configured hub, for commands that manage it while it runs or not. */
export interface OfflineHub {
  readonly config: GatehouseConfig;
  readonly db: Db;
  readonly users: UserRepository;
  readonly accounts: SqliteAccountStore;
  readonly sessions: SessionStore;
  close(): void;
}

export async function openOfflineHub(args: ParsedArgs): Promise<OfflineHub> {
  const { config } = await configFromArgs(args);
  const dataDir = path.resolve(config.dataDir);
  ensureDataDir(dataDir);
  const db = openDatabase(dataDir);
  return {
    config,
    db,
    users: new UserRepository(db),
    accounts: new SqliteAccountStore(db),
    sessions: new SessionStore(db, { idleTimeoutMs: config.session.idleTimeout * 1000, maxAgeMs: config.session.maxAge * 1000 }),
    close: () => db.close(),
  };
}
