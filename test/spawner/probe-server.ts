import { request } from 'node:http';

/**
 * A stand-in user server that reports what the code of its user can see: GET <prefix>?path=P reads
 * P (a file) or lists it (a directory); `&write=1` tries to write P. No vitest here: the
 * unprivileged-hub fixture runs outside the test runner and uses it too.
 */
const HANDLER = `(q, s) => {
  const fs = require('node:fs');
  const u = new URL(q.url, 'http://server.invalid');
  const target = u.searchParams.get('path');
  const out = { home: process.env.HOME, cwd: process.cwd(), uid: process.getuid() };
  if (target !== null) {
    try {
      out.listing = fs.statSync(target).isDirectory() ? fs.readdirSync(target) : undefined;
      if (out.listing === undefined) out.content = fs.readFileSync(target, 'utf8');
    } catch (error) {
      out.error = error.code;
    }
    if (u.searchParams.has('write')) {
      try {
        fs.writeFileSync(target, 'written by the server');
        out.wrote = true;
      } catch (error) {
        out.writeError = error.code;
      }
    }
  }
  s.setHeader('content-type', 'application/json');
  s.end(JSON.stringify(out));
}`;

/** `node -e` listening on the port of JUPYTERHUB_SERVICE_URL (like helpers.ts inlineServerCommand). */
export function probeServerCommand(node = process.execPath): string[] {
  const script = `const url = new URL(process.env.JUPYTERHUB_SERVICE_URL);
require('node:http').createServer(${HANDLER}).listen(Number(url.port), '127.0.0.1');`;
  return [node, '-e', script];
}

export interface ProbeAnswer {
  readonly home: string;
  readonly cwd: string;
  readonly uid: number;
  readonly listing?: string[];
  readonly content?: string;
  /** errno code of the read or listing, e.g. ENOENT. */
  readonly error?: string;
  readonly wrote?: boolean;
  readonly writeError?: string;
}

/** Asks the server at `port` about `target` (or only about itself). */
export function probe(port: number, prefix: string, target?: string, options: { write?: boolean } = {}): Promise<ProbeAnswer> {
  const query = new URLSearchParams(target === undefined ? {} : { path: target, ...(options.write === true ? { write: '1' } : {}) });
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `${prefix}?${query.toString()}`, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ProbeAnswer);
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}
