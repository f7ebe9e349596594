/**
 * Every error the hub reports to a client or an operator has a code from this table, and every code
 * here is raised somewhere (test/core/error-codes.test.ts checks both against the source).
 *
 * `status` is the HTTP status used when the error reaches a client. `expose` (Koa's word) says
 * whether the message given where the error is raised may be shown to the client. It is true for
 * every 4xx, and for the 5xx whose messages are written for the person (`alice's server is not
 * running.`); a 5xx that can carry internals — a fault, the configuration, the disk — is not exposed:
 * the client gets the table's generic `message` and the code, the log gets the detail.
 */
export const ERROR_CODES = {
  GATEHOUSE_ERR_CONFIG_INVALID: { status: 500, expose: false, message: 'The configuration is invalid' },
  GATEHOUSE_ERR_CONFIG_LOAD: { status: 500, expose: false, message: 'The configuration file could not be loaded' },
  GATEHOUSE_ERR_DATA_DIR: { status: 500, expose: false, message: 'The data directory is unusable' },
  GATEHOUSE_ERR_SECRET_PERMISSIONS: { status: 500, expose: false, message: 'A secret file is readable by others' },
  GATEHOUSE_ERR_LISTEN: { status: 500, expose: false, message: 'The hub could not listen on its address' },
  GATEHOUSE_ERR_MIGRATION: { status: 500, expose: false, message: 'The database could not be migrated' },
  GATEHOUSE_ERR_INTERNAL: { status: 500, expose: false, message: 'Internal server error' },
  GATEHOUSE_ERR_BAD_REQUEST: { status: 400, expose: true, message: 'Bad request' },
  GATEHOUSE_ERR_INVALID_USERNAME: { status: 400, expose: true, message: 'Invalid username' },
  GATEHOUSE_ERR_UNAUTHENTICATED: { status: 401, expose: true, message: 'Authentication required' },
  GATEHOUSE_ERR_LOGIN_FAILED: { status: 403, expose: true, message: 'Invalid username or password' },
  GATEHOUSE_ERR_LOGIN_THROTTLED: { status: 429, expose: true, message: 'Too many failed logins' },
  GATEHOUSE_ERR_USER_NOT_ALLOWED: { status: 403, expose: true, message: 'This user may not use the hub' },
  GATEHOUSE_ERR_XSRF: { status: 403, expose: true, message: 'XSRF check failed' },
  GATEHOUSE_ERR_COOKIE_CONFLICT: { status: 400, expose: true, message: 'Conflicting session cookies' },
  GATEHOUSE_ERR_FORBIDDEN: { status: 403, expose: true, message: 'Forbidden' },
  GATEHOUSE_ERR_NOT_FOUND: { status: 404, expose: true, message: 'Not found' },
  GATEHOUSE_ERR_USER_NOT_FOUND: { status: 404, expose: true, message: 'No such user' },
  GATEHOUSE_ERR_USER_EXISTS: { status: 409, expose: true, message: 'The user already exists' },
  GATEHOUSE_ERR_GROUP_NOT_FOUND: { status: 404, expose: true, message: 'No such group' },
  GATEHOUSE_ERR_GROUP_EXISTS: { status: 409, expose: true, message: 'The group already exists' },
  GATEHOUSE_ERR_INVALID_GROUP_NAME: { status: 400, expose: true, message: 'Invalid group name' },
  GATEHOUSE_ERR_PROFILE_NOT_ALLOWED: { status: 403, expose: true, message: 'This profile is not open to you' },
  GATEHOUSE_ERR_METHOD_NOT_ALLOWED: { status: 405, expose: true, message: 'Method not allowed' },
  GATEHOUSE_ERR_PAYLOAD_TOO_LARGE: { status: 413, expose: true, message: 'Request body too large' },
  GATEHOUSE_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, expose: true, message: 'Unsupported content type' },
  GATEHOUSE_ERR_SERVER_NOT_RUNNING: { status: 503, expose: true, message: 'The server is not running' },
  GATEHOUSE_ERR_SERVER_PENDING: { status: 409, expose: true, message: 'The server is already starting or stopping' },
  GATEHOUSE_ERR_SERVER_ALREADY_RUNNING: { status: 400, expose: true, message: 'The server is already running' },
  GATEHOUSE_ERR_SERVER_NOT_FOUND: { status: 404, expose: true, message: 'No such server' },
  GATEHOUSE_ERR_INVALID_SERVER_NAME: { status: 400, expose: true, message: 'Invalid server name' },
  GATEHOUSE_ERR_NAMED_SERVERS_DISABLED: { status: 400, expose: true, message: 'Named servers are not enabled on this hub' },
  GATEHOUSE_ERR_NAMED_SERVER_LIMIT: { status: 400, expose: true, message: 'The user has as many named servers as they may' },
  GATEHOUSE_ERR_INVALID_USER_OPTIONS: { status: 400, expose: true, message: 'Invalid user options' },
  GATEHOUSE_ERR_SERVER_LOCATION_EARLY: { status: 409, expose: true, message: 'No start of this server is waiting for its location; try again shortly' },
  GATEHOUSE_ERR_SPAWN_LIMIT: { status: 429, expose: true, message: 'Too many servers are starting; try again shortly' },
  GATEHOUSE_ERR_ACTIVE_SERVER_LIMIT: { status: 429, expose: true, message: 'The hub is running as many servers as it may' },
  GATEHOUSE_ERR_PROXY_UPSTREAM: { status: 502, expose: true, message: 'The user server did not answer' },
  GATEHOUSE_ERR_PROXY_TIMEOUT: { status: 504, expose: true, message: 'The user server did not answer in time' },
  GATEHOUSE_ERR_TOKEN_INVALID: { status: 403, expose: true, message: 'Invalid or expired token' },
  GATEHOUSE_ERR_TOTP_ACTIVE: { status: 409, expose: true, message: 'A second factor is already active' },
  GATEHOUSE_ERR_TOTP_NOT_SET_UP: { status: 409, expose: true, message: 'No second factor has been set up' },
  GATEHOUSE_ERR_TOTP_CODE_INVALID: { status: 403, expose: true, message: 'Invalid code' },
  GATEHOUSE_ERR_CLI_USAGE: { status: 400, expose: true, message: 'Invalid command line' },
  // 499 as nginx logs it: the client closed the connection before its request was complete; nobody sees the answer.
  GATEHOUSE_ERR_CLIENT_ABORTED: { status: 499, expose: true, message: 'The client closed the connection before its request was complete' },
  GATEHOUSE_ERR_DATABASE_BUSY: { status: 503, expose: false, message: 'The database is busy; try again shortly' },
} as const satisfies Record<string, { status: number; expose: boolean; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface GatehouseErrorOptions {
  /** Extra, client-safe detail such as `retryAfterSeconds`. */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
  /** Overrides the table's status (e.g. a 503 page for a stopped server reached by its owner). */
  readonly status?: number;
}

export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Whether `message` may be sent to the client: the code's `expose` (see ERROR_CODES). */
  readonly expose: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message?: string, options: GatehouseErrorOptions = {}) {
    super(message ?? ERROR_CODES[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatehouseError';
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code].status;
    this.expose = ERROR_CODES[code].expose;
    this.details = options.details ?? {};
  }

  /** The message a client may see: the one given when exposed, the table's generic one otherwise. */
  get publicMessage(): string {
    return this.expose ? this.message : ERROR_CODES[this.code].message;
  }
}

/** The one factory: `gatehouseError('GATEHOUSE_ERR_NOT_FOUND', 'No such page')`. */
export function gatehouseError(code: ErrorCode, message?: string, options?: GatehouseErrorOptions): GatehouseError {
  return new GatehouseError(code, message, options);
}

export function isGatehouseError(value: unknown): value is GatehouseError {
  return value instanceof GatehouseError;
}

/** Maps anything thrown to a GatehouseError; unknown errors become an unexposed 500. */
export function toGatehouseError(value: unknown): GatehouseError {
  if (isGatehouseError(value)) return value;
  const status = statusOf(value);
  if (status !== undefined && status >= 400 && status < 500) {
    return new GatehouseError(codeForStatus(status), messageOf(value), { status });
  }
  return new GatehouseError('GATEHOUSE_ERR_INTERNAL', undefined, { cause: value });
}

function statusOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const status = (value as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(value: unknown): string | undefined {
  return value instanceof Error ? value.message : undefined;
}

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401: return 'GATEHOUSE_ERR_UNAUTHENTICATED';
    case 403: return 'GATEHOUSE_ERR_FORBIDDEN';
    case 404: return 'GATEHOUSE_ERR_NOT_FOUND';
    case 405: return 'GATEHOUSE_ERR_METHOD_NOT_ALLOWED';
    case 413: return 'GATEHOUSE_ERR_PAYLOAD_TOO_LARGE';
    case 415: return 'GATEHOUSE_ERR_UNSUPPORTED_MEDIA_TYPE';
    default: return 'GATEHOUSE_ERR_BAD_REQUEST';
  }
}
