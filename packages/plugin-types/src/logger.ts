/**
 * Structured logging the hub gives every plugin at `init` (its own pino logger underneath).
 * Never pass a secret, a token or a password.
 */
export interface PluginLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}
