import { gatehouseError } from '../errors.ts';
import type { UserOptions } from './server-repository.ts';

/**
 * The one gate a start's spawn options (JupyterHub's `user_options`, the JSON body of
 * `POST /hub/api/users/:name/servers/:server`) pass through before they are stored with the server.
 * No profile accepts options yet, so only "none" is valid: no body, or `{}`. Anything else is a 400
 * naming the first key; the value is never passed on unchecked.
 */
export function resolveUserOptions(body: unknown): UserOptions {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw gatehouseError('GATEHOUSE_ERR_INVALID_USER_OPTIONS', 'user options must be a JSON object');
  }
  const [key] = Object.keys(body);
  if (key !== undefined) {
    throw gatehouseError('GATEHOUSE_ERR_INVALID_USER_OPTIONS', `unknown user option ${JSON.stringify(key)}: this hub accepts no user options`);
  }
  return {};
}
