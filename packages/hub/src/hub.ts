import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { isLoopbackAddress, normaliseUsername } from '@gatehouse/authenticators';
import { createApp } from './app.ts';
import type { GatehouseConfig } from './config/schema.ts';
import { ensureDataDir, loadCookieSecret } from './data-dir.ts';
import { SqliteAccountStore, SqliteThrottleStore } from './db/accounts.ts';
import { openDatabase } from './db/database.ts';
import { SessionStore } from './db/sessions.ts';
import { UserRepository } from './db/users.ts';
import { gatehouseError } from './errors.ts';
import { createAddressMatcher } from './http/cidr.ts';
import { XsrfGuard } from './http/xsrf.ts';
import { createLogger, type Logger } from './log.ts';
import { removeRuntimeFile, writeRuntimeFile } from './runtime-file.ts';
import type { HubServices } from './services.ts';

export interface StartHubOptions {
  /** Recorded in the runtime file for `gatehouse list`. */
  readonly configFile?: string;
  readonly logger?: Logger;
  /** Write the runtime file that `gatehouse list` reads (default true). */
  readonly writeRuntimeFile?: boolean;
  /** Clock for session expiry (tests move time forward with it). */
  readonly now?: () => number;
}

export interface RunningHub {
  readonly url: string;
  readonly port: number;
  readonly services: HubServices;
  readonly server: http.Server;
  /** Stops listening, flushes and closes the database, removes the runtime file. */
  close(): Promise<void>;
}

/** Builds every service from a validated config, then listens. Any failure stops with its reason. */
export async function startHub(config: GatehouseConfig, options: StartHubOptions = {}): Promise<RunningHub> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const dataDir = path.resolve(config.dataDir);
  const dirState = ensureDataDir(dataDir);
  if (dirState.looseMode !== undefined) {
    logger.warn({ dataDir, mode: dirState.looseMode.toString(8) }, `data directory is accessible by others; consider chmod 700 ${dataDir}`);
  }
  const secret = loadCookieSecret(dataDir);
  const db = openDatabase(dataDir, {
    onBackup: (backup, from, to) => logger.info({ backup, from, to }, 'database backed up before migration'),
  });
  try {
    const services = buildServices(config, logger, db, secret, options.now ?? Date.now);
    await config.authenticator.init({
      logger: logger.child({ plugin: config.authenticator.kind }),
      accounts: services.accounts,
      throttle: services.throttle,
      listenAddress: config.ip,
    });
    const server = http.createServer(createApp(services).callback());
    await listen(server, config.ip, config.port);
    const port = (server.address() as AddressInfo).port;
    const host = config.ip.includes(':') ? `[${config.ip}]` : config.ip;
    const url = `http://${host}:${port}/`;
    const runtimeFile =
      options.writeRuntimeFile === false
        ? undefined
        : writeRuntimeFile({ pid: process.pid, url, dataDir, configFile: options.configFile ?? '', startedAt: new Date().toISOString() });
    logger.info({ url, dataDir, authenticator: config.authenticator.kind, spawner: config.spawner.kind }, `Gatehouse is running at ${url}`);
    let closed: Promise<void> | undefined;
    return {
      url,
      port,
      services,
      server,
      close() {
        closed ??= (async () => {
          server.closeIdleConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
          if (runtimeFile !== undefined) removeRuntimeFile(runtimeFile);
          db.close();
        })();
        return closed;
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

function buildServices(config: GatehouseConfig, logger: Logger, db: ReturnType<typeof openDatabase>, secret: Buffer, now: () => number): HubServices {
  return {
    config,
    logger,
    db,
    users: new UserRepository(db),
    accounts: new SqliteAccountStore(db),
    throttle: new SqliteThrottleStore(db),
    sessions: new SessionStore(db, {
      idleTimeoutMs: config.session.idleTimeout * 1000,
      maxAgeMs: config.session.maxAge * 1000,
    }, now),
    xsrf: new XsrfGuard(secret),
    usernamePolicy: {
      pattern: new RegExp(config.usernamePattern, 'u'),
      maxLength: config.usernameMaxLength,
      allowedUsers: new Set(config.allowedUsers.map(normaliseUsername)),
      blockedUsers: new Set(config.blockedUsers.map(normaliseUsername)),
      adminUsers: new Set(config.adminUsers.map(normaliseUsername)),
    },
    isTrustedProxy: createAddressMatcher(config.trustedProxies),
    listensOnLoopback: isLoopbackAddress(config.ip),
  };
}

function listen(server: http.Server, ip: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        gatehouseError('GATEHOUSE_ERR_LISTEN', `cannot listen on ${ip}:${port}: ${error.code ?? error.message}`, { cause: error }),
      );
    };
    server.once('error', onError);
    server.listen(port, ip, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
