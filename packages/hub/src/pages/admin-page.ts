import type { CullRecord } from '../culler/culler.ts';
import { recentCullsCard } from './cull-notices.ts';
import type { AccountRecord } from '@gatehouse/authenticators';
import type { ServerIsolation } from '@gatehouse/spawner';
import type { UserRow } from '../db/users.ts';
import type { ServerState } from '../servers/manager.ts';
import { html, layout, type SafeHtml } from './html.ts';
import { serverControls, stateLabel } from './server-pages.ts';
import { timeTag } from './time-tag.ts';

/** What an action left for the next view of the page (post/redirect/get). */
export interface AdminFlash {
  readonly error?: string;
  /** A refused add: what was typed, and why, shown beside the field. */
  readonly addUser?: { readonly username: string; readonly admin: boolean; readonly error: string };
  /** A one-time setup link just made: shown once. */
  readonly setupLink?: { readonly user: string; readonly url: string };
}

export interface AdminUserRow {
  readonly user: UserRow;
  readonly account: AccountRecord | undefined;
  readonly serverState: ServerState;
  /** The user has an active TOTP second factor. */
  readonly secondFactor: boolean;
  /** The viewer may open this user's server (auth/server-access.ts): else no link to it is shown. */
  readonly mayOpen: boolean;
}

export interface AdminPageModel {
  readonly viewer: UserRow;
  readonly xsrfToken: string;
  readonly rows: readonly AdminUserRow[];
  readonly pendingSignups: readonly AccountRecord[];
  readonly query: string;
  readonly offset: number;
  readonly pageSize: number;
  readonly total: number;
  readonly counts: { users: number; running: number; pending: number };
  readonly usesPasswords: boolean;
  /** How the spawner keeps servers apart (undefined: a spawner that does not say). */
  readonly isolation?: ServerIsolation | undefined;
  readonly notice?: string | undefined;
  readonly flash: AdminFlash;
  /** The idle culler's last culls (shown when culling is on or has culled). */
  readonly culls?: { readonly enabled: boolean; readonly recent: readonly CullRecord[] };
  /** The hub's clock, for "3 min ago". */
  readonly now: number;
}

function plural(count: number, one: string, many: string): string {
  return count === 1 ? one : many;
}

function hidden(xsrfToken: string): SafeHtml {
  return html`<input type="hidden" name="_xsrf" value="${xsrfToken}">`;
}

function userActions(model: AdminPageModel, row: AdminUserRow): SafeHtml {
  const name = row.user.name;
  const enc = encodeURIComponent(name);
  const self = name === model.viewer.name;
  return html`<details><summary>Manage <span class="visually-hidden">${name}</span></summary>
    ${serverControls({ owner: name, serverName: '' }, row.serverState, model.xsrfToken, row.mayOpen)}
    <p><a href="/hub/admin/users/${enc}/log">Recent server log</a></p>
    ${self ? '' : html`<form method="post" action="/hub/admin/users/${enc}/admin" class="inline">${hidden(model.xsrfToken)}
        <input type="hidden" name="admin" value="${row.user.admin ? '0' : '1'}">
        <button type="submit" class="secondary">${row.user.admin ? 'Remove admin' : 'Make admin'}</button></form>`}
    <form method="post" action="/hub/admin/users/${enc}/revoke" class="inline">${hidden(model.xsrfToken)}
      <button type="submit" class="secondary">Revoke sessions and tokens</button></form>
    ${model.usesPasswords && row.account !== undefined
      ? html`<form method="post" action="/hub/admin/users/${enc}/password">${hidden(model.xsrfToken)}
          <label for="reset-${enc}">New password for ${name}</label>
          <input id="reset-${enc}" name="password" type="password" autocomplete="new-password" required>
          <button type="submit" class="secondary">Reset password</button></form>
        <form method="post" action="/hub/admin/users/${enc}/setup-link" class="inline">${hidden(model.xsrfToken)}
          <button type="submit" class="secondary">New setup link</button></form>
        <form method="post" action="/hub/admin/users/${enc}/unlock" class="inline">${hidden(model.xsrfToken)}
          <button type="submit" class="secondary">Lift login lock</button></form>`
      : ''}
    ${row.secondFactor
      ? html`<form method="post" action="/hub/admin/users/${enc}/totp-reset" class="inline">${hidden(model.xsrfToken)}
          <button type="submit" class="secondary">Reset second factor</button></form>`
      : ''}
    ${self ? '' : html`<form method="post" action="/hub/admin/users/${enc}/delete" class="inline" data-confirm="Delete ${name}, their account, sessions and tokens? This cannot be undone.">${hidden(model.xsrfToken)}
        <button type="submit" class="danger">Delete ${name}</button></form>`}
  </details>`;
}

/** Said on every visit while servers share one OS account without a sandbox: an admin must not miss it. */
function isolationNotice(isolation: ServerIsolation | undefined): SafeHtml | string {
  if (isolation === undefined) return '';
  if (isolation.level === 'shared-account') {
    return html`<p id="server-isolation" class="error" role="alert"><strong>Users are not kept apart.</strong> ${isolation.summary}</p>`;
  }
  return html`<p id="server-isolation" class="muted">${isolation.summary}</p>`;
}

function pager(model: AdminPageModel): SafeHtml {
  const q = encodeURIComponent(model.query);
  const prev = model.offset > 0 ? html`<a href="/hub/admin?q=${q}&offset=${Math.max(0, model.offset - model.pageSize)}">← Previous</a>` : '';
  const next = model.offset + model.rows.length < model.total ? html`<a href="/hub/admin?q=${q}&offset=${model.offset + model.pageSize}">Next →</a>` : '';
  const last = model.offset + model.rows.length;
  return html`<p class="muted">Showing ${model.total === 0 ? 0 : model.offset + 1}–${last} of ${model.total}. ${prev} ${next}</p>`;
}

export function renderAdminPage(model: AdminPageModel): string {
  const rows = model.rows.map(
    (row) => html`<tr>
      <td><strong>${row.user.name}</strong></td>
      <td>${row.user.admin ? 'admin' : 'user'}</td>
      <td>${row.account ? row.account.status : '—'}</td>
      <td><span class="status ${row.serverState}">${stateLabel(row.serverState)}</span></td>
      <td>${timeTag(row.user.lastActivity, model.now, 'never')}</td>
      <td>${userActions(model, row)}</td>
    </tr>`,
  );
  const signups = model.pendingSignups.map(
    (account) => html`<li><strong>${account.username}</strong> (signed up ${timeTag(account.createdAt, model.now, '')})
      <form method="post" action="/hub/admin/users/${encodeURIComponent(account.username)}/approve" class="inline">${hidden(model.xsrfToken)}
        <button type="submit">Approve ${account.username}</button></form>
      <form method="post" action="/hub/admin/users/${encodeURIComponent(account.username)}/delete" class="inline">${hidden(model.xsrfToken)}
        <button type="submit" class="danger">Reject</button></form></li>`,
  );
  const { flash } = model;
  const addError = flash.addUser?.error;
  return layout(
    { title: 'Admin', user: model.viewer, xsrfToken: model.xsrfToken, scripts: ['confirm.js'] },
    html`<section class="card">
      <h1>Administration</h1>
      <p><a href="/hub/admin/groups">Groups</a></p>
      <p id="counts"><strong>${model.counts.users}</strong> ${plural(model.counts.users, 'user', 'users')} · <strong>${model.counts.running}</strong> ${plural(model.counts.running, 'server', 'servers')} running ·
        <strong>${model.counts.pending}</strong> starting</p>
      ${isolationNotice(model.isolation)}
      ${model.notice ? html`<p class="notice" role="status">${model.notice}</p>` : ''}
      ${flash.error ? html`<p class="error" role="alert">${flash.error}</p>` : ''}
      ${flash.setupLink
        ? html`<div class="notice" role="status"><p>Send ${flash.setupLink.user} this one-time link to choose their password
            (valid 24 hours, shown once):</p><div class="copy-row"><pre id="setup-link">${flash.setupLink.url}</pre>
            <button type="button" class="secondary" data-copy="setup-link">Copy</button></div></div>`
        : ''}
    </section>
    ${model.pendingSignups.length > 0 ? html`<section class="card"><h2>Sign-ups waiting for approval</h2><ul>${signups}</ul></section>` : ''}
    <section class="card">
      <h2>Add a user</h2>
      <form method="post" action="/hub/admin/users">${hidden(model.xsrfToken)}
        <label for="new-name">Username</label>
        <input id="new-name" name="username" type="text" required autocapitalize="none" spellcheck="false" value="${flash.addUser?.username ?? ''}"
          ${addError ? html`aria-invalid="true" aria-describedby="new-name-error" autofocus` : ''}>
        ${addError ? html`<p class="field-error" id="new-name-error" role="alert">${addError}</p>` : ''}
        <label><input type="checkbox" name="admin" value="1" ${flash.addUser?.admin ? 'checked' : ''}> Administrator</label>
        ${model.usesPasswords
          ? html`<label for="new-password">Initial password (leave empty to make a one-time setup link)</label>
              <input id="new-password" name="password" type="password" autocomplete="new-password">`
          : ''}
        <button type="submit">Add user</button>
      </form>
    </section>
    <section class="card">
      <h2>Users</h2>
      <form method="get" action="/hub/admin" role="search">
        <label for="q">Search by name</label>
        <input id="q" name="q" type="search" value="${model.query}">
        <button type="submit" class="secondary">Search</button>
      </form>
      ${pager(model)}
      <div class="table-scroll"><table><thead><tr><th>Name</th><th>Role</th><th>Account</th><th>Server</th><th>Last activity</th><th>Actions</th></tr></thead>
        <tbody>${rows}</tbody></table></div>
    </section>
    ${model.culls ? recentCullsCard(model.culls.recent, model.culls.enabled, model.now) : ''}`,
  );
}
