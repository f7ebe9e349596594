/**
 * Times for people, on pages and in the CLI: "3 min ago" / "in 2 days" relative to the hub's clock,
 * and the exact time beside it. Records carry ISO-8601 UTC strings (the database keeps epoch ms,
 * docs/database.md); everything here reads those.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Epoch ms of an ISO string, a Date or epoch ms; undefined for null/undefined/unparseable. */
export function toEpochMs(value: string | Date | number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : value.getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** "just now", "3 min ago", "2 h ago", "5 days ago", "in 1 h", "in 30 days". */
export function relativeTime(thenMs: number, nowMs: number): string {
  const delta = thenMs - nowMs;
  const size = Math.abs(delta);
  if (size < MINUTE) return delta > 0 ? 'in under a minute' : 'just now';
  const amount = size < HOUR ? `${Math.floor(size / MINUTE)} min` : size < DAY ? `${Math.floor(size / HOUR)} h` : plural(Math.floor(size / DAY), 'day');
  return delta > 0 ? `in ${amount}` : `${amount} ago`;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** "2026-12-01 06:55:13 UTC": the exact time, shown on hover. */
export function exactUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "2026-12-01 07:55 (3 min ago)" in the machine's time zone, for terminal output. */
export function localTimeForCli(ms: number, nowMs: number): string {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const local = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return `${local} (${relativeTime(ms, nowMs)})`;
}
