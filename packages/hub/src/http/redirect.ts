const PROBE_ORIGIN = 'http://gatehouse.invalid';
/** Control characters (U+0000–U+001F, U+007F) and the backslash: browsers drop or reinterpret them in a URL. */
const CONTROL_OR_BACKSLASH = /[\\\u0000-\u001f\u007f]/;

/**
 * The only way a user-supplied `next` becomes a redirect: it must be a path on this hub.
 * Normalise first, then check: the reference is resolved as a browser resolves a Location
 * (dot segments, `%2e%2e`, `\` read as `/`), and the result must be a path that a browser
 * resolves to itself on this origin. So `//evil.example`, `/.//evil.example`,
 * `/hub/%2e%2e/%2e%2e//evil.example`, `/\evil.example`, `https://evil.example` and `javascript:…`
 * fall back; so does anything with control characters (browsers drop tabs and newlines, turning
 * `/\t/evil` into `//evil`) or a backslash. What we send is what we checked.
 */
export function safeNextPath(next: unknown, fallback = '/hub/home'): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048 || !next.startsWith('/')) return fallback;
  if (CONTROL_OR_BACKSLASH.test(next)) return fallback;
  const path = resolvedPath(next);
  return path !== undefined && isLocalPath(path) ? path : fallback;
}

/** `reference` as a browser at this hub would resolve it: its path, query and fragment, or undefined when it leaves the origin. */
function resolvedPath(reference: string): string | undefined {
  let url: URL;
  try {
    url = new URL(reference, PROBE_ORIGIN);
  } catch {
    return undefined;
  }
  return url.origin === PROBE_ORIGIN ? `${url.pathname}${url.search}${url.hash}` : undefined;
}

/** A path-absolute reference (one `/`, not two, not `/\`) that resolves to itself: no dot segment or other spelling is left to reinterpret. */
function isLocalPath(path: string): boolean {
  return path.startsWith('/') && path[1] !== '/' && path[1] !== '\\' && resolvedPath(path) === path;
}

/** The URL without its `token` parameter (what the browser is sent to after logging in). */
export function withoutTokenParam(originalUrl: string): string {
  const url = new URL(originalUrl, PROBE_ORIGIN);
  url.searchParams.delete('token');
  return `${url.pathname}${url.search}${url.hash}`;
}
