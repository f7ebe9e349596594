import type { UsernamePolicy } from '@gatehouse/authenticators';
import type { ActivityRecorder } from './activity.ts';
import type { GatehouseConfig } from './config/schema.ts';
import type { SqliteAccountStore, SqliteThrottleStore } from './db/accounts.ts';
import type { Db } from './db/database.ts';
import type { SessionStore } from './db/sessions.ts';
import type { UserRepository } from './db/users.ts';
import type { WriteGate } from './db/write-gate.ts';
import type { FrontProxyTrust } from './http/front-proxy.ts';
import type { SessionBinding } from './http/session-binding.ts';
import type { XsrfGuard } from './http/xsrf.ts';
import type { Logger } from './log.ts';
import type { HubMetrics } from './metrics.ts';
import type { OAuthStore } from './oauth/oauth-store.ts';
import type { SecretBox } from './secret-box.ts';
import type { ServerManager } from './servers/manager.ts';
import type { ServerRepository } from './servers/server-repository.ts';
import type { TokenStore } from './tokens/token-store.ts';
import type { AuthCookieStore } from './http/auth-request.ts';
import type { PendingLoginStore } from './totp/pending-logins.ts';
import type { SecondFactor } from './totp/second-factor.ts';
import type { UserAdmin } from './user-admin.ts';
import type { IdleCuller } from './culler/culler.ts';
import type { ServiceRegistry } from './external-services/service-registry.ts';

/** Everything a route or middleware may use, built once at start (hub.ts) and passed down. */
export interface HubServices {
  readonly config: GatehouseConfig;
  readonly logger: Logger;
  readonly db: Db;
  /** Lets requests wait for another process's database lock without blocking the event loop. */
  readonly writeGate: WriteGate;
  readonly dataDir: string;
  readonly users: UserRepository;
  readonly accounts: SqliteAccountStore;
  readonly throttle: SqliteThrottleStore;
  readonly sessions: SessionStore;
  readonly tokens: TokenStore;
  readonly oauth: OAuthStore;
  readonly servers: ServerManager;
  readonly serverRepository: ServerRepository;
  readonly activity: ActivityRecorder;
  /** The idle culler (config `cull`); sweeps only when a limit is set. */
  readonly culler: IdleCuller;
  /** External services and their hashed tokens (config `services`). */
  readonly externalServices: ServiceRegistry;
  readonly metrics: HubMetrics;
  readonly userAdmin: UserAdmin;
  readonly box: SecretBox;
  readonly xsrf: XsrfGuard;
  /** Ties the /hub/ and /user/ session cookies together (the Path=/ tag; see http/session-binding.ts). */
  readonly sessionBinding: SessionBinding;
  readonly usernamePolicy: UsernamePolicy;
  readonly secondFactor: SecondFactor;
  readonly pendingLogins: PendingLoginStore;
  /** The opt-in gatehouse-auth cookies of nginx auth_request (GET /hub/auth). */
  readonly authCookies: AuthCookieStore;
  /** Whether a request comes from the front proxy, which alone may set identity and X-Forwarded-* headers. */
  readonly frontProxy: FrontProxyTrust;
  /** True when the hub itself listens on loopback (cookies need not be Secure then). */
  readonly listensOnLoopback: boolean;
  /** The hub's clock (epoch ms): pages say "3 min ago" against it. */
  readonly now: () => number;
}
