import { spawn } from 'node:child_process';

/**
 * Requests made by another OS user on the same machine — `nobody`, with no supplementary groups —
 * as an attacker sharing the hub's machine would make them. Needs root to switch user.
 */

export const canSwitchUser = process.getuid?.() === 0;
const NOBODY = 65534;

export type HeaderLine = readonly [string, string];

export interface OtherUserRequest {
  /** `http://127.0.0.1:PORT/path`, or with socketPath just the path's URL on any host. */
  readonly url: string;
  readonly socketPath?: string;
  readonly localAddress?: string;
  readonly headers?: readonly HeaderLine[];
}

export type OtherUserResult =
  | { readonly status: number; readonly setCookies: string[]; readonly body: string }
  | { readonly error: string };

// Runs inside the child (as nobody): one request, the outcome as JSON on stdout.
const CHILD = `
const http = require('node:http');
const o = JSON.parse(process.argv[1]);
const u = new URL(o.url);
const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, socketPath: o.socketPath,
  localAddress: o.localAddress, headers: [['Host', u.host], ['Connection', 'close'], ...o.headers].flat(), timeout: 10000 }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (c) => (body += c));
  res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, setCookies: res.headers['set-cookie'] || [], body })));
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', (e) => console.log(JSON.stringify({ error: e.code || e.message })));
req.end();
`;

/** One HTTP request sent by a process running as `nobody`; connection errors come back as `{ error: 'EACCES' }` etc. */
export function requestAsNobody(request: OtherUserRequest): Promise<OtherUserResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD, JSON.stringify({ headers: [], ...request })], {
      uid: NOBODY,
      gid: NOBODY,
      cwd: '/',
      env: { PATH: '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`the request as nobody failed (${code}): ${err}`));
      resolve(JSON.parse(out) as OtherUserResult);
    });
  });
}
