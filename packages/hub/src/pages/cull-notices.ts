import type { CullPlan, CullRecord } from '../culler/culler.ts';
import { html, type SafeHtml } from './html.ts';
import { timeTag } from './time-tag.ts';

/** 90 → "90 s", 3600 → "1 h", 5400 → "90 min": limits as an admin would say them. */
export function durationWords(seconds: number): string {
  if (seconds < 120 && seconds % 60 !== 0) return `${seconds} s`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return `${Math.round(seconds / 60)} min`;
}

/** Home: when the culler will stop this server if nothing happens (id cull-notice). */
export function cullPlanNotice(plan: CullPlan | undefined, now: number): SafeHtml | string {
  if (plan === undefined) return '';
  const when = timeTag(plan.stopsAt, now, '');
  return plan.reason === 'idle'
    ? html`<p class="notice" id="cull-notice">Servers with no activity for ${durationWords(plan.limits.timeout)} are stopped. If yours stays idle it will be stopped ${when}.</p>`
    : html`<p class="notice" id="cull-notice">Servers are stopped ${durationWords(plan.limits.maxAge)} after they start, in use or not: yours will be stopped ${when}.</p>`;
}

/** Admin: the idle culler's last culls, newest first (id recent-culls). */
export function recentCullsCard(records: readonly CullRecord[], enabled: boolean, now: number): SafeHtml | string {
  if (!enabled && records.length === 0) return '';
  const rows = records.map(
    (record) => html`<tr>
      <td>${timeTag(record.at, now, '')}</td>
      <td>${record.what === 'user' ? html`user <strong>${record.username}</strong>` : html`<strong>${record.username}</strong>'s server${record.serverName ? ` ${record.serverName}` : ''}`}</td>
      <td>${record.reason === 'idle' ? 'idle' : 'max age'}${record.dryRun ? ' (dry run: not stopped)' : ''}</td>
      <td>${record.explanation}</td>
    </tr>`,
  );
  return html`<section class="card" aria-labelledby="culls-heading">
    <h2 id="culls-heading">Idle culler: last culls</h2>
    ${records.length === 0
      ? html`<p class="muted">None since the hub started.</p>`
      : html`<div class="table-scroll"><table id="recent-culls"><thead><tr><th>When</th><th>What</th><th>Reason</th><th>Why</th></tr></thead>
          <tbody>${rows}</tbody></table></div>`}
  </section>`;
}
