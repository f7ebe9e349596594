import { gatehouseError } from '../errors.ts';

/**
 * Names of named servers. JupyterHub only forbids '/'; Gatehouse keeps names to what reads well in a
 * URL, a log file name and a page without escaping: 1–63 letters, digits, '.', '_' or '-', starting
 * with a letter or a digit. '' is the default server and is never a name one creates.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const SERVER_NAME_RULE = "1–63 characters: letters, digits, '.', '_' and '-', starting with a letter or digit (no '/')";

/** Throws a 400 naming the rule when `name` is not a valid server name. */
export function requireValidServerName(name: string): void {
  if (!NAME.test(name)) {
    throw gatehouseError('GATEHOUSE_ERR_INVALID_SERVER_NAME', `Invalid server name ${JSON.stringify(name)}: a server name is ${SERVER_NAME_RULE}.`);
  }
}

/** "alice's server" or "alice's server lab", for messages. */
export function serverLabel(username: string, serverName: string): string {
  return serverName === '' ? `${username}'s server` : `${username}'s server ${serverName}`;
}
