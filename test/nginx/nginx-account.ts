import { execFileSync } from 'node:child_process';

/** nginx's workers' account and group when the suite runs as root (Debian's nginx uses it too). */
export const NGINX_USER = 'www-data';
/** As root, nginx's workers run as NGINX_USER (as on a real server); otherwise as the suite's own user. */
export const RUNS_AS_ROOT = process.getuid?.() === 0;

/** The group id of NGINX_USER. */
export function nginxGid(): number {
  return Number(execFileSync('getent', ['group', NGINX_USER], { encoding: 'utf8' }).split(':')[2]);
}
