import type { UserRow } from '../db/users.ts';
import type { ServerState } from '../servers/manager.ts';
import type { ServerProblem } from '../servers/problems.ts';
import { html, layout } from './html.ts';
import { problemText, serverControls, stateLabel } from './server-pages.ts';
import { timeTag } from './time-tag.ts';
import type { CullPlan } from '../culler/culler.ts';
import { cullPlanNotice } from './cull-notices.ts';

export interface HomePageModel {
  readonly user: UserRow;
  readonly xsrfToken: string;
  readonly serverState: ServerState;
  readonly serverLastActivity: string | null;
  /** Show the change-password link (local accounts). */
  readonly hasPassword: boolean;
  /** The last failed start or unexpected exit, shown until the next successful start. */
  readonly lastProblem: ServerProblem | undefined;
  /** When the idle culler will stop the running server if nothing happens (undefined: not at all). */
  readonly cullPlan?: CullPlan | undefined;
  /** The hub's clock, for "3 min ago". */
  readonly now: number;
}

export function renderHomePage(model: HomePageModel): string {
  const { user } = model;
  const problem = model.lastProblem !== undefined && model.serverState === 'stopped' ? model.lastProblem : undefined;
  return layout(
    { title: 'Home', user, xsrfToken: model.xsrfToken },
    html`<section class="card">
      <h1>Welcome, ${user.name}</h1>
      <p>You are signed in as <strong>${user.name}</strong>${user.admin ? ' (administrator)' : ''}.</p>
      ${model.hasPassword ? html`<p><a href="/hub/change-password">Change your password</a></p>` : ''}
      <p><a href="/hub/account/totp">Second factor (authenticator app)</a></p>
    </section>
    <section class="card${problem ? ' failure' : ''}" aria-labelledby="server-heading">
      <h2 id="server-heading">Your server</h2>
      <p>Status: <span class="status ${problem ? 'failed' : model.serverState}" id="server-status">${problem ? (problem.kind === 'exited' ? 'stopped unexpectedly' : 'failed to start') : stateLabel(model.serverState)}</span></p>
      ${problem ? html`<div id="last-problem">${problemText(problem, model.now)}</div>` : ''}
      <p class="muted">Last activity: <span id="last-activity">${timeTag(model.serverLastActivity ?? user.lastActivity, model.now, 'none yet')}</span></p>
      ${cullPlanNotice(model.cullPlan, model.now)}
      ${serverControls(user.name, model.serverState, model.xsrfToken)}
    </section>`,
  );
}
