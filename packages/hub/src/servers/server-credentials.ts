import type { OAuthStore } from '../oauth/oauth-store.ts';
import type { SecretBox } from '../secret-box.ts';
import type { TokenStore } from '../tokens/token-store.ts';
import { oauthCallbackPath, oauthClientId } from './environment.ts';

/** The credentials of one server start: its API token in the clear (for the spawner) and sealed (for the record). */
export interface IssuedCredentials {
  readonly token: string;
  readonly sealedToken: string;
}

/**
 * What a server proves itself with, one set per server (user, serverName): its API token
 * (JUPYTERHUB_API_TOKEN, scoped to this server and its user) and its OAuth client, whose secret is
 * that token (as jupyterhub-singleuser expects). Issued fresh at each start, revoked when the
 * server is gone; another server of the same user is never touched.
 */
export class ServerCredentials {
  readonly #tokens: TokenStore;
  readonly #oauth: OAuthStore;
  readonly #box: SecretBox;

  constructor(tokens: TokenStore, oauth: OAuthStore, box: SecretBox) {
    this.#tokens = tokens;
    this.#oauth = oauth;
    this.#box = box;
  }

  /** A new token and OAuth client for a server about to start; whatever that server held before is revoked. */
  issue(user: { readonly id: number; readonly name: string }, serverName: string): IssuedCredentials {
    this.#tokens.revokeAllFor(user.id, ['server'], serverName);
    const { token } = this.#tokens.mint({
      userId: user.id,
      kind: 'server',
      serverName,
      scopes: [`users:activity!user=${user.name}`, `access:servers!server=${user.name}/${serverName}`, `read:users!user=${user.name}`],
      note: serverName === '' ? 'server token' : `server token: ${serverName}`,
    });
    this.#oauth.registerClient({ id: oauthClientId(user.name, serverName), userId: user.id, serverName, redirectUri: oauthCallbackPath(user.name, serverName) }, token);
    return { token, sealedToken: this.#box.seal(token) };
  }

  /** The token of a server recorded before a hub restart (the proxy injects it for `token-header` servers); undefined if unreadable. */
  open(sealedToken: string): string | undefined {
    return this.#box.open(sealedToken);
  }

  /** The server is gone: its token and OAuth client stop working. */
  revoke(user: { readonly id: number; readonly name: string }, serverName: string): void {
    this.#tokens.revokeAllFor(user.id, ['server'], serverName);
    this.#oauth.removeClient(oauthClientId(user.name, serverName));
  }
}
