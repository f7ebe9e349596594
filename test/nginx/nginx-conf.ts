import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NGINX_USER, RUNS_AS_ROOT } from './nginx-account.ts';

/**
 * The nginx configuration under test: docs/nginx-remote-user.conf, the example admins copy, with the
 * test's values in place and its optional blocks switched on where a test asks; the test-only main
 * context around it; and the basic-auth password file.
 */

const DOC_PATH = path.resolve(import.meta.dirname, '../../docs/nginx-remote-user.conf');
/** The doc's placeholders the test replaces; each must appear exactly once. */
const DOC_LISTEN = 'listen 80;';
const DOC_HTPASSWD = 'auth_basic_user_file /etc/nginx/gatehouse.htpasswd;';
const DOC_UPSTREAM = 'server unix:/run/gatehouse/proxy.sock;';
const DATA_HEADERS_MARK = '# --- Optional: data headers ---';
const GROUPS_HEADER_MARK = '# --- Optional: groups header ---';

/** `text` with `from` replaced by `to`; fails when `from` is not there exactly once (the doc changed). */
export function replaceOnce(text: string, from: string, to: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`expected ${JSON.stringify(from)} once in the nginx conf, found it ${count} times`);
  return text.replace(from, () => to);
}

/** The doc with the test's port, password file and hub socket in place of the example values. */
export function siteConf(site: { listenPort: number; htpasswdPath: string; hubSocket: string }): string {
  let conf = replaceOnce(readFileSync(DOC_PATH, 'utf8'), DOC_LISTEN, `listen 127.0.0.1:${site.listenPort};`);
  conf = replaceOnce(conf, DOC_HTPASSWD, `auth_basic_user_file ${site.htpasswdPath};`);
  return replaceOnce(conf, DOC_UPSTREAM, `server unix:${site.hubSocket};`);
}

/** Uncomments the doc's two "Optional: data headers" blocks (each runs to the next blank line). */
export function enableDataHeaders(conf: string): string {
  return enableOptionalBlocks(conf, DATA_HEADERS_MARK);
}

/** Uncomments the doc's two "Optional: groups header" blocks. */
export function enableGroupsHeader(conf: string): string {
  return enableOptionalBlocks(conf, GROUPS_HEADER_MARK);
}

/** Uncomments the two blocks under `mark` (each runs to the next blank line). */
function enableOptionalBlocks(conf: string, mark: string): string {
  const lines = conf.split('\n');
  let blocks = 0;
  let inBlock = false;
  const out = lines.map((line) => {
    if (line.trim() === mark) {
      blocks += 1;
      inBlock = true;
      return line;
    }
    if (line.trim() === '') inBlock = false;
    return inBlock ? line.replace(/^(\s*)#/, '$1') : line;
  });
  if (blocks !== 2) throw new Error(`expected 2 "${mark}" blocks in the nginx conf, found ${blocks}`);
  return out.join('\n');
}

/** The test-only main context around the site: everything nginx writes stays in `dir`. */
export function mainConf(dir: string, sitePath: string): string {
  // As root, workers run as nginx's own unprivileged user (as on a real server), never as root.
  const user = RUNS_AS_ROOT ? `user ${NGINX_USER} ${NGINX_USER};\n` : '';
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `    ${kind}_temp_path ${dir}/${kind}_temp;`).join('\n');
  return `${user}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
    access_log ${dir}/access.log;
${temp}
    include ${sitePath};
}
`;
}

/** htpasswd lines in Apache's apr1 format; passwords go to openssl on stdin, never on a command line. */
export function htpasswd(users: Readonly<Record<string, string>>): string {
  return Object.entries(users)
    .map(([name, password]) => `${name}:${execFileSync('openssl', ['passwd', '-apr1', '-stdin'], { input: password }).toString().trim()}\n`)
    .join('');
}
