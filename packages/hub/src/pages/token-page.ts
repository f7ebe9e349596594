import type { UserRow } from '../db/users.ts';
import type { TokenRow } from '../tokens/token-store.ts';
import { html, layout } from './html.ts';
import { timeTag } from './time-tag.ts';

export interface TokenPageModel {
  readonly user: UserRow;
  readonly xsrfToken: string;
  readonly tokens: readonly TokenRow[];
  /** A token just created: shown once, never again. */
  readonly created?: { token: string; row: TokenRow };
  readonly error?: string;
  /** The hub's clock, for "3 min ago". */
  readonly now: number;
}

/** The expiry the form offers first: long enough for a script someone sets up today. */
const DEFAULT_EXPIRY_SECONDS = 30 * 86400;

/** Scopes as a person reads them; `inherit` is everything its owner may do. */
function scopeText(scopes: readonly string[]): string {
  return scopes.map((scope) => (scope === 'inherit' ? 'everything you can do' : scope)).join(', ');
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
        <div class="copy-row"><pre id="new-token-value">${model.created.token}</pre>
          <button type="button" class="secondary" data-copy="new-token-value">Copy</button></div>
      </section>`
    : '';
  const rows = model.tokens.map(
    (token) => html`<tr>
      <td><code>${token.prefix}…</code></td><td>${token.note ?? ''}</td><td>${scopeText(token.scopes)}</td>
      <td>${timeTag(token.createdAt, model.now, '')}</td><td>${timeTag(token.expiresAt, model.now, 'never')}</td><td>${timeTag(token.lastActivity, model.now, 'never')}</td>
      <td><form method="post" action="/hub/token/${token.id}/revoke" class="inline">
        <input type="hidden" name="_xsrf" value="${model.xsrfToken}">
        <button type="submit" class="danger" aria-label="Revoke token ${token.prefix}">Revoke</button></form></td>
    </tr>`,
  );
  return layout(
    { title: 'Tokens', user: model.user, xsrfToken: model.xsrfToken, scripts: ['confirm.js'] },
    html`${created}
    <section class="card">
      <h1>API tokens</h1>
      <p class="muted">A token acts as you for scripts and tools: <code>Authorization: token …</code>. It may do
        everything you can do (its scope), until it expires or you revoke it.</p>
      ${model.error ? html`<p class="error" role="alert">${model.error}</p>` : ''}
      <form method="post" action="/hub/token">
        <input type="hidden" name="_xsrf" value="${model.xsrfToken}">
        <label for="note">Note</label>
        <input id="note" name="note" type="text" maxlength="1000" placeholder="What is this token for?">
        <label for="expires_in">Expires</label>
        <select id="expires_in" name="expires_in">
          ${TOKEN_EXPIRY_CHOICES.map(([label, seconds]) => html`<option value="${seconds ?? ''}" ${seconds === DEFAULT_EXPIRY_SECONDS ? 'selected' : ''}>${label}</option>`)}
        </select>
        <button type="submit">Create token</button>
      </form>
    </section>
    <section class="card">
      <h2>Your tokens</h2>
      ${model.tokens.length === 0
        ? html`<p class="muted">No tokens yet.</p>`
        : html`<div class="table-scroll"><table><thead><tr><th>Token</th><th>Note</th><th>May do</th><th>Created</th><th>Expires</th><th>Last used</th><th></th></tr></thead>
            <tbody>${rows}</tbody></table></div>`}
    </section>`,
  );
}
