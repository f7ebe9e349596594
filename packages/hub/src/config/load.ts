import { existsSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PluginOptionsError } from '@gatehouse/plugin-types';
import { gatehouseError } from '../errors.ts';
import { unknownKeyProblem } from './did-you-mean.ts';
import { configError, validateConfig } from './validate.ts';
import type { GatehouseConfig } from './schema.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');

/** The bundled default configuration, used when neither --config nor GATEHOUSE_CONFIG names one. */
export const DEFAULT_CONFIG_FILE = path.join(repoRoot, 'config/hub.config.ts');

/** Command-line flags that override the file (README.md, Command line: `gatehouse start`). */
export interface ConfigOverrides {
  readonly ip?: string;
  readonly port?: number;
  readonly dataDir?: string;
}

let resolveHookRegistered = false;

function registerPackageResolution(): void {
  if (resolveHookRegistered) return;
  resolveHookRegistered = true;
  const entry = (name: string, file = 'index.ts') => pathToFileURL(path.join(repoRoot, 'packages', name, 'src', file)).href;
  register(pathToFileURL(path.join(here, 'resolve-hook.mjs')).href, {
    data: {
      packages: {
        '@gatehouse/hub': entry('hub'),
        '@gatehouse/authenticators': entry('authenticators'),
        '@gatehouse/spawner': entry('spawner'),
        '@gatehouse/spawner/testing': entry('spawner', 'testing/index.ts'),
        '@gatehouse/plugin-types': entry('plugin-types'),
      },
    },
  });
}

export function resolveConfigFile(explicit: string | undefined): string {
  const chosen = explicit ?? process.env['GATEHOUSE_CONFIG'];
  if (chosen === undefined || chosen === '') return DEFAULT_CONFIG_FILE;
  const absolute = path.resolve(chosen);
  if (!existsSync(absolute)) throw gatehouseError('GATEHOUSE_ERR_CONFIG_LOAD', `config file not found: ${absolute}`);
  return absolute;
}

/**
 * Imports the config module, applies overrides, validates. Errors name the key path; a plugin whose
 * constructor rejects its options (PluginOptionsError) is reported the same way.
 */
export async function loadConfig(file: string, overrides: ConfigOverrides = {}): Promise<GatehouseConfig> {
  registerPackageResolution();
  let exported: unknown;
  try {
    const module = (await import(`${pathToFileURL(file).href}?gatehouse-config`)) as { default?: unknown };
    exported = module.default;
  } catch (error) {
    if (error instanceof PluginOptionsError) throw configError([pluginProblem(error)], file);
    throw gatehouseError('GATEHOUSE_ERR_CONFIG_LOAD', `could not load ${file}:\n  ${loadFailure(error).join('\n  ')}`, { cause: error });
  }
  if (typeof exported !== 'object' || exported === null) {
    throw gatehouseError('GATEHOUSE_ERR_CONFIG_LOAD', `${file} must export default defineConfig({...})`);
  }
  const merged: Record<string, unknown> = { ...(exported as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) merged[key] = value;
  return validateConfig(merged, file);
}

/** A plugin's option error, with "did you mean" when it names an unknown key. */
function pluginProblem(error: PluginOptionsError): string {
  if (error.knownKeys === undefined) return error.message;
  return `${error.key}: ${unknownKeyProblem(error.key.split('.').at(-1) ?? error.key, error.knownKeys)}`;
}

/**
 * Why the file could not be imported, for a person: a syntax error as `file:line:column: message`
 * with the offending line and a caret (esbuild's "Transform failed" says where only in later lines).
 */
export function loadFailure(error: unknown): string[] {
  const message = error instanceof Error ? error.message : String(error);
  const located = [...message.matchAll(/^(.+?):(\d+):(\d+): ERROR: (.+)$/gm)];
  if (located.length === 0) return [message.split('\n')[0] ?? message];
  return located.flatMap(([, where, line, column, text]) => [`${where}:${line}:${Number(column) + 1}: ${text}`, ...sourceExcerpt(where as string, Number(line), Number(column))]);
}

/** The line and a caret under esbuild's 0-based column. */
function sourceExcerpt(file: string, line: number, column: number): string[] {
  try {
    const source = readFileSync(file, 'utf8').split('\n')[line - 1];
    if (source === undefined) return [];
    return [`  ${line} | ${source}`, `  ${' '.repeat(String(line).length)} | ${' '.repeat(column)}^`];
  } catch {
    return [];
  }
}
