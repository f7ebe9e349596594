import type { AccountRecord } from '@gatehouse/authenticators';
import type { ServerListingSort, SortDirection } from '../db/server-listing.ts';
import type { UserRow } from '../db/users.ts';
import type { ServerState } from '../servers/manager.ts';
import { html, type SafeHtml } from './html.ts';
import { serverControls, stateLabel } from './server-pages.ts';
import { timeTag } from './time-tag.ts';

/**
 * The admin page's servers table (id server-table): one row per server, sort links in the headers,
 * the pager. Rendered inside the page and alone as a fragment (GET /hub/admin/servers-table), which
 * admin-table.js fetches while the admin types a search and every few seconds to follow states.
 */

export interface AdminServerRow {
  readonly user: UserRow;
  /** '' for the default server: its row also carries the user's own actions. */
  readonly serverName: string;
  /** The profile the server was started with, as people see it ('' none). */
  readonly profile: string;
  readonly state: ServerState;
  readonly lastActivity: string | null;
  readonly account: AccountRecord | undefined;
  /** The user has an active TOTP second factor. */
  readonly secondFactor: boolean;
  /** The viewer may open this server (auth/server-access.ts): else no link to it is shown. */
  readonly mayOpen: boolean;
}

/** Which rows, in which order: what the query string of /hub/admin says. */
export interface AdminListing {
  readonly search: string;
  readonly sort: ServerListingSort;
  readonly direction: SortDirection;
  readonly offset: number;
  readonly pageSize: number;
  readonly total: number;
}

export interface AdminCounts {
  readonly users: number;
  readonly running: number;
  readonly pending: number;
  /** Of the pending, those waiting in line for their turn to start. */
  readonly waiting: number;
}

function plural(count: number, one: string, many: string): string {
  return count === 1 ? one : many;
}

/** "3 users · 2 servers running · 5 starting (4 waiting in line)": the page's #counts, refreshed with the table. */
export function countsLine(counts: AdminCounts): SafeHtml {
  const line = counts.waiting > 0 ? html` (<strong>${counts.waiting}</strong> waiting in line)` : html``;
  return html`<strong>${counts.users}</strong> ${plural(counts.users, 'user', 'users')} · <strong>${counts.running}</strong> ${plural(counts.running, 'server', 'servers')} running ·
        <strong>${counts.pending}</strong> starting${line}`;
}

export interface AdminTableModel {
  readonly viewer: UserRow;
  readonly xsrfToken: string;
  readonly rows: readonly AdminServerRow[];
  readonly listing: AdminListing;
  /** The hub's counts when the table was made (admin-table.js copies them into #counts). */
  readonly counts: AdminCounts;
  readonly usesPasswords: boolean;
  readonly now: number;
}

/** The query string of /hub/admin for `listing` with `change` applied (a page or a sort). */
export function listingQuery(listing: AdminListing, change: Partial<Pick<AdminListing, 'sort' | 'direction' | 'offset'>> = {}): string {
  const next = { ...listing, ...change };
  const params = new URLSearchParams();
  if (next.search !== '') params.set('q', next.search);
  if (next.sort !== 'user' || next.direction !== 'asc') {
    params.set('sort', next.sort);
    params.set('dir', next.direction);
  }
  if (next.offset > 0) params.set('offset', String(next.offset));
  const text = params.toString();
  return text === '' ? '/hub/admin' : `/hub/admin?${text}`;
}

function sortHeader(listing: AdminListing, sort: ServerListingSort, label: string): SafeHtml {
  const current = listing.sort === sort;
  const direction: SortDirection = current && listing.direction === 'asc' ? 'desc' : 'asc';
  const ariaSort = current ? (listing.direction === 'asc' ? 'ascending' : 'descending') : 'none';
  const arrow = current ? (listing.direction === 'asc' ? '\u00a0▲' : '\u00a0▼') : '';
  return html`<th aria-sort="${ariaSort}"><a href="${listingQuery(listing, { sort, direction, offset: 0 })}" data-sort="${sort}">${label}${arrow}</a></th>`;
}

function pager(model: AdminTableModel): SafeHtml {
  const { listing } = model;
  const pages = Math.ceil(listing.total / listing.pageSize);
  const current = Math.floor(listing.offset / listing.pageSize);
  const link = (page: number, label: string) =>
    page === current
      ? html`<span aria-current="page">${label}</span>`
      : html`<a href="${listingQuery(listing, { offset: page * listing.pageSize })}">${label}</a>`;
  // First, last and the pages around this one: a short list even with 200 pages.
  const shown = Array.from({ length: pages }, (_, page) => page).filter((page) => page === 0 || page === pages - 1 || Math.abs(page - current) <= 2);
  const numbers = shown.map((page, i) => html`${i > 0 && page - (shown[i - 1] as number) > 1 ? '… ' : ''}${link(page, String(page + 1))} `);
  const last = listing.offset + model.rows.length;
  return html`<nav aria-label="Pages" class="pager"><p class="muted">Showing ${listing.total === 0 ? 0 : listing.offset + 1}–${last} of ${listing.total}.
    ${current > 0 ? html`<a href="${listingQuery(listing, { offset: (current - 1) * listing.pageSize })}">← Previous</a>` : ''}
    ${pages > 1 ? numbers : ''}
    ${last < listing.total ? html`<a href="${listingQuery(listing, { offset: (current + 1) * listing.pageSize })}">Next →</a>` : ''}</p></nav>`;
}

/** The XSRF field every admin form carries. */
export function hidden(xsrfToken: string): SafeHtml {
  return html`<input type="hidden" name="_xsrf" value="${xsrfToken}">`;
}

/** The user's own actions (role, sessions, password, second factor, delete): on their default server's row. */
function userActions(model: AdminTableModel, row: AdminServerRow): SafeHtml {
  const name = row.user.name;
  const enc = encodeURIComponent(name);
  const self = name === model.viewer.name;
  return html`${self ? '' : html`<form method="post" action="/hub/admin/users/${enc}/admin" class="inline">${hidden(model.xsrfToken)}
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
        <button type="submit" class="danger">Delete ${name}</button></form>`}`;
}

function rowActions(model: AdminTableModel, row: AdminServerRow): SafeHtml {
  const enc = encodeURIComponent(row.user.name);
  const label = row.serverName === '' ? row.user.name : `${row.user.name}/${row.serverName}`;
  const log = row.serverName === '' ? `/hub/admin/users/${enc}/log` : `/hub/admin/users/${enc}/log?server=${encodeURIComponent(row.serverName)}`;
  return html`<details data-row="${label}"><summary>Manage <span class="visually-hidden">${label}</span></summary>
    ${serverControls({ owner: row.user.name, serverName: row.serverName }, row.state, model.xsrfToken, row.mayOpen)}
    <p><a href="${log}">Recent server log</a></p>
    ${row.serverName === '' ? userActions(model, row) : ''}
  </details>`;
}

export function renderServersTable(model: AdminTableModel): SafeHtml {
  const { listing } = model;
  const rows = model.rows.map(
    (row) => html`<tr data-user="${row.user.name}" data-server="${row.serverName}" data-state="${row.state}">
      <td><strong>${row.user.name}</strong></td>
      <td>${row.user.admin ? 'admin' : 'user'}</td>
      <td>${row.account ? row.account.status : '—'}</td>
      <td>${row.serverName === '' ? html`<span class="muted">default</span>` : row.serverName}</td>
      <td>${row.profile === '' ? '—' : row.profile}</td>
      <td><span class="status ${row.state}">${stateLabel(row.state)}</span></td>
      <td>${timeTag(row.lastActivity, model.now, 'never')}</td>
      <td>${rowActions(model, row)}</td>
    </tr>`,
  );
  return html`<div id="server-table">
    <template data-counts>${countsLine(model.counts)}</template>
    ${pager(model)}
    <div class="table-scroll"><table><thead><tr>${sortHeader(listing, 'user', 'User')}<th>Role</th><th>Account</th>${sortHeader(listing, 'server', 'Server')}<th>Profile</th>${sortHeader(listing, 'status', 'Status')}${sortHeader(listing, 'activity', 'Last activity')}<th>Actions</th></tr></thead>
      <tbody>${rows}</tbody></table></div>
  </div>`;
}
