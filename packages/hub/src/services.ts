import type { UsernamePolicy } from '@gatehouse/authenticators';
import type { Context } from 'koa';
import type { PrincipalCache } from './auth/principal-cache.ts';
import type { ActivityRecorder } from './activity.ts';
import type { GatehouseConfig } from './config/schema.ts';
import type { SqliteAccountStore, SqliteThrottleStore } from './db/accounts.ts';
import type { Database } from './db/database.ts';
import type { GroupRepository } from './db/groups.ts';
import type { SpawnChoiceStore } from './db/spawn-choices.ts';
import type { SessionRecord, SessionStore } from './db/sessions.ts';
import type { UserRepository } from './db/users.ts';
import type { WriteGate } from './db/write-gate.ts';
import type { FrontProxyTrust } from './auth/front-proxy-trust.ts';
import type { SessionBinding } from './auth/session-cookies.ts';
import type { Logger } from './log.ts';
import type { HubMetrics } from './metrics.ts';
import type { OAuthStore } from './oauth/oauth-store.ts';
import type { SecretBox } from './secret-box.ts';
import type { ServerManager } from './servers/manager.ts';
import type { ServerRepository } from './servers/server-repository.ts';
import type { TokenStore } from './tokens/token-store.ts';
import type { PendingLoginStore } from './totp/pending-logins.ts';
import type { SecondFactor } from './totp/second-factor.ts';
import type { UserAdmin } from './user-admin.ts';
import type { GroupAdmin } from './group-admin.ts';
import type { IdleCuller } from './culler/culler.ts';
import type { ServiceRegistry } from './external-services/service-registry.ts';

/**
 * XSRF tokens for forms and cookie-authenticated API calls: an HMAC of the session id, or before login
 * of a nonce cookie. Declared here, implemented by http/xsrf.ts (XsrfGuard): the service container
 * sits below the HTTP layer that uses it.
 */
export interface XsrfChecks {
  /** The token this page's forms must echo. */
  tokenFor(ctx: Context): string;
  /** Throws GATEHOUSE_ERR_XSRF unless `formToken` (or the X-XSRFToken header) is this browser's token. */
  verify(ctx: Context, formToken: string | undefined): void;
}

/** The opt-in `gatehouse-auth` cookies of nginx auth_request (implemented by http/auth-request.ts: AuthCookieStore). */
export interface AuthCookies {
  /** A new cookie value for the session `sessionId` (which must be saved already). */
  mint(sessionId: string): string;
  /** The live session a cookie value belongs to (SessionStore.lookup's expiry rules). */
  lookup(value: string): SessionRecord | undefined;
  reusableUntil(record: SessionRecord): number;
}

/**
 * Everything a route or middleware may use, built once by composeServices (compose.ts) — for the
 * running hub and for CLI commands alike — and passed down.
 */
export interface HubServices {
  readonly config: GatehouseConfig;
  readonly logger: Logger;
  readonly db: Database;
  /** Lets requests wait for another process's database lock without blocking the event loop. */
  readonly writeGate: WriteGate;
  readonly dataDir: string;
  readonly users: UserRepository;
  /** Groups and their members (the groups API, the admin page, allowedGroups/adminGroups). */
  readonly groups: GroupRepository;
  /** Each user's last spawn options, preselected in the profile form. */
  readonly spawnChoices: SpawnChoiceStore;
  readonly accounts: SqliteAccountStore;
  readonly throttle: SqliteThrottleStore;
  readonly sessions: SessionStore;
  readonly tokens: TokenStore;
  /** Who a session or bearer token is, cached exactly (auth/principal-cache.ts): the API and the proxy share it. */
  readonly principals: PrincipalCache;
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
  readonly groupAdmin: GroupAdmin;
  readonly box: SecretBox;
  readonly xsrf: XsrfChecks;
  /** Ties the /hub/ and /user/ session cookies together (the Path=/ tag; see auth/session-cookies.ts). */
  readonly sessionBinding: SessionBinding;
  readonly usernamePolicy: UsernamePolicy;
  readonly secondFactor: SecondFactor;
  readonly pendingLogins: PendingLoginStore;
  /** The opt-in gatehouse-auth cookies of nginx auth_request (GET /hub/auth). */
  readonly authCookies: AuthCookies;
  /** Whether a request comes from the front proxy, which alone may set identity and X-Forwarded-* headers. */
  readonly frontProxy: FrontProxyTrust;
  /** True when the hub itself listens on loopback (cookies need not be Secure then). */
  readonly listensOnLoopback: boolean;
  /** The hub's clock (epoch ms): pages say "3 min ago" against it. */
  readonly now: () => number;
}
