/**
 * Every time column holds INTEGER milliseconds since the Unix epoch (docs/database.md); the records
 * stores hand out carry ISO-8601 UTC strings, as the API shows them. These convert at the store's edge.
 */

/** A stored time as an ISO-8601 UTC string. */
export function isoFromStored(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoFromStoredOrNull(ms: number | null): string | null {
  return ms === null ? null : isoFromStored(ms);
}

/** An ISO-8601 time (as records carry it) in the stored form; throws on a string that is not a time. */
export function storedFromIso(iso: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${iso}`);
  return ms;
}
