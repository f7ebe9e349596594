const PROBE_ORIGIN = 'http://gatehouse.invalid';

/**
 * The only way a user-supplied `next` becomes a redirect: it must be a path on this hub.
 * `//evil.example`, `/\evil.example`, `https://evil.example`, `javascript:…`, and anything with
 * control characters (browsers drop tabs/newlines, turning `/\t/evil` into `//evil`) fall back.
 * The result is re-serialised from the parsed URL, so what we send is what we checked.
 */
export function safeNextPath(next: unknown, fallback = '/hub/home'): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return fallback;
  if (!next.startsWith('/') || next.startsWith('//')) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, PROBE_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== PROBE_ORIGIN) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
