import { type z } from 'zod';
import { gatehouseError, type GatehouseError } from '../errors.ts';
import { configSchema, type GatehouseConfig, type GatehouseConfigInput } from './schema.ts';

/** Identity at run time; its job is the type: a config file gets completion and excess-key errors. */
export function defineConfig(config: GatehouseConfigInput): GatehouseConfigInput {
  return config;
}

/** One line per problem, each starting with the full key path: `spawner.portRange: expected [min, max]`. */
export function formatConfigIssues(issues: readonly z.core.$ZodIssue[], input?: unknown): string[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${[...path, key].join('.')}: unknown key`);
    }
    const where = path.length > 0 ? path.join('.') : '(config)';
    const missing = path.length > 0 && valueAt(input, path) === undefined;
    return [`${where}: ${missing ? 'is required' : issue.message}`];
  });
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Validates once at start and freezes the result; throws GATEHOUSE_ERR_CONFIG_INVALID listing every problem. */
export function validateConfig(input: unknown): GatehouseConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) throw configError(formatConfigIssues(result.error.issues, input));
  const config = result.data;
  if (config.session.maxAge < config.session.idleTimeout) {
    throw configError(['session.idleTimeout: must not exceed session.maxAge']);
  }
  const { socket, secret } = config.frontProxy;
  if (config.authenticator.trustedHeaders.length > 0 && socket === undefined && secret === undefined) {
    throw configError([
      `frontProxy: the ${config.authenticator.kind} authenticator believes the ${config.authenticator.trustedHeaders[0]} header only from the front proxy, ` +
        'and none is configured: set frontProxy.socket (nginx on this machine) or frontProxy.secret (nginx elsewhere)',
    ]);
  }
  return deepFreezePlainData(config);
}

export function configError(lines: readonly string[]): GatehouseError {
  return gatehouseError('GATEHOUSE_ERR_CONFIG_INVALID', `invalid configuration:\n  ${lines.join('\n  ')}`, {
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
