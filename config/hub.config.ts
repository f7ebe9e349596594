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
  // Groups (managed on the admin page at /hub/admin/groups, with JupyterHub's /hub/api/groups, or set at
  // each login by a header authenticator's groupsHeader). When allowedGroups is non-empty, only members of
  // these groups (and allowedUsers, and admins) may log in; others are told they are in no allowed group.
  allowedGroups: [],
  // Members of these groups are admins (as if listed in adminUsers: judged at login, raised then, never lowered).
  adminGroups: [],
  // What people choose when they start a server (JupyterHub's profiles / user_options). Empty: no choice.
  // Each profile: slug (the value of `profile` in user options), displayName, description; what it changes
  // for the spawner: command (replaces), args (replace), env (merged over spawner.env), cwd (replaces), and
  // resources (for a batch scheduler; the local spawner ignores them); choices, each { displayName,
  // options: { value: { displayName, args?, env?, resources? } }, default } whose chosen option's args are
  // appended and env/resources merged; and groups whose members may use it (empty: everyone). The first
  // profile a person may use is the default. With more than one profile or any choice, the start button
  // shows a form, preselected with the person's last choice. The API takes the same as the start body:
  //   POST /hub/api/users/alice/server  {"profile": "big", "cpus": "2"}
  // An unknown key or a value outside a choice's options is a 400 naming the key.
  // Example:
  //   profiles: [
  //     { slug: 'small', displayName: 'Small', description: 'One core' },
  //     { slug: 'big', displayName: 'Big', description: 'For the staff group', groups: ['staff'],
  //       env: { OMP_NUM_THREADS: '4' },
  //       choices: { cpus: { displayName: 'CPUs', default: '2', options: {
  //         '2': { displayName: '2 CPUs', resources: { cpus: 2 } }, '4': { displayName: '4 CPUs', resources: { cpus: 4 } } } } } },
  //   ],
  profiles: [],
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
  // How many servers may be starting at once; more starts wait in line, first come first served, each
  // person's progress telling their place (startTimeout counts from their turn); spawnQueueLimit: how many
  // may wait (0: none) — beyond, 429 with Retry-After. activeServerLimit: servers starting, waiting or
  // running at once (0: no limit).
  concurrentSpawnLimit: 100,
  spawnQueueLimit: 1000,
  activeServerLimit: 0,
  // JupyterHub's named servers: besides the default server at /user/<name>/, each user may create servers
  // with a name, each at /user/<name>/<server>/ with its own process, token and log (API:
  // POST|DELETE /hub/api/users/<name>/servers/<server>; the home page lists them). Names are 1–63 letters,
  // digits, '.', '_' or '-', starting with a letter or digit. limitPerUser: how many named servers (running or
  // not) a user may have; 0: no limit. A running named server takes over /user/<name>/<server>/ from the
  // default server, so do not name one after a path of your default server (e.g. 'lab', 'api').
  namedServers: { enabled: false, limitPerUser: 0 },
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
  // Bytes of output kept per server (the spawner rotates older output, e.g. to <dataDir>/logs/<user>.log.1).
  serverLogMaxBytes: 1048576,
  // Stop all user servers when the hub shuts down (false: they keep running and the hub re-attaches).
  stopServersOnShutdown: false,
  // The idle culler (jupyterhub-idle-culler's options, camelCase; all times in seconds, 0: off). Off by default.
  //   timeout: stop a server with no activity for this long. Activity is a request through the proxy, a
  //     message the browser sends on a proxied WebSocket (not the connection itself, nor pings), or the
  //     server's own report (jupyterhub-singleuser reports kernel and terminal activity; the hub sets its
  //     JUPYTERHUB_ACTIVITY_INTERVAL to a third of the shortest timeout, at most 300). See the README.
  //   every: seconds between sweeps (0: half the shortest timeout/maxAge, 1 to 300).
  //   maxAge: stop a server this long after it started, active or not.
  //   users: also delete users idle for timeout (or created maxAge ago) whose servers are all stopped;
  //     adminUsers: false spares admins from that.
  //   namedServers: whether named servers are culled for idleness; removeNamedServers: remove them too.
  //   concurrency: stops in flight at once. dryRun: log and count what would be culled, stop nothing.
  //   groups / profiles: { name: { timeout, maxAge } } overrides. A server's profile override wins;
  //     otherwise a user in several groups gets the longest of their groups' values (0 = never wins);
  //     otherwise the top-level value. Each key separately.
  // Each cull is logged with its reason, counted in gatehouse_culls_total, and listed on the admin page;
  // the home page says when an idle server will be stopped.
  cull: {
    timeout: 0, every: 0, maxAge: 0, users: false, adminUsers: true, namedServers: true, removeNamedServers: false,
    concurrency: 10, dryRun: false, groups: {}, profiles: {},
  },
  // External services (JupyterHub's `services`): programs that call the REST API with a token of their own
  // and exactly these scopes (as for users' tokens, with !user= / !server= filters; no self, no inherit),
  // e.g. an external culler or a dashboard with least privilege:
  //   { name: 'culler', apiToken: { env: 'CULLER_TOKEN' }, scopes: ['read:users', 'admin:servers'] }
  //   { name: 'alice-stopper', apiToken: { file: '/etc/gatehouse/stopper.token' }, scopes: ['admin:servers!user=alice'] }
  // The token (≥ 32 characters; a file must be 0600) is read at start and kept only as its SHA-256.
  // GET /hub/api/services lists them. Services use the API only; the proxy does not take their tokens.
  services: [],
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
