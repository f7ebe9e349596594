import type { UserRow } from '../db/users.ts';
import type { ServerState } from '../servers/manager.ts';
import type { ServerProblem } from '../servers/problems.ts';
import { SERVER_NAME_RULE } from '../servers/server-names.ts';
import { html, layout, type SafeHtml } from './html.ts';
import { problemText, serverControls, serverPath, stateLabel } from './server-pages.ts';
import { timeTag } from './time-tag.ts';
import type { CullPlan } from '../culler/culler.ts';
import { cullPlanNotice } from './cull-notices.ts';

/** One named server as the home page lists it. */
export interface NamedServerRow {
  readonly name: string;
  readonly state: ServerState;
  readonly lastActivity: string | null;
  /** The last failed start or unexpected exit, shown while it is stopped. */
  readonly lastProblem: ServerProblem | undefined;
}

export interface HomePageModel {
  readonly user: UserRow;
  readonly xsrfToken: string;
  readonly serverState: ServerState;
  readonly serverLastActivity: string | null;
  /** Show the change-password link (local accounts). */
  readonly hasPassword: boolean;
  /** The last failed start or unexpected exit, shown until the next successful start. */
  readonly lastProblem: ServerProblem | undefined;
  /** Undefined when named servers are off; else the user's named servers and how many more they may create. */
  readonly namedServers: { readonly rows: readonly NamedServerRow[]; readonly canCreate: boolean; readonly limit: number } | undefined;
  /** When the idle culler will stop the running server if nothing happens (undefined: not at all). */
  readonly cullPlan?: CullPlan | undefined;
  /** The hub's clock, for "3 min ago". */
  readonly now: number;
}

export function renderHomePage(model: HomePageModel): string {
  const { user } = model;
  const problem = model.lastProblem !== undefined && model.serverState === 'stopped' ? model.lastProblem : undefined;
  return layout(
    { title: 'Home', user, xsrfToken: model.xsrfToken, scripts: ['confirm.js'] },
    html`<section class="card">
      <h1>Welcome, ${user.name}</h1>
      <p>You are signed in as <strong>${user.name}</strong>${user.admin ? ' (administrator)' : ''}.</p>
      ${model.hasPassword ? html`<p><a href="/hub/change-password">Change your password</a></p>` : ''}
      <p><a href="/hub/account/totp">Second factor (authenticator app)</a></p>
    </section>
    <section class="card${problem ? ' failure' : ''}" aria-labelledby="server-heading">
      <h2 id="server-heading">Your server</h2>
      <p>Status: <span class="status ${problem ? 'failed' : model.serverState}" id="server-status">${problem ? problemLabel(problem) : stateLabel(model.serverState)}</span></p>
      ${problem ? html`<div id="last-problem">${problemText(problem, model.now)}</div>` : ''}
      <p class="muted">Last activity: <span id="last-activity">${timeTag(model.serverLastActivity ?? user.lastActivity, model.now, 'none yet')}</span></p>
      ${cullPlanNotice(model.cullPlan, model.now)}
      ${serverControls({ owner: user.name, serverName: '' }, model.serverState, model.xsrfToken)}
    </section>
    ${model.namedServers === undefined ? '' : namedServersSection(model, model.namedServers)}`,
  );
}

function problemLabel(problem: ServerProblem): string {
  return problem.kind === 'exited' ? 'stopped unexpectedly' : 'failed to start';
}

/** The user's named servers: one row each (status, activity, open/start/stop/progress, delete) and a create form. */
function namedServersSection(model: HomePageModel, named: NonNullable<HomePageModel['namedServers']>): SafeHtml {
  const { user, xsrfToken } = model;
  const rows = named.rows.map((row) => {
    const server = { owner: user.name, serverName: row.name };
    const problem = row.state === 'stopped' ? row.lastProblem : undefined;
    const deleteForm = html`<form method="post" action="/hub/delete/${serverPath(server)}" class="inline"
        data-confirm="Delete the server ${row.name}? Its record goes; your files stay.">
      <input type="hidden" name="_xsrf" value="${xsrfToken}"><button type="submit" class="secondary">Delete</button></form>`;
    return html`<tr data-server="${row.name}">
      <th scope="row">${row.name}</th>
      <td><span class="status ${problem ? 'failed' : row.state}">${problem ? problemLabel(problem) : stateLabel(row.state)}</span></td>
      <td>${timeTag(row.lastActivity, model.now, 'none yet')}</td>
      <td>${serverControls(server, row.state, xsrfToken)}${row.state === 'stopped' ? deleteForm : ''}</td>
    </tr>`;
  });
  const limitNote = named.limit > 0 ? html` You may have ${named.limit} named servers.` : '';
  return html`<section class="card" aria-labelledby="named-heading">
      <h2 id="named-heading">Named servers</h2>
      <p class="muted">More servers of yours, each at its own address with its own process.${limitNote}</p>
      ${rows.length === 0
        ? html`<p id="no-named-servers">You have no named servers yet.</p>`
        : html`<div class="table-scroll"><table id="named-servers">
            <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Last activity</th><th scope="col">Actions</th></tr></thead>
            <tbody>${rows}</tbody></table></div>`}
      ${named.canCreate
        ? html`<form method="post" action="/hub/spawn/${encodeURIComponent(user.name)}" id="create-server">
            <input type="hidden" name="_xsrf" value="${xsrfToken}">
            <label for="server-name">New server name</label>
            <input id="server-name" name="server_name" required maxlength="63" pattern="[A-Za-z0-9][A-Za-z0-9._\\-]*" aria-describedby="server-name-rule">
            <p class="muted" id="server-name-rule">${SERVER_NAME_RULE}.</p>
            <button type="submit">Create and start</button></form>`
        : html`<p class="muted" id="named-limit-reached">You have as many named servers as you may; delete one to create another.</p>`}
    </section>`;
}
