import type { CullRecord } from '../culler/culler.ts';
import { recentCullsCard } from './cull-notices.ts';
import type { AccountRecord } from '@gatehouse/authenticators';
import type { ServerIsolation } from '@gatehouse/spawner';
import type { UserRow } from '../db/users.ts';
import { html, layout, type SafeHtml } from './html.ts';
import { countsLine, hidden, renderServersTable, type AdminCounts, type AdminListing, type AdminTableModel } from './admin-servers-table.ts';
import { timeTag } from './time-tag.ts';

/** What an action left for the next view of the page (post/redirect/get). */
export interface AdminFlash {
  readonly error?: string;
  /** What a bulk action did ("Stopping 3 servers."). */
  readonly notice?: string;
  /** A refused add: what was typed, and why, shown beside the field. */
  readonly addUser?: { readonly username: string; readonly admin: boolean; readonly error: string };
  /** A one-time setup link just made: shown once. */
  readonly setupLink?: { readonly user: string; readonly url: string };
}

export interface AdminPageModel {
  readonly viewer: UserRow;
  readonly xsrfToken: string;
  /** The servers table (admin-servers-table.ts). */
  readonly table: AdminTableModel;
  readonly pendingSignups: readonly AccountRecord[];
  readonly counts: AdminCounts;
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


/** Said on every visit while servers share one OS account without a sandbox: an admin must not miss it. */
function isolationNotice(isolation: ServerIsolation | undefined): SafeHtml | string {
  if (isolation === undefined) return '';
  if (isolation.level === 'shared-account') {
    return html`<p id="server-isolation" class="error" role="alert"><strong>Users are not kept apart.</strong> ${isolation.summary}</p>`;
  }
  return html`<p id="server-isolation" class="muted">${isolation.summary}</p>`;
}

/** The search keeps the chosen order. */
function sortFields(listing: AdminListing): SafeHtml | string {
  if (listing.sort === 'user' && listing.direction === 'asc') return '';
  return html`<input type="hidden" name="sort" value="${listing.sort}"><input type="hidden" name="dir" value="${listing.direction}">`;
}

/** The question before a bulk action (admin-table.js asks the same as the search changes). */
function bulkQuestion(verb: 'Start' | 'Stop', search: string): string {
  const which = verb === 'Start' ? 'stopped' : 'running';
  return search === '' ? `${verb} every ${which} server?` : `${verb} every ${which} server matching “${search}”?`;
}

/** Start all / stop all, for the rows the search matches (admin-table.js keeps `q` in step with the search box). */
function bulkActions(model: AdminPageModel): SafeHtml {
  const search = model.table.listing.search;
  const which = search === '' ? 'every server' : html`every server matching “${search}”`;
  return html`<div class="bulk-actions" id="bulk-actions"><p class="muted">For <span data-bulk-scope>${which}</span>:</p>
    <form method="post" action="/hub/admin/servers/start-all" class="inline" data-confirm="${bulkQuestion('Start', search)}">${hidden(model.xsrfToken)}
      <input type="hidden" name="q" value="${search}" data-bulk-query>
      <button type="submit" class="secondary">Start all</button></form>
    <form method="post" action="/hub/admin/servers/stop-all" class="inline" data-confirm="${bulkQuestion('Stop', search)}">${hidden(model.xsrfToken)}
      <input type="hidden" name="q" value="${search}" data-bulk-query>
      <button type="submit" class="danger">Stop all</button></form></div>`;
}

export function renderAdminPage(model: AdminPageModel): string {
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
    { title: 'Admin', user: model.viewer, xsrfToken: model.xsrfToken, scripts: ['confirm.js', 'admin-table.js'] },
    html`<section class="card">
      <h1>Administration</h1>
      <p><a href="/hub/admin/groups">Groups</a></p>
      <p id="counts">${countsLine(model.counts)}</p>
      ${isolationNotice(model.isolation)}
      ${model.notice ?? flash.notice ? html`<p class="notice" role="status">${model.notice ?? flash.notice}</p>` : ''}
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
    <section class="card" aria-labelledby="servers-heading">
      <h2 id="servers-heading">Users and servers</h2>
      <form method="get" action="/hub/admin" role="search" id="server-search">
        <label for="q">Search by name</label>
        <input id="q" name="q" type="search" value="${model.table.listing.search}" autocomplete="off">
        ${sortFields(model.table.listing)}
        <button type="submit" class="secondary">Search</button>
      </form>
      ${bulkActions(model)}
      ${renderServersTable(model.table)}
    </section>
    ${model.culls ? recentCullsCard(model.culls.recent, model.culls.enabled, model.now) : ''}`,
  );
}
