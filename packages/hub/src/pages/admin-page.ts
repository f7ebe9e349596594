import type { AccountRecord } from '@gatehouse/authenticators';
import type { UserRow } from '../db/users.ts';
import type { ServerState } from '../servers/manager.ts';
import { html, layout, type SafeHtml } from './html.ts';
import { serverControls } from './server-pages.ts';

export interface AdminUserRow {
  readonly user: UserRow;
  readonly account: AccountRecord | undefined;
  readonly serverState: ServerState;
  /** The user has an active TOTP second factor. */
  readonly secondFactor: boolean;
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
  /** Admins may open other users' servers (config adminAccess). */
  readonly adminAccess: boolean;
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
  /** A one-time setup link just made: shown once. */
  readonly setupLink?: { readonly user: string; readonly url: string } | undefined;
}

function hidden(xsrfToken: string): SafeHtml {
  return html`<input type="hidden" name="_xsrf" value="${xsrfToken}">`;
}

function userActions(model: AdminPageModel, row: AdminUserRow): SafeHtml {
  const name = row.user.name;
  const enc = encodeURIComponent(name);
  const self = name === model.viewer.name;
  return html`<details><summary>Manage <span class="visually-hidden">${name}</span></summary>
    ${serverControls(name, row.serverState, model.xsrfToken, self || model.adminAccess)}
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
          <button type="submit" class="secondary">Reset password</button></form>`
      : ''}
    ${row.secondFactor
      ? html`<form method="post" action="/hub/admin/users/${enc}/totp-reset" class="inline">${hidden(model.xsrfToken)}
          <button type="submit" class="secondary">Reset second factor</button></form>`
      : ''}
    ${self ? '' : html`<form method="post" action="/hub/admin/users/${enc}/delete" class="inline">${hidden(model.xsrfToken)}
        <button type="submit" class="danger">Delete ${name}</button></form>`}
  </details>`;
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
      <td>${row.user.admin ? 'admin' : ''}</td>
      <td>${row.account ? row.account.status : '—'}</td>
      <td><span class="status ${row.serverState}">${row.serverState}</span></td>
      <td>${row.user.lastActivity ?? 'never'}</td>
      <td>${userActions(model, row)}</td>
    </tr>`,
  );
  const signups = model.pendingSignups.map(
    (account) => html`<li><strong>${account.username}</strong> (signed up ${account.createdAt.toISOString()})
      <form method="post" action="/hub/admin/users/${encodeURIComponent(account.username)}/approve" class="inline">${hidden(model.xsrfToken)}
        <button type="submit">Approve ${account.username}</button></form>
      <form method="post" action="/hub/admin/users/${encodeURIComponent(account.username)}/delete" class="inline">${hidden(model.xsrfToken)}
        <button type="submit" class="danger">Reject</button></form></li>`,
  );
  return layout(
    { title: 'Admin', user: model.viewer, xsrfToken: model.xsrfToken },
    html`<section class="card">
      <h1>Administration</h1>
      <p id="counts"><strong>${model.counts.users}</strong> users · <strong>${model.counts.running}</strong> ${model.counts.running === 1 ? 'server' : 'servers'} running ·
        <strong>${model.counts.pending}</strong> starting</p>
      ${model.notice ? html`<p class="notice" role="status">${model.notice}</p>` : ''}
      ${model.error ? html`<p class="error" role="alert">${model.error}</p>` : ''}
      ${model.setupLink
        ? html`<div class="notice" role="status"><p>Added ${model.setupLink.user}. Send them this one-time link to choose their password
            (valid 24 hours, shown once):</p><pre id="setup-link">${model.setupLink.url}</pre></div>`
        : ''}
    </section>
    ${model.pendingSignups.length > 0 ? html`<section class="card"><h2>Sign-ups waiting for approval</h2><ul>${signups}</ul></section>` : ''}
    <section class="card">
      <h2>Add a user</h2>
      <form method="post" action="/hub/admin/users">${hidden(model.xsrfToken)}
        <label for="new-name">Username</label>
        <input id="new-name" name="username" type="text" required autocapitalize="none" spellcheck="false">
        <label><input type="checkbox" name="admin" value="1"> Administrator</label>
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
      <table><thead><tr><th>Name</th><th>Role</th><th>Account</th><th>Server</th><th>Last activity</th><th>Actions</th></tr></thead>
        <tbody>${rows}</tbody></table>
    </section>`,
  );
}
