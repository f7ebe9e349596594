import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestKey } from '../config/did-you-mean.ts';
import { gatehouseError } from '../errors.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts (README.md, Command line: `--config`, `--data-dir`, `--help`). */
export const COMMON_OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/**
 * Strict parsing: an unknown flag or a missing value is a usage error with a one-line reason in our
 * words (with the flag that was probably meant). A value that looks like a negative number is a value
 * (`--expires-in -5`), so that the range check can say what is wrong with it.
 */
export function parseCommandArgs(argv: readonly string[], options: OptionSpec, maxPositionals: number, command = ''): ParsedArgs {
  const spec: OptionSpec = { ...COMMON_OPTIONS, ...options };
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    const takesValue = arg.startsWith('--') && !arg.includes('=') && spec[arg.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i += 1;
    } else {
      joined.push(arg);
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args: joined, options: spec, allowPositionals: true, strict: true });
  } catch (error) {
    throw gatehouseError('GATEHOUSE_ERR_CLI_USAGE', usageProblem(error as Error & { code?: string }, spec, command));
  }
  if (parsed.positionals.length > maxPositionals) {
    throw gatehouseError('GATEHOUSE_ERR_CLI_USAGE', `unexpected argument: ${parsed.positionals[maxPositionals]}`);
  }
  return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals };
}

function usageProblem(error: Error & { code?: string }, spec: OptionSpec, command: string): string {
  const help = `run gatehouse ${command === '' ? '' : `${command} `}--help`;
  const flag = /option '([^']+)'/i.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag !== undefined) {
    const meant = closestKey(flag.replace(/^-+/, ''), Object.keys(spec));
    return `unknown option ${flag}${meant === undefined ? '' : `; did you mean --${meant}?`} (${help})`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag !== undefined) {
    const name = /--[\w-]+/.exec(flag)?.[0] ?? flag;
    return `${name} needs a value (${help})`;
  }
  return `${error.message.split('\n')[0] ?? error.message} (${help})`;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function integerOption(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || value < min || value > max) {
    throw gatehouseError('GATEHOUSE_ERR_CLI_USAGE', `--${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}
