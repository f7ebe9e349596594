import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect } from 'vitest';
import {
  PluginOptionsError,
  type AuthenticatorHost,
  type LoginRequest,
  type PluginLogger,
  type UsernamePolicy,
} from '@gatehouse/authenticators';
import { SqliteAccountStore, SqliteThrottleStore } from '../../packages/hub/src/db/accounts.ts';
import { type Database } from '../../packages/hub/src/db/database.ts';
import { openDatabase } from '../../packages/hub/src/db/open.ts';

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A logger that keeps what it is given, so tests can check what was (and was not) logged. */
export function recordingLogger(): { logger: PluginLogger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (fields: Record<string, unknown>, message: string) => {
    entries.push({ level, fields, message });
  };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

/** The hub's real stores over a real SQLite file in a temporary data directory. */
export interface StoreFixture {
  readonly dataDir: string;
  readonly db: Database;
  readonly host: AuthenticatorHost;
  readonly log: LogEntry[];
  /** Closes the database and opens it again from the same directory, as a hub restart does. */
  reopen(): StoreFixture;
}

/** Registers cleanup with the calling test file; returns a function that makes fixtures. */
export function useStoreFixtures(): () => StoreFixture {
  const dirs: string[] = [];
  const open: Database[] = [];
  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const openIn = (dataDir: string): StoreFixture => {
    const db = openDatabase(dataDir);
    open.push(db);
    const { logger, entries } = recordingLogger();
    return {
      dataDir,
      db,
      host: { logger, accounts: new SqliteAccountStore(db), throttle: new SqliteThrottleStore(db), listenAddress: '127.0.0.1' },
      log: entries,
      reopen() {
        db.close();
        return openIn(dataDir);
      },
    };
  };
  return () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-auth-'));
    dirs.push(dir);
    return openIn(dir);
  };
}

/** A GET /hub/login from the front proxy carrying `rawHeaders`. */
export function proxiedRequest(rawHeaders: readonly string[], overrides: Partial<LoginRequest> = {}): LoginRequest {
  return { method: 'GET', form: {}, rawHeaders, remoteAddress: '127.0.0.1', fromTrustedProxy: true, ...overrides };
}

/** A POST /hub/login of the login form. */
export function formRequest(username: string, password: string, remoteAddress = '127.0.0.1'): LoginRequest {
  return { method: 'POST', form: { username, password }, rawHeaders: [], remoteAddress, fromTrustedProxy: false };
}

/** The hub's default username rules (config/schema.ts), with no allow/block/admin lists. */
export const DEFAULT_POLICY: UsernamePolicy = {
  pattern: /^[a-z0-9][a-z0-9._@-]*$/u,
  maxLength: 64,
  allowedUsers: new Set(),
  blockedUsers: new Set(),
  adminUsers: new Set(),
};

/** A header value as Node's parser hands it over: the UTF-8 bytes on the wire, one latin1 character each. */
export function onTheWire(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A clock the test moves by hand. */
export class ManualClock {
  #ms: number;
  constructor(start = Date.parse('2025-01-01T00:00:00Z')) {
    this.#ms = start;
  }
  readonly now = (): Date => new Date(this.#ms);
  advance(seconds: number): void {
    this.#ms += seconds * 1000;
  }
}

/** Asserts that `make` throws a PluginOptionsError for exactly `key`, with the key leading the message. */
export function expectOptionsError(make: () => unknown, key: string): PluginOptionsError {
  let thrown: unknown;
  try {
    make();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(PluginOptionsError);
  const error = thrown as PluginOptionsError;
  expect(error.key).toBe(key);
  expect(error.message.startsWith(`${key}: `)).toBe(true);
  return error;
}
