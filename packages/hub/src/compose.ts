import path from 'node:path';
import { normaliseUsername } from '@gatehouse/authenticators';
import { isLoopbackAddress } from '@gatehouse/plugin-types';
import { serverKey } from './activity-kinds.ts';
import { ActivityRecorder } from './activity.ts';
import { FrontProxyTrust } from './auth/front-proxy-trust.ts';
import { PrincipalCache } from './auth/principal-cache.ts';
import { SessionBinding } from './auth/session-cookies.ts';
import type { GatehouseConfig } from './config/schema.ts';
import { IdleCuller } from './culler/culler.ts';
import { activityReportIntervalSeconds } from './culler/limits.ts';
import { ServiceRegistry } from './external-services/service-registry.ts';
import { ensureDataDir, loadCookieSecret } from './data-dir.ts';
import { SqliteAccountStore, SqliteThrottleStore } from './db/accounts.ts';
import { DatabaseChangeWatch } from './db/change-watch.ts';
import { type Database } from './db/database.ts';
import { openDatabase } from './db/open.ts';
import { SessionStore } from './db/sessions.ts';
import { GroupRepository } from './db/groups.ts';
import { SpawnChoiceStore } from './db/spawn-choices.ts';
import { UserRepository } from './db/users.ts';
import { WriteGate } from './db/write-gate.ts';
import { AuthCookieStore } from './http/auth-request.ts';
import { XsrfGuard } from './http/xsrf.ts';
import type { Logger } from './log.ts';
import { HubMetrics } from './metrics.ts';
import { OAuthStore } from './oauth/oauth-store.ts';
import { SecretBox } from './secret-box.ts';
import { ServerManager } from './servers/manager.ts';
import { ServerCredentials } from './servers/server-credentials.ts';
import { RecordedServerStopper } from './servers/recorded-server-stop.ts';
import { ServerRepository } from './servers/server-repository.ts';
import type { HubServices } from './services.ts';
import { TokenStore } from './tokens/token-store.ts';
import { PendingLoginStore } from './totp/pending-logins.ts';
import { secondFactorFor } from './totp/wiring.ts';
import { GroupAdmin } from './group-admin.ts';
import { UserAdmin } from './user-admin.ts';

/**
 * The one place the hub's services are wired, for the running hub (hub.ts) and for every CLI command
 * (cli/context.ts): both act through the same UserAdmin, stores and plugins.
 *
 * `role` says which process this is, and decides the one thing that must differ:
 * - 'hub': the process that starts, polls and routes servers. Deleting a user stops their servers
 *   through its ServerManager, which drops the route at once.
 * - 'tool': any other process (a CLI command beside a running hub, or with none). It has no servers
 *   of its own in memory, so deleting a user stops theirs from the database record through the
 *   spawner (servers/recorded-server-stop.ts); a running hub drops the route at its next poll. It
 *   collects no process metrics either (a command must be free to exit).
 */
export type ProcessRole = 'hub' | 'tool';

export interface OpenServicesOptions {
  readonly role: ProcessRole;
  readonly logger: Logger;
  /** Handed to the authenticator and spawner plugins (a command keeps their start-up notices quiet). */
  readonly pluginLogger?: (kind: string) => Logger;
  /** Clock for session and token expiry (tests move time forward with it). */
  readonly now?: () => number;
  /** The hub's API URL as its servers reach it (known once it listens; a tool starts no servers). */
  readonly hubApiUrl?: () => string;
}

/** Opens the configured data directory and database, wires the services and starts the plugins. */
export async function openServices(config: GatehouseConfig, options: OpenServicesOptions): Promise<HubServices> {
  const { logger } = options;
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
    const services = composeServices({ config, db, secret, dataDir, ...options });
    await startPlugins(services, options.pluginLogger ?? ((kind) => logger.child({ plugin: kind })));
    return services;
  } catch (error) {
    db.close();
    throw error;
  }
}

async function startPlugins({ config, accounts, throttle, serverRepository, dataDir }: HubServices, pluginLogger: (kind: string) => Logger): Promise<void> {
  await config.authenticator.init({ logger: pluginLogger(config.authenticator.kind), accounts, throttle, listenAddress: config.ip });
  await config.spawner.init({
    logger: pluginLogger(config.spawner.kind),
    ports: serverRepository,
    dataDir,
    serverLogMaxBytes: config.serverLogMaxBytes,
    // Whoever can open these may speak as the front proxy: no user server may see them.
    privatePaths: [config.frontProxy.socket?.path, config.frontProxy.secret?.file].flatMap((file) => (file === undefined ? [] : [path.resolve(file)])),
  });
}

interface CompositionInput extends OpenServicesOptions {
  readonly config: GatehouseConfig;
  readonly db: Database;
  readonly secret: Buffer;
  readonly dataDir: string;
}

/** Builds every service over an open database; nothing runs yet (no timers, no plugin calls). */
export function composeServices({ config, logger, db, secret, dataDir, role, now = Date.now, hubApiUrl = () => '' }: CompositionInput): HubServices {
  const users = new UserRepository(db);
  const groups = new GroupRepository(db);
  const sessions = new SessionStore(db, { idleTimeoutMs: config.session.idleTimeout * 1000, maxAgeMs: config.session.maxAge * 1000 }, now);
  const tokens = new TokenStore(db, now);
  const oauth = new OAuthStore(db, now);
  const serverRepository = new ServerRepository(db);
  const box = new SecretBox(secret);
  const metrics = new HubMetrics(role === 'hub' && config.metrics);
  // A busy server's own activity reports must come well within the culler's timeout (culler/limits.ts).
  const reportInterval = activityReportIntervalSeconds(config.cull);
  const activityEnvironment: Record<string, string> = reportInterval === undefined ? {} : { JUPYTERHUB_ACTIVITY_INTERVAL: String(reportInterval) };
  const usernamePolicy = {
    pattern: new RegExp(config.usernamePattern, 'u'),
    maxLength: config.usernameMaxLength,
    allowedUsers: new Set(config.allowedUsers.map(normaliseUsername)),
    blockedUsers: new Set(config.blockedUsers.map(normaliseUsername)),
    adminUsers: new Set(config.adminUsers.map(normaliseUsername)),
    allowedGroups: new Set(config.allowedGroups),
    adminGroups: new Set(config.adminGroups),
    groupsOf: (username: string) => {
      const user = users.get(username);
      return user === undefined ? [] : groups.namesOf(user.id);
    },
  };
  const servers = new ServerManager({
    config,
    logger,
    repository: serverRepository,
    credentials: new ServerCredentials(tokens, oauth, box),
    hubApiUrl,
    now,
    onSpawnSettled: (outcome, seconds) => metrics.spawnDuration.labels(outcome).observe(seconds),
    userEnvironment: (user) => {
      const handler = config.authenticator.userData;
      const data = users.getUserData(user.id);
      return { ...activityEnvironment, ...(handler === undefined || data === undefined ? {} : handler.environment(data)) };
    },
  });
  const stopper = role === 'hub' ? servers : new RecordedServerStopper(serverRepository, config.spawner);
  const activity = new ActivityRecorder(users, serverRepository, tokens, now);
  servers.onRouteRemoved((route) => activity.kinds.forget(serverKey(route.username, route.serverName)));
  const userAdmin = new UserAdmin(users, sessions, tokens, stopper, config.authenticator, usernamePolicy, logger, config.totp.requiredFor === 'admins');
  const culler = new IdleCuller({
    config: config.cull,
    logger,
    metrics,
    servers,
    repository: serverRepository,
    users,
    userAdmin,
    activity,
    now,
    groupsOf: (user) => groups.namesOf(user.id),
  });
  return {
    config,
    logger,
    db,
    writeGate: new WriteGate(db),
    dataDir,
    users,
    groups,
    spawnChoices: new SpawnChoiceStore(db),
    accounts: new SqliteAccountStore(db),
    throttle: new SqliteThrottleStore(db),
    sessions,
    tokens,
    principals: new PrincipalCache({ users, sessions, tokens }, new DatabaseChangeWatch(db), now),
    oauth,
    servers,
    serverRepository,
    activity,
    culler,
    externalServices: ServiceRegistry.fromConfig(config.services),
    metrics,
    userAdmin,
    groupAdmin: new GroupAdmin(groups, users, logger),
    box,
    xsrf: new XsrfGuard(secret),
    sessionBinding: new SessionBinding(secret),
    usernamePolicy,
    secondFactor: secondFactorFor(config, db, box, logger, now),
    pendingLogins: new PendingLoginStore(db, now),
    authCookies: new AuthCookieStore(db, sessions),
    frontProxy: FrontProxyTrust.fromConfig(config.frontProxy),
    listensOnLoopback: isLoopbackAddress(config.ip),
    now,
  };
}
