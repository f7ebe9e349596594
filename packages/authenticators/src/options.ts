import { PluginOptionsError } from './types.ts';

/**
 * Option checks shared by every strategy's constructor. Each failure names the full config path
 * (`authenticator.throttle.maxFailures`), because that is what the person editing hub.config.ts needs.
 */

/**
 * The options object itself: a plain object whose keys are all known. Unknown keys are errors, never ignored.
 * `internal` keys are accepted (tests inject them) but never suggested to a person editing a config.
 */
export function optionsObject(value: unknown, path: string, known: readonly string[], internal: readonly string[] = []): Readonly<Record<string, unknown>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PluginOptionsError(path, 'expected an object of options');
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key) && !internal.includes(key)) throw new PluginOptionsError(`${path}.${key}`, `unknown key (known keys: ${known.join(', ')})`, known);
  }
  return value as Record<string, unknown>;
}

export function optionalBoolean(value: unknown, key: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw new PluginOptionsError(key, 'expected true or false');
  return value;
}

export function optionalInteger(value: unknown, key: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PluginOptionsError(key, `expected an integer from ${min} to ${max}`);
  }
  return value;
}

export function optionalChoice<T extends string>(value: unknown, key: string, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new PluginOptionsError(key, `expected one of ${choices.map((choice) => `'${choice}'`).join(', ')}`);
  }
  return value as T;
}

export function optionalFunction<T extends (...args: never[]) => unknown>(value: unknown, key: string): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new PluginOptionsError(key, 'expected a function');
  return value as T | undefined;
}

// RFC 9110 `token`: what an HTTP field name may contain.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function headerNameOption(value: unknown, key: string): string {
  if (typeof value !== 'string' || !HEADER_NAME.test(value)) {
    throw new PluginOptionsError(key, 'expected an HTTP header name such as Remote-User');
  }
  return value;
}

/**
 * Where logout sends the browser: an absolute http(s) URL, or a path on this site. A path must
 * start with exactly one '/': browsers read `//host` and `/\host` as another site.
 */
export function logoutRedirectUrlOption(value: unknown, key: string): string | undefined {
  if (value === undefined) return undefined;
  const problem = 'expected an absolute http(s) URL or a path starting with a single /';
  // Control characters and spaces would let the value smuggle a second header or a different URL.
  if (typeof value !== 'string' || /[\s\u0000-\u001f\u007f]/.test(value)) throw new PluginOptionsError(key, problem);
  if (value.startsWith('/')) {
    if (value[1] === '/' || value[1] === '\\') throw new PluginOptionsError(key, problem);
    return value;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PluginOptionsError(key, problem);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.host === '') throw new PluginOptionsError(key, problem);
  return value;
}
