import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, gatehouseError, type ErrorCode } from '../../packages/hub/src/errors.ts';

/**
 * The code table (packages/hub/src/errors.ts) against the source and the docs: every code is
 * raised somewhere, every code the docs or tests name exists, and what each may show a client.
 */

const repoRoot = path.resolve(import.meta.dirname, '../..');
const CODE = /GATEHOUSE_ERR_[A-Z_]+/g;

function filesBelow(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && extensions.some((extension) => entry.name.endsWith(extension)))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !file.includes(`${path.sep}node_modules${path.sep}`));
}

const sourceFiles = readdirSync(path.join(repoRoot, 'packages'))
  .flatMap((name) => filesBelow(path.join(repoRoot, 'packages', name, 'src'), ['.ts', '.mjs']));

/**
 * Codes used as values in the source: a quoted literal that is not only compared against
 * (`error.code === '…'` reads a code, it raises nothing). The table's own keys are not quoted.
 */
function raisedCodes(): Set<string> {
  const raised = new Set<string>();
  for (const file of sourceFiles) {
    for (const match of readFileSync(file, 'utf8').matchAll(/(===\s*|!==\s*)?'(GATEHOUSE_ERR_[A-Z_]+)'/g)) {
      if (match[1] === undefined) raised.add(match[2] as string);
    }
  }
  return raised;
}

describe('error codes', () => {
  const listed = Object.keys(ERROR_CODES) as ErrorCode[];

  it('every listed code is raised somewhere in the source', () => {
    const raised = raisedCodes();
    expect(listed.filter((code) => !raised.has(code))).toEqual([]);
  });

  it('every code the source, the docs and the tests name is listed', () => {
    const files = [
      ...sourceFiles,
      path.join(repoRoot, 'README.md'),
      ...filesBelow(path.join(repoRoot, 'docs'), ['.md']),
      ...filesBelow(path.join(repoRoot, 'packages'), ['README.md']),
      ...filesBelow(path.join(repoRoot, 'test'), ['.ts']),
    ];
    const unknown = new Set<string>();
    for (const file of files) {
      for (const [code] of readFileSync(file, 'utf8').matchAll(CODE)) if (!(code in ERROR_CODES)) unknown.add(`${code} (${path.relative(repoRoot, file)})`);
    }
    expect([...unknown]).toEqual([]);
  });

  it('every 4xx may show its message; a 5xx only when written for the person', () => {
    for (const code of listed) if (ERROR_CODES[code].status < 500) expect(ERROR_CODES[code].expose, code).toBe(true);
    const exposed5xx = listed.filter((code) => ERROR_CODES[code].status >= 500 && ERROR_CODES[code].expose);
    expect(exposed5xx.sort()).toEqual(['GATEHOUSE_ERR_PROXY_TIMEOUT', 'GATEHOUSE_ERR_PROXY_UPSTREAM', 'GATEHOUSE_ERR_SERVER_NOT_RUNNING']);
  });

  it("an error's public message is its own when exposed, the table's otherwise", () => {
    expect(gatehouseError('GATEHOUSE_ERR_SERVER_NOT_RUNNING', "alice's server is not running.").publicMessage).toBe("alice's server is not running.");
    expect(gatehouseError('GATEHOUSE_ERR_INTERNAL', 'disk /dev/sda1 failed').publicMessage).toBe('Internal server error');
    expect(gatehouseError('GATEHOUSE_ERR_DATABASE_BUSY', 'locked by pid 4242').publicMessage).toBe(ERROR_CODES.GATEHOUSE_ERR_DATABASE_BUSY.message);
  });
});
