import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { usernameProblem } from '@gatehouse/authenticators';
import { createApp } from './app.ts';
import { PrincipalCache } from './auth/principal-cache.ts';
import { openServices } from './compose.ts';
import type { GatehouseConfig } from './config/schema.ts';
import { DatabaseChangeWatch } from './db/change-watch.ts';
import { reportBackgroundWriteFailure } from './db/write-gate.ts';
import { gatehouseError } from './errors.ts';
import { AuthRequestHandler } from './http/auth-request.ts';
import { HubConnections } from './http/connections.ts';
import { listenOnFrontProxySocket, type FrontProxySocket } from './http/front-proxy-socket.ts';
import { startHousekeeping } from './housekeeping.ts';
import { firstAdminSetupPath, listLoginUrl, registerForcedToken, revokeListLogin } from './launch.ts';
import { createLogger, type Logger } from './log.ts';
import { proxyCounters } from './metrics.ts';
import { UserProxy } from './proxy/user-proxy.ts';
import { removeRuntimeFile, writeRuntimeFile } from './runtime-file.ts';
import type { HubServices } from './services.ts';

export interface StartHubOptions {
  /** Recorded in the runtime file for `gatehouse list`. */
  readonly configFile?: string;
  readonly logger?: Logger;
  /** Write the runtime file that `gatehouse list` reads (default true). */
  readonly writeRuntimeFile?: boolean;
  /** Clock for session and token expiry (tests move time forward with it). */
  readonly now?: () => number;
}

export interface RunningHub {
  readonly url: string;
  /** First start with password accounts and no admin: the one-time link where the first admin sets a password. */
  readonly firstAdminSetupUrl: string | undefined;
  readonly port: number;
  readonly services: HubServices;
  readonly server: http.Server;
  /** Stops listening, stops background work, flushes activity, closes the database, removes the runtime file. */
  close(): Promise<void>;
}

/** How often batched activity is written to the database. */
const ACTIVITY_FLUSH_MS = 5_000;

/** Builds every service from a validated config, then listens. Any failure stops with its reason. */
export async function startHub(config: GatehouseConfig, options: StartHubOptions = {}): Promise<RunningHub> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const now = options.now ?? Date.now;
  let hubApiUrl = '';
  const services = await openServices(config, { role: 'hub', logger, now, hubApiUrl: () => hubApiUrl });
  const { db, dataDir } = services;
  try {
    // Like JupyterHub, adminUsers exist (as admins) from the first start.
    for (const name of services.usernamePolicy.adminUsers) {
      const problem = usernameProblem(name, services.usernamePolicy);
      if (problem === undefined) services.users.recordLogin(name, true);
      else logger.warn({ username: name, problem }, 'adminUsers entry is not a valid username; ignored');
    }
    const setupPath = await firstAdminSetupPath(services);
    const forcedToken = process.env['GATEHOUSE_TOKEN'];
    if (forcedToken !== undefined && forcedToken !== '') registerForcedToken(services, forcedToken);
    const proxy = new UserProxy({
      sources: services,
      principals: services.principals,
      servers: services.servers,
      activity: services.activity,
      logger,
      adminAccess: config.adminAccess,
      trustedHeaders: config.authenticator.trustedHeaders,
      frontProxy: services.frontProxy,
      sessionBinding: services.sessionBinding,
      counters: proxyCounters(services.metrics),
      timeouts: config.proxyTimeouts,
      failureLogIntervalMs: config.serverPollInterval * 1000,
    });
    const authRequest = new AuthRequestHandler(new PrincipalCache({ ...services, sessions: services.authCookies }, new DatabaseChangeWatch(db), now));
    const koa = createApp(services).callback();
    const connections = new HubConnections(config.http, (req, res) => {
      if (req.url?.startsWith('/user/')) proxy.handleRequest(req, res);
      else if (AuthRequestHandler.handles(req.url)) authRequest.handle(req, res);
      else void koa(req, res);
    });
    const server = connections.server;
    server.on('upgrade', (req, socket, head) => {
      if (req.url?.startsWith('/user/')) proxy.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
    server.keepAliveTimeout = 65_000;
    // Re-attach to running servers before the first request can arrive, so none is told "not running".
    await services.servers.restore();
    services.writeGate.serve(); // from here on no database wait blocks the event loop
    await listen(server, config.ip, config.port);
    let proxySocket: FrontProxySocket | undefined;
    if (config.frontProxy.socket !== undefined) {
      try {
        proxySocket = await listenOnFrontProxySocket(server, services.frontProxy, config.frontProxy.socket);
      } catch (error) {
        server.close();
        throw error;
      }
    }
    const port = (server.address() as AddressInfo).port;
    const url = `http://${hostForUrl(config.ip)}:${port}/`;
    hubApiUrl = `http://${hostForUrl(internalAddress(config.ip))}:${port}/hub/api`;
    const firstAdminSetupUrl = setupPath === undefined ? undefined : `${url}${setupPath.slice(1)}`;
    services.servers.startPolling();
    services.activity.start(ACTIVITY_FLUSH_MS, (error) => reportBackgroundWriteFailure(logger, 'activity batch', error));
    services.culler.start();
    const stopHousekeeping = startHousekeeping(services, now);
    const runtimeFile =
      options.writeRuntimeFile === false
        ? undefined
        : writeRuntimeFile({
            pid: process.pid,
            url,
            loginUrl: listLoginUrl(services, url),
            dataDir,
            configFile: options.configFile ?? '',
            startedAt: new Date().toISOString(),
          });
    logger.info(
      { url, frontProxySocket: proxySocket?.path, dataDir, authenticator: config.authenticator.kind, spawner: config.spawner.kind, servers: config.spawner.description ?? config.spawner.kind },
      `Gatehouse is running at ${url}`,
    );
    const isolation = config.spawner.isolation;
    if (isolation !== undefined) logger[isolation.level === 'shared-account' ? 'warn' : 'info']({ isolation: isolation.level }, isolation.summary);
    let closed: Promise<void> | undefined;
    return {
      url,
      firstAdminSetupUrl,
      port,
      services,
      server,
      close() {
        closed ??= (async () => {
          const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
          const socketClosed = proxySocket?.close(); // resolves once its connections are gone too
          await connections.drained(); // requests already received are answered first
          await socketClosed;
          await proxy.close();
          await services.culler.stop();
          await services.servers.close();
          await stopped;
          stopHousekeeping();
          if (runtimeFile !== undefined) removeRuntimeFile(runtimeFile);
          // Another process's lock (bounded wait) must not cost the last activity batch.
          if (db.open) await services.writeGate.whenWritable().catch(() => undefined);
          services.activity.stop({ flush: db.open });
          if (db.open) {
            revokeListLogin(services);
            db.close();
          }
        })();
        return closed;
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

function hostForUrl(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

/** Where servers on this machine reach the hub: loopback when the hub listens on all addresses. */
function internalAddress(ip: string): string {
  if (ip === '0.0.0.0') return '127.0.0.1';
  if (ip === '::') return '::1';
  return ip === 'localhost' ? '127.0.0.1' : ip;
}

function listen(server: http.Server, ip: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(gatehouseError('GATEHOUSE_ERR_LISTEN', `cannot listen on ${ip}:${port}: ${error.code ?? error.message}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, ip, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
