/**
 * Gatehouse's default configuration: what `pnpm start` runs when no --config is given.
 * Copy it, edit it, and start with `gatehouse start --config path/to/hub.config.ts`.
 * Two keys are required: `authenticator` and `spawner` (marked REQUIRED below); every other key is
 * optional and shows its default. Unknown keys are errors (with a "did you mean" for near misses).
 */
import { defineConfig } from '@gatehouse/hub';
import { LocalAuthenticator } from '@gatehouse/authenticators';
import { bestAvailableSpawner } from '@gatehouse/spawner';

export default defineConfig({
  // Address and port the hub listens on. Keep 127.0.0.1 unless a front proxy needs more.
  ip: '127.0.0.1',
  port: 8000,
  // Database, cookie secret and server logs live here (created 0700). Relative to the working directory.
  dataDir: './data',
  // Users who are admins (names as normalised: lower case).
  adminUsers: ['admin'],
  // When non-empty, only these users (and adminUsers) may log in.
  allowedUsers: [],
  // Users who may never log in.
  blockedUsers: [],
  // Who may assert identity headers (Remote-User, data headers) and X-Forwarded-*: nobody unless set.
  // An address proves nothing on one machine (any local user can connect from any 127.x address), so
  // the front proxy proves itself with something only it has (docs/front-proxy.md):
  //   socket: { path: '/run/gatehouse/proxy.sock', mode: 0o660, group: 'www-data' }
  //     nginx on this machine connects to a unix socket only its group may open
  //     (proxy_pass http://unix:/run/gatehouse/proxy.sock:); the hub also keeps listening on ip:port,
  //     where identity headers count for nothing.
  //   secret: { file: '/etc/gatehouse/proxy-secret', header: 'X-Gatehouse-Proxy-Secret', addresses: ['10.0.0.5/32'] }
  //     nginx elsewhere adds the secret (≥ 32 characters, file 0600) to every request; addresses, if
  //     given, restrict where it is accepted from (never loopback).
  frontProxy: {},
  // REQUIRED. Who may log in: local accounts (argon2id) kept in the data dir. On first start the hub prints a
  // one-time link where the first admin (adminUsers[0]) chooses a password; admins then add people with
  // the admin page, the REST API or `gatehouse useradd`. Options: minPasswordLength (8),
  // signup ('closed' | 'approval' | 'open'), throttle ({ maxFailures: 5, windowSeconds: 300, lockoutSeconds: 900 }).
  // Other authenticators: DummyAuthenticator (testing), RemoteUserAuthenticator, RemoteUserLocalAuthenticator,
  // DataRemoteUserAuthenticator (behind nginx/Apache) — see the README and config/examples/.
  authenticator: new LocalAuthenticator({ signup: 'closed' }),
  // REQUIRED. How user servers start: one local process per user. bestAvailableSpawner() picks
  // jupyterhub-singleuser if installed, else `jupyter server`, else the bundled demo app, and the hub
  // says which at start. Use JupyterhubSingleuserSpawner, JupyterServerSpawner or LocalProcessSpawner
  // ({ command, args, env, cwd, portRange, httpTimeout, startTimeout, stopGracePeriod, credential, systemUsers,
  // home, sandbox, sandboxHide }) to choose.
  // Each user's server gets its own HOME, `home` ('<dataDir>/homes/{username}' by default, created 0700), and
  // runs in a bubblewrap sandbox that sees only that home read-write, the system read-only, and not the data
  // dir nor other homes. sandbox: 'auto' (default: on when bwrap works here) | true (required) | false (off:
  // every user's code can then read every other user's files). systemUsers: true (hub as root) runs each
  // server as the system account of the same name instead — the strongest separation.
  // On a Slurm cluster: new SlurmSpawner({ server, partition, account, qos, time, cpus, memory, gres,
  // sbatchArgs, command, args, env, queueTimeout: 3600, startTimeout: 120, pollInterval: 2, hubUrl,
  // nodeHostPattern, serverIp: '0.0.0.0' }) runs each server as a batch job (README: "On a Slurm cluster").
  spawner: bestAvailableSpawner({ portRange: [20000, 29999], sandbox: 'auto' }),
  // Sliding idle expiry and absolute maximum of a login session, in seconds.
  session: { idleTimeout: 24 * 60 * 60, maxAge: 14 * 24 * 60 * 60 },
  // 'auto': Secure cookies unless the hub serves plain HTTP on loopback; or force true/false.
  cookieSecure: 'auto',
  // Whether admins may open other users' servers.
  adminAccess: false,
  // How many servers may be starting at once (429 with Retry-After beyond), and running at once (0: no limit).
  concurrentSpawnLimit: 100,
  activeServerLimit: 0,
  // Seconds between checks that running servers are alive (a dead one loses its route within this).
  serverPollInterval: 2,
  // A running server that gives no HTTP answer to the poll's GET of <prefix>api for this many seconds (two
  // probes in a row at least) is taken for frozen and stopped, so its route goes and the user can start
  // it again. 0: never.
  serverUnresponsiveTimeout: 30,
  // Proxied requests: seconds to wait for a user server's response headers before answering 504 (a long
  // poll must answer within it), and seconds of silence allowed between response body chunks before the
  // connection is cut (an event stream must send something, e.g. a comment line, at least this often).
  // 0: no limit. A frozen server is caught sooner by serverUnresponsiveTimeout.
  proxyTimeouts: { headers: 300, idle: 900 },
  // Bytes of server output kept per user (older output rotates to <user>.log.1).
  serverLogMaxBytes: 1048576,
  // Stop all user servers when the hub shuts down (false: they keep running and the hub re-attaches).
  stopServersOnShutdown: false,
  // Client connections: seconds to send a request's headers (408 after), connections open at once (beyond it
  // the oldest one serving no request is closed, so slow clients cannot use up file descriptors), and seconds
  // a shutdown waits for requests in flight (each is answered with Connection: close; idle ones close at once).
  http: { headersTimeout: 20, maxConnections: 4096, shutdownGrace: 5 },
  // Prometheus metrics at /hub/metrics (false: no endpoint, no instrumentation at all).
  metrics: true,
  // Serve /hub/metrics without authentication; otherwise it needs an admin session or token.
  metricsPublic: false,
  // Who must use a TOTP second factor after the password or the proxy's header: 'nobody' (anyone may
  // opt in on their account page), 'admins' or 'everyone'. issuer: the name authenticator apps show.
  totp: { requiredFor: 'nobody', issuer: 'Gatehouse' },
  // nginx auth_request (GET /hub/auth, docs/nginx-auth-request.conf): paths of other apps on this host
  // that get the opt-in gatehouse-auth cookie at sign-in. Empty: no such cookie (tokens still work).
  authRequest: { cookiePaths: [] },
  logLevel: 'info',
});
