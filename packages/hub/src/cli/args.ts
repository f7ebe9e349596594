import { parseArgs, type ParseArgsConfig } from 'node:util';
import { gatehouseError } from '../errors.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts (SPEC: "Every command accepts --config and --data-dir"). */
export const COMMON_OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/** Strict parsing: an unknown flag or a missing value is a usage error with a one-line reason. */
export function parseCommandArgs(argv: readonly string[], options: OptionSpec, maxPositionals: number): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw gatehouseError('GATEHOUSE_ERR_CLI_USAGE', (error as Error).message.split('\n')[0]);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw gatehouseError('GATEHOUSE_ERR_CLI_USAGE', `unexpected argument: ${parsed.positionals[maxPositionals]}`);
  }
  return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals };
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function integerOption(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw gatehouseError('GATEHOUSE_ERR_CLI_USAGE', `--${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}
