import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stderr. Keys that could carry a secret are redacted wherever they
 * appear, as a second line of defence: the first is never passing secrets to the logger.
 */
const REDACTED_KEYS = ['password', 'token', 'apiToken', 'secret', 'cookie', 'authorization', 'set-cookie', 'passwordHash'];

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      level,
      base: { app: 'gatehouse' },
      redact: { paths: [...REDACTED_KEYS, ...REDACTED_KEYS.map((key) => `*.${key}`)], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream,
  );
}
