import { pino } from 'pino';
import { openServices } from '../compose.ts';
import { loadConfig, resolveConfigFile } from '../config/load.ts';
import type { Logger } from '../log.ts';
import type { HubServices } from '../services.ts';
import { stringOption, type ParsedArgs } from './args.ts';

export async function configFromArgs(args: ParsedArgs, overrides: { ip?: string | undefined; port?: number | undefined } = {}) {
  const file = resolveConfigFile(stringOption(args, 'config'));
  const config = await loadConfig(file, { ...overrides, dataDir: stringOption(args, 'data-dir') });
  return { file, config };
}

/**
 * The configured hub's services, for commands that manage it while it runs or not: wired by the same
 * composeServices as the running hub (compose.ts, role 'tool'), so `gatehouse userdel` deletes a user
 * the way the admin page does, their running servers stopped.
 */
export interface OfflineHub extends HubServices {
  close(): void;
}

/** `logger`: where the services log (default: nowhere; commands print their own results). */
export async function openOfflineHub(args: ParsedArgs, logger: Logger = pino({ level: 'silent' })): Promise<OfflineHub> {
  const { config } = await configFromArgs(args);
  // The plugins' start-up notices would only be noise beside a command's output.
  const quiet = pino({ level: 'silent' });
  const services = await openServices(config, { role: 'tool', logger, pluginLogger: () => quiet });
  return { ...services, close: () => services.db.close() };
}
