/**
 * Behind an authenticating front proxy (nginx, Apache, oauth2-proxy) that sets Remote-User.
 * Only nginx may assert it: it connects through a unix socket that only its group (www-data) may
 * open; see docs/nginx-remote-user.conf and docs/front-proxy.md.
 */
import { defineConfig } from '@gatehouse/hub';
import { RemoteUserAuthenticator } from '@gatehouse/authenticators';
import { bestAvailableSpawner } from '@gatehouse/spawner';

export default defineConfig({
  ip: '127.0.0.1',
  port: 8000,
  dataDir: './data',
  adminUsers: ['admin'],
  // nginx connects here (proxy_pass http://unix:/run/gatehouse/proxy.sock:); the hub creates the
  // socket 0660 with group www-data. Requests to ip:port can never assert Remote-User.
  frontProxy: { socket: { path: '/run/gatehouse/proxy.sock', mode: 0o660, group: 'www-data' } },
  authenticator: new RemoteUserAuthenticator({ header: 'Remote-User', logoutRedirectUrl: '/logged-out' }),
  spawner: bestAvailableSpawner(),
});
