/**
 * Behind an authenticating front proxy (nginx, Apache, oauth2-proxy) that sets Remote-User.
 * Only connections from trustedProxies may assert it; see docs/nginx-remote-user.conf.
 */
import { defineConfig } from '@gatehouse/hub';
import { RemoteUserAuthenticator } from '@gatehouse/authenticators';
import { bestAvailableSpawner } from '@gatehouse/spawner';

export default defineConfig({
  ip: '127.0.0.1',
  port: 8000,
  dataDir: './data',
  adminUsers: ['admin'],
  // nginx's upstream connections come from this address (proxy_bind 127.0.0.2 in the nginx example).
  trustedProxies: ['127.0.0.2/32'],
  authenticator: new RemoteUserAuthenticator({ header: 'Remote-User', logoutRedirectUrl: '/logged-out' }),
  spawner: bestAvailableSpawner(),
});
