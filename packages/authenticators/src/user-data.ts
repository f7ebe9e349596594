import { headerText } from './header-identity.ts';
import { canonicalHeaderName, headerValues } from './headers.ts';
import { headerNameOption, optionalInteger } from './options.ts';
import { PluginOptionsError, UserDataError, type UserDataHandling } from './types.ts';

export const DEFAULT_MAX_VALUE_BYTES = 8192;

// Names the hub sets itself for every server (docs/jupyterhub-singleuser.md §1).
const RESERVED_VARIABLES = new Set(['USER', 'HOME', 'PATH']);
const VARIABLE_NAME = /^[A-Z_][A-Z0-9_]*$/;

export interface UserDataOptions {
  readonly identityHeader: string;
  readonly dataHeaders: unknown;
  readonly maxValueBytes: unknown;
  readonly environment: unknown;
}

/**
 * Per-user JSON values that a trusted front proxy posts as headers to `POST /hub/data`, and the
 * environment variables made from them. Values are parsed with JSON.parse only, never evaluated.
 */
export class HeaderUserData implements UserDataHandling {
  readonly headers: readonly string[];
  readonly maxValueBytes: number;
  /** Configured header name → environment variable name. */
  readonly variables: ReadonlyMap<string, string>;

  constructor(options: UserDataOptions) {
    this.headers = Object.freeze(dataHeadersOption(options.dataHeaders, options.identityHeader));
    this.maxValueBytes = optionalInteger(options.maxValueBytes, 'authenticator.maxValueBytes', 1, 1024 * 1024) ?? DEFAULT_MAX_VALUE_BYTES;
    this.variables = environmentOption(options.environment, this.headers);
  }

  parse(rawHeaders: readonly string[]): Record<string, unknown> {
    const accepted: Array<[string, unknown]> = [];
    for (const header of this.headers) {
      const { values } = headerValues(rawHeaders, header);
      if (values.length === 0) continue;
      if (values.length > 1) throw new UserDataError(header, 'sent more than once');
      const text = headerText(values[0] as string);
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > this.maxValueBytes) {
        throw new UserDataError(header, `the value is ${bytes} bytes, more than the limit of ${this.maxValueBytes} bytes`);
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        // The parser's message quotes the value, which may be private: say only what is wrong.
        throw new UserDataError(header, 'the value is not valid JSON');
      }
      if (this.variables.has(header)) environmentValue(header, value);
      accepted.push([header, value]);
    }
    // fromEntries defines own properties, so a header configured as `__proto__` stays plain data.
    return Object.fromEntries(accepted);
  }

  environment(data: Readonly<Record<string, unknown>>): Record<string, string> {
    const byCanonicalName = new Map(Object.entries(data).map(([header, value]) => [canonicalHeaderName(header), value]));
    const environment: Record<string, string> = {};
    for (const [header, variable] of this.variables) {
      const value = byCanonicalName.get(canonicalHeaderName(header));
      if (value !== undefined) environment[variable] = environmentValue(header, value);
    }
    return environment;
  }
}

/** Strings go in as they are; any other JSON value as its JSON text. */
function environmentValue(header: string, value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // A NUL cannot be passed in an environment variable: the spawn would fail later, less clearly.
  if (text.includes('\u0000')) {
    throw new UserDataError(header, 'the value contains a NUL character, which cannot go into an environment variable');
  }
  return text;
}

function dataHeadersOption(value: unknown, identityHeader: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new PluginOptionsError('authenticator.dataHeaders', 'expected an array of header names');
  const seen = new Set([canonicalHeaderName(identityHeader)]);
  return value.map((item: unknown, index) => {
    const key = `authenticator.dataHeaders[${index}]`;
    const header = headerNameOption(item, key);
    if (seen.has(canonicalHeaderName(header))) {
      throw new PluginOptionsError(key, `${header} is listed twice, or is the identity header (case and _ vs - do not count)`);
    }
    seen.add(canonicalHeaderName(header));
    return header;
  });
}

function environmentOption(value: unknown, headers: readonly string[]): Map<string, string> {
  const variables = new Map<string, string>();
  if (value === undefined) return variables;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PluginOptionsError('authenticator.environment', 'expected an object mapping data header names to environment variable names');
  }
  const used = new Set<string>();
  for (const [name, variable] of Object.entries(value)) {
    const key = `authenticator.environment.${name}`;
    const header = headers.find((candidate) => canonicalHeaderName(candidate) === canonicalHeaderName(name));
    if (header === undefined) throw new PluginOptionsError(key, 'not one of authenticator.dataHeaders');
    if (typeof variable !== 'string' || !VARIABLE_NAME.test(variable)) {
      throw new PluginOptionsError(key, 'expected an environment variable name matching ^[A-Z_][A-Z0-9_]*$');
    }
    if (variable.startsWith('JUPYTERHUB_') || RESERVED_VARIABLES.has(variable)) {
      throw new PluginOptionsError(key, `${variable} is set by the hub itself; choose another name`);
    }
    if (variables.has(header)) throw new PluginOptionsError(key, `${header} is mapped twice`);
    if (used.has(variable)) throw new PluginOptionsError(key, `${variable} is the target of two headers`);
    used.add(variable);
    variables.set(header, variable);
  }
  return variables;
}
