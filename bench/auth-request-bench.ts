/**
 * Section `auth`: `GET /hub/auth` as nginx's auth_request asks it, on a hub of its own with
 * `authRequest.cookiePaths`: with the opt-in `gatehouse-auth` cookie a browser sends to a protected
 * path (the common case), and with an API token. The hub's CPU is charged as the backend's.
 */
import { loginWithForm } from './gatehouse.ts';
import { API_USER } from './jupyterhub.ts';
import { measureHttp, type HttpResult, type Measurement, type Settings, type Target } from './measure.ts';
import { withStage } from './stage.ts';

export const AUTH_REQUEST_PATH = '/hub/auth';
/** The protected path the bench's hub issues the cookie for (nginx would send X-Original-URI under it). */
const PROTECTED_PATH = '/app/';

export interface AuthRequestBenchOptions {
  readonly portRange: readonly [number, number];
}

export async function runAuthRequestBench(wrk: string, settings: Settings, options: AuthRequestBenchOptions): Promise<Measurement<HttpResult>[]> {
  const extraConfig = { authRequest: { cookiePaths: [PROTECTED_PATH] } };
  const { value } = await withStage({ portRange: options.portRange, name: 'gatehouse (auth_request)', extraConfig }, async (stage) => {
    const { client } = await loginWithForm(stage.hub.baseUrl, API_USER);
    const cookie = client.cookie('gatehouse-auth', PROTECTED_PATH);
    if (cookie === undefined) throw new Error(`login did not set the gatehouse-auth cookie for ${PROTECTED_PATH}`);
    const url = `${stage.hub.baseUrl}${AUTH_REQUEST_PATH}`;
    const cpu = { backendPgid: stage.hub.child.pid };
    const targets: Target[] = [
      { id: 'auth-cookie', label: 'GET /hub/auth, gatehouse-auth cookie', url, headers: { cookie: `${cookie.name}=${cookie.value}`, 'x-original-uri': `${PROTECTED_PATH}page` }, cpu },
      { id: 'auth-token', label: 'GET /hub/auth, API token', url, headers: { authorization: `token ${stage.adminToken}`, 'x-original-uri': `${PROTECTED_PATH}page` }, cpu },
    ];
    // 200 with an empty body: the verdict is the status (expectAnswer requires 200).
    return measureHttp(wrk, settings, targets, (body) => body === '');
  });
  return value;
}
