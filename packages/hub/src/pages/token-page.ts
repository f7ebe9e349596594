import type { UserRow } from '../db/users.ts';
import type { TokenRow } from '../tokens/token-store.ts';
import { html, layout } from './html.ts';

export interface TokenPageModel {
  readonly user: UserRow;
  readonly xsrfToken: string;
  readonly tokens: readonly TokenRow[];
  /** A token just created: shown once, never again. */
  readonly created?: { token: string; row: TokenRow };
  readonly error?: string;
}

export const TOKEN_EXPIRY_CHOICES: ReadonlyArray<readonly [string, number | null]> = [
  ['1 hour', 3600],
  ['1 day', 86400],
  ['1 week', 7 * 86400],
  ['30 days', 30 * 86400],
  ['Never', null],
];

export function renderTokenPage(model: TokenPageModel): string {
  const created = model.created
    ? html`<section class="card" aria-labelledby="new-token">
        <h2 id="new-token">Your new token</h2>
        <p>Copy it now: it will not be shown again.</p>
        <pre id="new-token-value">${model.created.token}</pre>
      </section>`
    : '';
  const rows = model.tokens.map(
    (token) => html`<tr>
      <td><code>${token.prefix}…</code></td><td>${token.note ?? ''}</td><td>${token.scopes.join(' ')}</td>
      <td>${token.createdAt}</td><td>${token.expiresAt ?? 'never'}</td><td>${token.lastActivity ?? 'never'}</td>
      <td><form method="post" action="/hub/token/${token.id}/revoke" class="inline">
        <input type="hidden" name="_xsrf" value="${model.xsrfToken}">
        <button type="submit" class="danger" aria-label="Revoke token ${token.prefix}">Revoke</button></form></td>
    </tr>`,
  );
  return layout(
    { title: 'Tokens', user: model.user, xsrfToken: model.xsrfToken },
    html`${created}
    <section class="card">
      <h1>API tokens</h1>
      <p class="muted">A token acts as you for scripts and tools: <code>Authorization: token …</code>.</p>
      ${model.error ? html`<p class="error" role="alert">${model.error}</p>` : ''}
      <form method="post" action="/hub/token">
        <input type="hidden" name="_xsrf" value="${model.xsrfToken}">
        <label for="note">Note</label>
        <input id="note" name="note" type="text" maxlength="1000" placeholder="What is this token for?">
        <label for="expires_in">Expires</label>
        <select id="expires_in" name="expires_in">
          ${TOKEN_EXPIRY_CHOICES.map(([label, seconds]) => html`<option value="${seconds ?? ''}">${label}</option>`)}
        </select>
        <button type="submit">Create token</button>
      </form>
    </section>
    <section class="card">
      <h2>Your tokens</h2>
      ${model.tokens.length === 0
        ? html`<p class="muted">No tokens yet.</p>`
        : html`<table><thead><tr><th>Token</th><th>Note</th><th>Scopes</th><th>Created</th><th>Expires</th><th>Last used</th><th></th></tr></thead>
            <tbody>${rows}</tbody></table>`}
    </section>`,
  );
}
