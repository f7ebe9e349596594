import type { UserRow } from '../db/users.ts';
import type { ServerState } from '../servers/manager.ts';
import { progressUrl } from '../servers/environment.ts';
import type { ServerProblem } from '../servers/problems.ts';
import { html, layout, raw, type SafeHtml } from './html.ts';
import { timeTag } from './time-tag.ts';

/** The word a person sees for a state: 'pending' is "starting" everywhere on the pages. */
export function stateLabel(state: ServerState): string {
  return state === 'pending' ? 'starting' : state;
}

/** A server as the pages address it: its owner and name ('' for the default server). */
export interface PageServer {
  readonly owner: string;
  readonly serverName: string;
}

/** `alice` or `alice/lab`: the tail of /hub/spawn/, /hub/stop/, /hub/spawn-pending/ for a server. */
export function serverPath(server: PageServer): string {
  const owner = encodeURIComponent(server.owner);
  return server.serverName === '' ? owner : `${owner}/${encodeURIComponent(server.serverName)}`;
}

/** Where the server is opened: /user/alice/ or /user/alice/lab/. */
export function serverUrl(server: PageServer): string {
  return `/user/${serverPath(server)}/`;
}

/** Start/stop controls; `canOpen` false hides the link to the server (an admin without adminAccess). */
export function serverControls(server: PageServer, state: ServerState, xsrfToken: string, canOpen = true): SafeHtml {
  const at = serverPath(server);
  const stopForm = html`<form method="post" action="/hub/stop/${at}" class="inline">
      <input type="hidden" name="_xsrf" value="${xsrfToken}"><button type="submit" class="danger">Stop server</button></form>`;
  switch (state) {
    case 'running':
      return html`<p>${canOpen ? html`<a class="button" href="${serverUrl(server)}">Open server</a> ` : ''}${stopForm}</p>`;
    case 'pending':
      return html`<p><a class="button" href="/hub/spawn-pending/${at}">Starting… see progress</a> ${stopForm}</p>`;
    case 'stopping':
      return html`<p class="muted">The server is stopping.</p>`;
    case 'stopped':
      return startForm(server, xsrfToken, 'Start server', false);
  }
}

function startForm(server: PageServer, xsrfToken: string, label: string, inline: boolean): SafeHtml {
  return html`<form method="post" action="/hub/spawn/${serverPath(server)}"${inline ? raw(' class="inline"') : ''}>
      <input type="hidden" name="_xsrf" value="${xsrfToken}"><button type="submit">${label}</button></form>`;
}

/** The reason's first line as a sentence, the server's output (the lines after it) as a block. */
export function problemText(problem: ServerProblem, nowMs: number): SafeHtml {
  const [summary, ...output] = problem.reason.replace(/^Spawn failed: /, '').split('\n');
  const what = problem.kind === 'exited' ? 'Your server stopped unexpectedly' : 'Your server failed to start';
  return html`<p><strong>${what}</strong> ${timeTag(problem.at, nowMs, '')}.</p>
    <p class="failure-reason">${summary}</p>
    ${output.length > 0 ? html`<pre class="failure-output">${output.join('\n')}</pre>` : ''}`;
}

export interface SpawnPendingModel {
  readonly viewer: UserRow;
  readonly server: PageServer;
  readonly xsrfToken: string;
  /** Set when the latest start failed: the page shows the failure instead of following progress. */
  readonly failure?: ServerProblem | undefined;
  readonly now: number;
}

/**
 * Live progress while a server starts; spawn-pending.js follows the server-sent events. When the start
 * fails, the page turns into the failure state (title, red bar, the reason once, Retry and Back) — in
 * the browser as it happens, or rendered so when the page is opened afterwards.
 */
export function renderSpawnPendingPage(model: SpawnPendingModel): string {
  const { server } = model;
  const at = serverPath(server);
  const name = server.serverName === '' ? `${server.owner}'s server` : `${server.owner}'s server ${server.serverName}`;
  const failedTitle = `${name} failed to start`;
  // A div, not a p: a <form> inside a <p> closes the p, which would leave Retry and Back outside the hidden element.
  const failureActions = html`<div id="failure-actions" ${model.failure ? '' : 'hidden'}>${startForm(server, model.xsrfToken, 'Retry', true)}
      <a class="button secondary" href="/hub/home">Back to home</a></div>`;
  if (model.failure !== undefined) {
    return layout(
      { title: 'Start failed', user: model.viewer, xsrfToken: model.xsrfToken },
      html`<section class="card failure" id="spawn-failed">
        <h1>${failedTitle}</h1>
        <progress class="failed" max="100" value="100" aria-label="Start progress">failed</progress>
        <div role="alert">${problemText(model.failure, model.now)}</div>
        ${failureActions}
      </section>`,
    );
  }
  return layout(
    { title: 'Starting server', user: model.viewer, xsrfToken: model.xsrfToken, scripts: ['spawn-pending.js'] },
    html`<section class="card" id="spawn-pending" data-progress-url="${progressUrl(server.owner, server.serverName)}" data-home="/hub/home"
        data-failed-title="${failedTitle}" data-details="${model.viewer.admin ? 'all' : 'plain'}">
      <h1>Starting ${name}</h1>
      <progress id="progress-bar" max="100" value="0" aria-label="Start progress">0%</progress>
      <p id="progress-message" role="status" aria-live="polite">Waiting for the server…</p>
      <ul id="progress-log" class="muted"></ul>
      <div id="progress-failed" role="alert" hidden><p class="failure-reason" id="failure-reason"></p><pre class="failure-output" id="failure-output" hidden></pre></div>
      <form method="post" action="/hub/stop/${at}" class="inline" id="cancel-start">
        <input type="hidden" name="_xsrf" value="${model.xsrfToken}"><button type="submit" class="secondary">Cancel</button></form>
      ${failureActions}
    </section>`,
  );
}
