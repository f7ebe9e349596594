import type { UserRow } from '../db/users.ts';
import type { ServerState } from '../servers/manager.ts';
import { html, layout, type SafeHtml } from './html.ts';

/** Start/stop controls; `canOpen` false hides the link to the server (an admin without adminAccess). */
export function serverControls(owner: string, state: ServerState, xsrfToken: string, canOpen = true): SafeHtml {
  const enc = encodeURIComponent(owner);
  const stopForm = html`<form method="post" action="/hub/stop/${enc}" class="inline">
      <input type="hidden" name="_xsrf" value="${xsrfToken}"><button type="submit" class="danger">Stop server</button></form>`;
  switch (state) {
    case 'running':
      return html`<p>${canOpen ? html`<a class="button" href="/user/${enc}/">Open server</a> ` : ''}${stopForm}</p>`;
    case 'pending':
      return html`<p><a class="button" href="/hub/spawn-pending/${enc}">Starting… see progress</a> ${stopForm}</p>`;
    case 'stopping':
      return html`<p class="muted">The server is stopping.</p>`;
    case 'stopped':
      return html`<form method="post" action="/hub/spawn/${enc}">
          <input type="hidden" name="_xsrf" value="${xsrfToken}"><button type="submit">Start server</button></form>`;
  }
}

export interface SpawnPendingModel {
  readonly viewer: UserRow;
  readonly owner: string;
  readonly xsrfToken: string;
}

/** Live progress while a server starts; spawn-pending.js follows the server-sent events. */
export function renderSpawnPendingPage(model: SpawnPendingModel): string {
  const enc = encodeURIComponent(model.owner);
  return layout(
    { title: 'Starting server', user: model.viewer, xsrfToken: model.xsrfToken, scripts: ['spawn-pending.js'] },
    html`<section class="card" id="spawn-pending" data-progress-url="/hub/api/users/${enc}/server/progress" data-home="/hub/home">
      <h1>Starting ${model.owner}'s server</h1>
      <progress id="progress-bar" max="100" value="0" aria-label="Start progress">0%</progress>
      <p id="progress-message" role="status" aria-live="polite">Waiting for the server…</p>
      <ul id="progress-log" class="muted"></ul>
      <p id="progress-failed" class="error" role="alert" hidden></p>
      <form method="post" action="/hub/stop/${enc}" class="inline">
        <input type="hidden" name="_xsrf" value="${model.xsrfToken}"><button type="submit" class="secondary">Cancel</button></form>
    </section>`,
  );
}
