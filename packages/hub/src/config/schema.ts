import { isIP } from 'node:net';
import { z } from 'zod';
import { isAuthenticator, type Authenticator } from '@gatehouse/authenticators';
import { isSpawner, type Spawner } from '@gatehouse/spawner';
import { cullSchema } from './cull-schema.ts';
import { frontProxySchema } from './front-proxy-schema.ts';
import { groupList, profileList } from './profiles-schema.ts';
import { servicesSchema } from './services-schema.ts';

/**
 * The one configuration schema. Every option is documented in config/hub.config.ts.
 * Objects are strict: an unknown key is an error, never silently dropped.
 */

const seconds = (fallback: number) => z.number().positive('expected a positive number of seconds').default(fallback);

const usernameList = z.array(z.string().min(1, 'expected a non-empty username')).default([]);

export const configSchema = z.strictObject({
  ip: z
    .string()
    .refine((value) => isIP(value) !== 0 || value === 'localhost', 'expected an IP address such as 127.0.0.1')
    .default('127.0.0.1'),
  port: z.number().int('expected an integer').min(0, 'expected 0–65535').max(65535, 'expected 0–65535').default(8000),
  dataDir: z.string().min(1, 'expected a directory path').default('./data'),
  adminUsers: usernameList,
  allowedUsers: usernameList,
  blockedUsers: usernameList,
  /** Members of these groups may log in (with allowedUsers: either suffices). */
  allowedGroups: groupList,
  /** Members of these groups are admins. */
  adminGroups: groupList,
  /** What people may choose when they start a server (servers/user-options.ts). */
  profiles: profileList,
  usernamePattern: z
    .string()
    .refine(isValidRegExp, 'expected a valid regular expression')
    .default('^[a-z0-9][a-z0-9._@-]*$'),
  usernameMaxLength: z.number().int().min(1).max(255).default(64),
  /**
   * Who may vouch for a person with identity headers (Remote-User, data headers) and X-Forwarded-*:
   * nobody by default. An address proves nothing on one machine (any local user can bind any
   * 127.x address), so trust comes from something only the front proxy has.
   */
  frontProxy: frontProxySchema,
  /** Replaced by frontProxy; kept only to explain why. */
  trustedProxies: z
    .unknown()
    .optional()
    .refine((value) => value === undefined, {
      message:
        'no longer supported: an address does not identify the front proxy (any local user can connect from any 127.x address). ' +
        'Use frontProxy.socket (nginx on this machine connects through a unix socket only it may open) ' +
        'or frontProxy.secret (nginx elsewhere sends a shared secret header)',
    }),
  authenticator: z.custom<Authenticator>(isAuthenticator, {
    message: 'expected an authenticator instance, e.g. new DummyAuthenticator()',
  }),
  spawner: z.custom<Spawner>(isSpawner, {
    message: 'expected a spawner instance, e.g. new LocalProcessSpawner()',
  }),
  session: z
    .strictObject({
      idleTimeout: seconds(24 * 60 * 60),
      maxAge: seconds(14 * 24 * 60 * 60),
    })
    .default({ idleTimeout: 24 * 60 * 60, maxAge: 14 * 24 * 60 * 60 }),
  cookieSecure: z.union([z.literal('auto'), z.boolean()]).default('auto'),
  adminAccess: z.boolean().default(false),
  concurrentSpawnLimit: z.number().int().min(1).default(100),
  /** Starts waiting in line for one of concurrentSpawnLimit's slots (first come, first served); beyond: 429. 0: none wait. */
  spawnQueueLimit: z.number().int('expected an integer').min(0, 'expected 0 (no line: 429 at once) or more').default(1000),
  activeServerLimit: z.number().int().min(0).default(0),
  /** JupyterHub's named servers (allow_named_servers, named_server_limit_per_user; 0: no limit). */
  namedServers: z
    .strictObject({
      enabled: z.boolean().default(false),
      limitPerUser: z.number().int('expected an integer').min(0, 'expected 0 (no limit) or more').default(0),
    })
    .default({ enabled: false, limitPerUser: 0 }),
  serverPollInterval: seconds(2),
  /** A running server whose HTTP probes go unanswered for this long (two at least) is stopped; 0: never. */
  serverUnresponsiveTimeout: z.number().min(0, 'expected seconds, or 0 for never').default(30),
  /** Proxied requests: seconds to wait for a user server's response headers (504 after), and between body chunks; 0: no limit. */
  proxyTimeouts: z
    .strictObject({
      headers: z.number().min(0, 'expected seconds, or 0 for no limit').default(300),
      idle: z.number().min(0, 'expected seconds, or 0 for no limit').default(900),
    })
    .default({ headers: 300, idle: 900 }),
  serverLogMaxBytes: z.number().int().min(4096).default(1024 * 1024),
  stopServersOnShutdown: z.boolean().default(false),
  http: z
    .strictObject({
      headersTimeout: seconds(20),
      maxConnections: z.number().int('expected an integer').min(1, 'expected at least 1').default(4096),
      shutdownGrace: seconds(5),
    })
    .default({ headersTimeout: 20, maxConnections: 4096, shutdownGrace: 5 }),
  /** false: no /hub/metrics, no request timing, no process metrics; the proxy's counters are no-ops. */
  metrics: z.boolean().default(true),
  metricsPublic: z.boolean().default(false),
  /** Who must use a TOTP second factor after their first ('nobody': only those who opt in). */
  totp: z
    .strictObject({
      requiredFor: z.enum(['nobody', 'admins', 'everyone']).default('nobody'),
      issuer: z.string().min(1, 'expected a non-empty name').max(64).default('Gatehouse'),
    })
    .default({ requiredFor: 'nobody', issuer: 'Gatehouse' }),
  /** GET /hub/auth for nginx auth_request; cookiePaths: where the opt-in gatehouse-auth cookie is sent. */
  authRequest: z
    .strictObject({
      cookiePaths: z.array(z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+=:@%/-]*$/, 'expected a URL path such as /app/')).default([]),
    })
    .default({ cookiePaths: [] }),
  /** The idle culler (config/cull-schema.ts); off until timeout or maxAge is set. */
  cull: cullSchema,
  /** External services with API tokens of their own (config/services-schema.ts). */
  services: servicesSchema,
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});

function isValidRegExp(source: string): boolean {
  try {
    new RegExp(source, 'u');
    return true;
  } catch {
    return false;
  }
}

/** What a config file may contain (defaults optional). A key outside this type fails to type-check. */
export type GatehouseConfigInput = z.input<typeof configSchema>;

/** The validated, frozen configuration the hub runs with. */
export type GatehouseConfig = Readonly<z.output<typeof configSchema>>;
