import type { UserRow } from '../db/users.ts';
import type { ServerState } from '../servers/manager.ts';
import { html, layout } from './html.ts';
import { serverControls } from './server-pages.ts';

export interface HomePageModel {
  readonly user: UserRow;
  readonly xsrfToken: string;
  readonly serverState: ServerState;
  readonly serverLastActivity: string | null;
  /** Show the change-password link (local accounts). */
  readonly hasPassword: boolean;
}

export function renderHomePage(model: HomePageModel): string {
  const { user } = model;
  return layout(
    { title: 'Home', user, xsrfToken: model.xsrfToken },
    html`<section class="card">
      <h1>Welcome, ${user.name}</h1>
      <p>You are signed in as <strong>${user.name}</strong>${user.admin ? ' (administrator)' : ''}.</p>
      ${model.hasPassword ? html`<p><a href="/hub/change-password">Change your password</a></p>` : ''}
      <p><a href="/hub/account/totp">Second factor (authenticator app)</a></p>
    </section>
    <section class="card" aria-labelledby="server-heading">
      <h2 id="server-heading">Your server</h2>
      <p>Status: <span class="status ${model.serverState}" id="server-status">${model.serverState}</span></p>
      <p class="muted">Last activity: ${model.serverLastActivity ?? user.lastActivity ?? 'none yet'}</p>
      ${serverControls(user.name, model.serverState, model.xsrfToken)}
    </section>`,
  );
}
