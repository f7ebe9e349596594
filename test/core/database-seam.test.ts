import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const hubSource = path.join(root, 'packages/hub/src');
const SQLITE_MODULE = 'db/sqlite.ts';
/** Migrations are SQLite's schema history, run by the SQLite module. */
const SQLITE_SCHEMA = 'db/migrations.ts';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(hubSource, path.join(entry.parentPath, entry.name)));
}

/** A module's code without its comments (which may name what they keep out). */
function code(file: string): string {
  return readFileSync(path.join(hubSource, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|\s)\/\/.*$/gm, '$1');
}

function offenders(pattern: RegExp, allowed: readonly string[]): string[] {
  return sources(hubSource).filter((file) => !allowed.includes(file) && pattern.test(code(file)));
}

describe('the database seam', () => {
  it('reads the hub sources (the walk finds the stores)', () => {
    expect(sources(hubSource)).toEqual(expect.arrayContaining([SQLITE_MODULE, 'db/sessions.ts', 'tokens/token-store.ts', 'servers/server-repository.ts']));
  });

  it('lets only the SQLite implementation import better-sqlite3', () => {
    expect(offenders(/from\s+['"]better-sqlite3['"]|require\(\s*['"]better-sqlite3['"]\s*\)|import\(\s*['"]better-sqlite3['"]\s*\)/, [SQLITE_MODULE])).toEqual([]);
  });

  it('keeps SQLite-only SQL and driver calls (PRAGMA, INSERT OR, busy timeout, VACUUM) inside the SQLite implementation', () => {
    expect(offenders(/\bPRAGMA\b|\.pragma\(|INSERT\s+OR\s|busy_timeout|VACUUM|total_changes|data_version|SqliteError/i, [SQLITE_MODULE, SQLITE_SCHEMA])).toEqual([]);
  });
});
