import type { UserRow } from '../db/users.ts';
import { html, layout } from './html.ts';

/** The admin page for groups: create, delete (after a confirmation), add and remove members. */

export interface AdminGroupRow {
  readonly name: string;
  readonly members: readonly string[];
}

export interface AdminGroupsPageModel {
  readonly viewer: UserRow;
  readonly xsrfToken: string;
  readonly groups: readonly AdminGroupRow[];
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
}

export function renderAdminGroupsPage(model: AdminGroupsPageModel): string {
  const xsrf = html`<input type="hidden" name="_xsrf" value="${model.xsrfToken}">`;
  const rows = model.groups.map((group) => {
    const enc = encodeURIComponent(group.name);
    const id = `add-${enc.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    return html`<tr data-group="${group.name}">
      <td><strong>${group.name}</strong></td>
      <td><ul class="members">${group.members.map((member) => html`<li>${member}
        <form method="post" action="/hub/admin/groups/${enc}/remove" class="inline">${xsrf}<input type="hidden" name="username" value="${member}">
          <button type="submit" class="link">Remove <span class="visually-hidden">${member} from ${group.name}</span></button></form></li>`)}</ul>
        ${group.members.length === 0 ? html`<p class="muted">No members.</p>` : ''}</td>
      <td><form method="post" action="/hub/admin/groups/${enc}/add">${xsrf}
          <label for="${id}">Add a member</label><input id="${id}" name="username" type="text" required autocapitalize="none" spellcheck="false">
          <button type="submit" class="secondary">Add</button></form>
        <form method="post" action="/hub/admin/groups/${enc}/delete" class="inline" data-confirm="Delete the group ${group.name}? Its members stay users.">${xsrf}
          <button type="submit" class="danger">Delete group</button></form></td>
    </tr>`;
  });
  return layout(
    { title: 'Groups', user: model.viewer, xsrfToken: model.xsrfToken, scripts: ['confirm.js'] },
    html`<section class="card">
      <h1>Groups</h1>
      <p><a href="/hub/admin">Back to users</a></p>
      ${model.notice ? html`<p class="notice" role="status">${model.notice}</p>` : ''}
      ${model.error ? html`<p class="error" role="alert">${model.error}</p>` : ''}
      <form method="post" action="/hub/admin/groups">${xsrf}
        <label for="new-group">New group</label>
        <input id="new-group" name="name" type="text" required autocapitalize="none" spellcheck="false">
        <button type="submit">Create group</button>
      </form>
    </section>
    <section class="card">
      <h2>All groups</h2>
      ${model.groups.length === 0 ? html`<p class="muted">No groups yet.</p>` : html`<div class="table-scroll"><table>
        <thead><tr><th>Group</th><th>Members</th><th>Actions</th></tr></thead><tbody>${rows}</tbody></table></div>`}
    </section>`,
  );
}
