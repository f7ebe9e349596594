import { exactUtc, relativeTime, toEpochMs } from '../time.ts';
import { html, type SafeHtml } from './html.ts';

/** `<time datetime="…" title="exact time">3 min ago</time>`, or `fallback` when there is no time. */
export function timeTag(value: string | Date | number | null | undefined, nowMs: number, fallback: string): SafeHtml | string {
  const ms = toEpochMs(value);
  if (ms === undefined) return fallback;
  return html`<time datetime="${new Date(ms).toISOString()}" title="${exactUtc(ms)}">${relativeTime(ms, nowMs)}</time>`;
}
