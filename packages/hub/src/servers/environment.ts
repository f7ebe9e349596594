/**
 * The JupyterHub-named environment a spawned server receives, so existing single-user servers work
 * unchanged (docs/jupyterhub-singleuser.md §1: what jupyterhub-singleuser reads).
 */
export interface ServerEnvironmentInput {
  readonly username: string;
  /** '' for the default server. */
  readonly serverName: string;
  readonly apiToken: string;
  /** `http://127.0.0.1:<hub port>/hub/api` — no trailing slash. */
  readonly hubApiUrl: string;
  readonly port: number;
  readonly adminAccess: boolean;
  /** From the authenticator's user data mapping (DataRemoteUserAuthenticator). */
  readonly extra?: Readonly<Record<string, string>>;
}

/** `/user/alice/` for the default server, `/user/alice/lab/` for the named server `lab`. */
export function servicePrefix(username: string, serverName = ''): string {
  return `/user/${encodeURIComponent(username)}/${serverName === '' ? '' : `${encodeURIComponent(serverName)}/`}`;
}

/** Where a server's start progress is streamed (JupyterHub's progress_url). */
export function progressUrl(username: string, serverName = ''): string {
  const user = encodeURIComponent(username);
  return serverName === '' ? `/hub/api/users/${user}/server/progress` : `/hub/api/users/${user}/servers/${encodeURIComponent(serverName)}/progress`;
}

/**
 * One OAuth client per server: `jupyterhub-user-alice` for the default server,
 * `jupyterhub-user-alice+lab` for a named one. A raw '+' never occurs in an encoded name, so no two
 * servers share an id (JupyterHub's '-' lets user `a-b` collide with user `a`'s server `b`); and
 * jupyterhub-singleuser names its cookie after the id, where '/' would be refused.
 */
export function oauthClientId(username: string, serverName = ''): string {
  return `jupyterhub-user-${encodeURIComponent(username)}${serverName === '' ? '' : `+${encodeURIComponent(serverName)}`}`;
}

export function oauthCallbackPath(username: string, serverName = ''): string {
  return `${servicePrefix(username, serverName)}oauth_callback`;
}

/** Scopes a server's OAuth tokens carry: only this server and this user (never other servers' filters). */
export function serverAccessScopes(username: string, serverName = ''): string[] {
  return [`access:servers!server=${username}/${serverName}`, `access:servers!user=${username}`];
}

export function serverEnvironment(input: ServerEnvironmentInput): Record<string, string> {
  const prefix = servicePrefix(input.username, input.serverName);
  const scopes = JSON.stringify(serverAccessScopes(input.username, input.serverName));
  return {
    ...input.extra,
    JUPYTERHUB_USER: input.username,
    JUPYTERHUB_API_TOKEN: input.apiToken,
    JPY_API_TOKEN: input.apiToken,
    JUPYTERHUB_API_URL: input.hubApiUrl,
    JUPYTERHUB_BASE_URL: '/',
    JUPYTERHUB_SERVICE_PREFIX: prefix,
    JUPYTERHUB_SERVICE_URL: `http://127.0.0.1:${input.port}${prefix}`,
    JUPYTERHUB_CLIENT_ID: oauthClientId(input.username, input.serverName),
    JUPYTERHUB_OAUTH_CALLBACK_URL: oauthCallbackPath(input.username, input.serverName),
    JUPYTERHUB_OAUTH_ACCESS_SCOPES: scopes,
    JUPYTERHUB_OAUTH_SCOPES: scopes,
    JUPYTERHUB_ACTIVITY_URL: `${input.hubApiUrl}/users/${encodeURIComponent(input.username)}/activity`,
    JUPYTERHUB_SERVER_NAME: input.serverName,
    JUPYTERHUB_HOST: '',
    JUPYTERHUB_ADMIN_ACCESS: input.adminAccess ? '1' : '0',
  };
}
