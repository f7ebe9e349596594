import type { z } from 'zod';
import { unknownKeyProblem } from './did-you-mean.ts';

/**
 * Config problems in one wording, whoever found them: `key.path: expected …, got …`. The schema's own
 * messages are written that way; `plainWording` gives zod's built-in checks the same voice, and
 * unknown keys get a "did you mean" from the keys the schema knows at that place.
 */

/** Keys the schema accepts only to explain that they are gone: never offered as a suggestion. */
const RETIRED_KEYS = new Set(['trustedProxies']);

/** Per-parse error map: used only where the schema gave no message of its own. */
export function plainWording(issue: z.core.$ZodRawIssue): string | undefined {
  const got = `got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${kindName(String(issue.expected))}, ${got}`;
    case 'invalid_value':
      return `expected ${orList(issue.values.map((value) => JSON.stringify(value)))}, ${got}`;
    case 'too_small':
      return issue.origin === 'number' || issue.origin === 'int' ? `expected ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}, ${got}` : `must not be empty`;
    case 'too_big':
      return issue.origin === 'number' || issue.origin === 'int' ? `expected ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}, ${got}` : `is too long (at most ${String(issue.maximum)})`;
    case 'invalid_union':
      return `expected ${orList(issue.errors.flatMap((branch) => branch.map(expectedPart)))}, ${got}`;
    case 'invalid_format':
      return `expected ${issue.format}, ${got}`;
    default:
      return undefined;
  }
}

function expectedPart(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return orList(issue.values.map((value) => JSON.stringify(value)));
  if (issue.code === 'invalid_type') return kindName(String(issue.expected));
  return issue.message;
}

function kindName(expected: string): string {
  const names: Record<string, string> = { int: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', array: 'a list [ … ]', object: 'an object { … }' };
  return names[expected] ?? expected;
}

function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? 'something else') : `${items.slice(0, -1).join(', ')} or ${items.at(-1) as string}`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
}

/** One line per problem, each starting with the full key path: `spawner.portRange: expected [min, max]`. */
export function formatConfigIssues(issues: readonly z.core.$ZodIssue[], input: unknown, schema: z.ZodType): string[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path).filter((key) => !RETIRED_KEYS.has(key));
      return issue.keys.map((key) => `${[...path, key].join('.')}: ${unknownKeyProblem(key, known)}`);
    }
    const where = path.length > 0 ? path.join('.') : '(config)';
    const missing = path.length > 0 && valueAt(input, path) === undefined;
    return [`${where}: ${missing ? 'is required' : issue.message}`];
  });
}

/** The keys an object schema accepts at `path` (through defaults and optionals). */
export function knownKeysAt(schema: z.ZodType, path: readonly string[]): string[] {
  let current: unknown = schema;
  for (const key of [...path, '']) {
    let def = defOf(current);
    while (def !== undefined && def.innerType !== undefined) def = defOf(def.innerType);
    if (def?.type !== 'object' || def.shape === undefined) return [];
    if (key === '') return Object.keys(def.shape);
    current = def.shape[key];
  }
  return [];
}

interface SchemaDef {
  readonly type?: string;
  readonly innerType?: unknown;
  readonly shape?: Record<string, unknown>;
}

function defOf(schema: unknown): SchemaDef | undefined {
  return (schema as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
