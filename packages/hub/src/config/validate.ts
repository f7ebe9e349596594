import { gatehouseError, type GatehouseError } from '../errors.ts';
import { formatConfigIssues, plainWording } from './issues.ts';
import { configSchema, type GatehouseConfig, type GatehouseConfigInput } from './schema.ts';

/** Identity at run time; its job is the type: a config file gets completion and excess-key errors. */
export function defineConfig(config: GatehouseConfigInput): GatehouseConfigInput {
  return config;
}

/** Validates once at start and freezes the result; throws GATEHOUSE_ERR_CONFIG_INVALID listing every problem. */
export function validateConfig(input: unknown, file?: string): GatehouseConfig {
  const result = configSchema.safeParse(input, { error: plainWording });
  if (!result.success) throw configError(formatConfigIssues(result.error.issues, input, configSchema), file);
  const config = result.data;
  if (config.session.maxAge < config.session.idleTimeout) {
    throw configError(['session.idleTimeout: must not exceed session.maxAge'], file);
  }
  const { socket, secret } = config.frontProxy;
  if (config.authenticator.trustedHeaders.length > 0 && socket === undefined && secret === undefined) {
    throw configError([
      `frontProxy: the ${config.authenticator.kind} authenticator believes the ${config.authenticator.trustedHeaders[0]} header only from the front proxy, ` +
        'and none is configured: set frontProxy.socket (nginx on this machine) or frontProxy.secret (nginx elsewhere)',
    ], file);
  }
  return deepFreezePlainData(config);
}

/** The message lists one problem per line under a heading naming the file; `details.problems` has them as data. */
export function configError(lines: readonly string[], file?: string): GatehouseError {
  const heading = file === undefined ? 'invalid configuration:' : `invalid configuration in ${file}:`;
  return gatehouseError('GATEHOUSE_ERR_CONFIG_INVALID', `${heading}\n  ${lines.join('\n  ')}`, {
    details: { problems: lines },
  });
}

/** Freezes plain objects and arrays; plugin instances are left alone (they own their state). */
function deepFreezePlainData<T>(value: T): T {
  if (Array.isArray(value)) {
    value.forEach(deepFreezePlainData);
    return Object.freeze(value);
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    Object.values(value).forEach(deepFreezePlainData);
    return Object.freeze(value);
  }
  return value;
}
