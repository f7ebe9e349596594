/**
 * A measured stage: a Gatehouse hub with alice logged in through the login form (her
 * `gatehouse-user-session` cookie in hand) and her demo server running, plus an admin API token;
 * and the wrk/WebSocket targets that go through it.
 */
import { demoAppOf, type DemoApp } from './demo-apps.ts';
import { addAccount, loginWithForm, mintAdminToken, mintOwnToken, proxySessionCookie, randomPassword, startGatehouse, startServer, type GatehouseHub, type StartGatehouseOptions } from './gatehouse.ts';
import { API_USER } from './jupyterhub.ts';
import { report, type Target } from './measure.ts';

/** The proxied path every HTTP section loads: a 1 KB answer from the user's demo app. */
export const PING_PATH = `/user/${API_USER}/api/ping`;
export const WS_PATH = `/user/${API_USER}/ws`;
/** The REST API path the API sections load (with an admin token). */
export const USER_MODEL_PATH = `/hub/api/users/${API_USER}`;
export const isPong = (body: string) => body.startsWith('pong\n');
export const isUserModel = (body: string) => body.includes(`"name":"${API_USER}"`) || body.includes(`"name": "${API_USER}"`);

export interface Stage {
  readonly hub: GatehouseHub;
  readonly adminToken: string;
  /** `gatehouse-user-session=…`, as a browser sends it to /user/. */
  readonly cookie: string;
  /** `token …`: alice's own API token, as a script sends it to /user/. */
  readonly userAuthorization: string;
  /** Alice's password (on a local-account hub, a random one the stage gave her account). */
  readonly userPassword: string;
  readonly app: DemoApp;
}

/** Makes a freshly started hub a stage. On a local-account hub alice's account is added first (REST API, admin token). */
export async function stageOn(hub: GatehouseHub): Promise<Stage> {
  const adminToken = await mintAdminToken(hub);
  const userPassword = hub.authenticator === 'local' ? randomPassword() : hub.adminPassword;
  if (hub.authenticator === 'local') await addAccount(hub.baseUrl, adminToken, API_USER, userPassword);
  const cookie = proxySessionCookie((await loginWithForm(hub.baseUrl, API_USER, { password: userPassword })).client);
  const userAuthorization = `token ${await mintOwnToken(hub.baseUrl, API_USER, userPassword)}`;
  await startServer(hub.baseUrl, adminToken, API_USER);
  const app = demoAppOf(hub.port, API_USER);
  if (app === undefined) throw new Error(`${API_USER}'s demo app is ready but was not found in /proc`);
  return { hub, adminToken, cookie, userAuthorization, userPassword, app };
}

/** Starts a hub and makes it a stage. The caller stops `stage.hub`; should it not, `cleanUp()` does. */
export async function prepareStage(options: StartGatehouseOptions): Promise<Stage> {
  return stageOn(await startGatehouse(options));
}

/**
 * Runs `work` on a fresh stage, then stops its hub, also when the stage could not be set up or
 * `work` failed. `leftoverServers`: user servers the hub left running on shutdown (killed since).
 */
export async function withStage<T>(options: StartGatehouseOptions, work: (stage: Stage) => Promise<T>): Promise<{ value: T; leftoverServers: number }> {
  const hub = await startGatehouse(options);
  let value: T;
  let stopped: { leftoverServers: number };
  try {
    value = await work(await stageOn(hub));
  } finally {
    stopped = await hub.stop();
  }
  if (stopped.leftoverServers > 0) report(`WARNING: ${options.name ?? 'a hub'} left ${stopped.leftoverServers} user server(s) running on shutdown; the bench killed them`);
  return { value, leftoverServers: stopped.leftoverServers };
}

/** Alice's own server through the hub, authenticated by her session cookie; CPU charged to the hub and to her demo app. */
export function proxiedTarget(stage: Stage, scheme: 'http' | 'ws', targetPath: string, id = 'gatehouse', label = 'Gatehouse (session cookie)'): Target {
  return {
    id,
    label,
    url: `${scheme}://${new URL(stage.hub.baseUrl).host}${targetPath}`,
    headers: { cookie: stage.cookie },
    cpu: { proxyPgid: stage.hub.child.pid, backendPgid: stage.app.pid },
  };
}

/** The same proxied path authenticated by alice's API token instead of her cookie (scripts, JupyterLab extensions). */
export function proxiedTokenTarget(stage: Stage, targetPath: string): Target {
  return { ...proxiedTarget(stage, 'http', targetPath, 'gatehouse-token', 'Gatehouse (API token)'), headers: { authorization: stage.userAuthorization } };
}

/** The hub's REST API with the admin token; the hub's CPU is the backend's. */
export function apiTarget(stage: Stage, id = 'gatehouse', label = 'Gatehouse'): Target {
  return {
    id,
    label,
    url: `${stage.hub.baseUrl}${USER_MODEL_PATH}`,
    headers: { authorization: `token ${stage.adminToken}` },
    cpu: { backendPgid: stage.hub.child.pid },
  };
}
