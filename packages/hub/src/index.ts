export { defineConfig, validateConfig } from './config/validate.ts';
export type { GatehouseConfig, GatehouseConfigInput } from './config/schema.ts';
export { loadConfig, resolveConfigFile, DEFAULT_CONFIG_FILE } from './config/load.ts';
export { startHub, type RunningHub, type StartHubOptions } from './hub.ts';
export { ERROR_CODES, GatehouseError, gatehouseError, type ErrorCode } from './errors.ts';
export { openDatabase, schemaVersion, DATABASE_FILE, type Database } from './db/database.ts';
export { MIGRATIONS } from './db/migrations.ts';
export { safeNextPath } from './http/redirect.ts';
export { createLogger } from './log.ts';
