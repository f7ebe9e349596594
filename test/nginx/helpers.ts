/**
 * A real nginx in front of a real hub, configured from docs/nginx-remote-user.conf so that the
 * example admins copy is the one under test. nginx's workers run as their own unprivileged user
 * (NGINX_USER when the suite runs as root) and reach the hub through the front-proxy unix socket,
 * which the hub creates 0660 with that user's group; an attacker who skips nginx connects over TCP
 * (from ATTACKER_ADDRESS, or as another OS user). Every nginx started here is stopped by stopEveryNginx().
 *
 * The tests import from here; each part is a module of its own:
 *   nginx-conf.ts        the site conf from the doc, the main context around it, the password file
 *   nginx-process.ts     starting nginx, and stopping every nginx a file started
 *   hub-behind-nginx.ts  the hub on its front-proxy socket, with nginx in front, per test file
 *   browsers.ts          browsers signed in through nginx; a server started and stopped through it
 *   wire.ts              requests with header lines exactly as given, and what the answers show
 *   nginx-account.ts     the account nginx's workers run as
 */
export { basicAuth, browserVia, signIn, withServer, xsrfOf } from './browsers.ts';
export { hubSocketPath, socketFrontProxy, useHubBehindNginx, type HubBehindNginx } from './hub-behind-nginx.ts';
export { NGINX_USER } from './nginx-account.ts';
export { enableDataHeaders, enableGroupsHeader, replaceOnce } from './nginx-conf.ts';
export { startNginx, startNginxSite, stopEveryNginx, type RunningNginx } from './nginx-process.ts';
export {
  ATTACKER_ADDRESS,
  cookiesFrom,
  demoHello,
  sameHeader,
  send,
  SERVER_TOKEN_SHOWN,
  SESSION_COOKIE,
  startsSession,
  type HeaderLine,
  type SentResponse,
} from './wire.ts';
