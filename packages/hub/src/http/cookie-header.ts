/**
 * The one reading of a Cookie request header, used both to find the hub's session cookie and to
 * remove the hub's cookies before forwarding, so the two can never disagree about what a pair is.
 * It follows the `cookies` library Koa uses for the hub's pages: pairs are separated by `;`, a
 * name may be preceded by spaces and runs to the first `=`, the value runs to the next `;`.
 * `a=b gatehouse-user-session=X` is therefore one cookie, `a`, whose value contains a space.
 */

interface CookiePair {
  readonly name: string;
  readonly value: string;
  /** The pair as sent, without leading spaces. */
  readonly text: string;
}

/** Calls `visit` for each pair in order; stops when it returns true. */
function eachPair(header: string, visit: (pair: CookiePair) => boolean): void {
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    let nameStart = start;
    while (header.charCodeAt(nameStart) === 32) nameStart += 1;
    const equals = header.indexOf('=', nameStart);
    const hasValue = equals !== -1 && equals < end;
    const pair = {
      name: header.slice(nameStart, hasValue ? equals : end),
      value: hasValue ? header.slice(equals + 1, end) : '',
      text: header.slice(nameStart, end),
    };
    if (visit(pair)) return;
    start = end + 1;
  }
}

/**
 * The value of the cookie called exactly `name` when it is sent once; undefined when it is absent;
 * `null` when it is sent more than once. Two copies of one of the hub's cookies mean one was set by
 * someone else (a page on another port can set cookies for this host, with a narrower path, which the
 * browser sends first): such a request gets no identity from it.
 */
export function singleCookieValue(header: string | undefined, name: string): string | undefined | null {
  if (header === undefined || !header.includes(name)) return undefined;
  let found: string | undefined | null;
  eachPair(header, (pair) => {
    if (pair.name !== name) return false;
    found = found === undefined ? pair.value : null;
    return found === null;
  });
  return found;
}

/** The header without the pairs whose name starts with `prefix`, or undefined when nothing is left. */
export function withoutCookiesNamed(header: string, prefix: string): string | undefined {
  if (!header.includes(prefix)) return header;
  const kept: string[] = [];
  eachPair(header, (pair) => {
    if (pair.text.trim() !== '' && !pair.name.startsWith(prefix)) kept.push(pair.text);
    return false;
  });
  return kept.length > 0 ? kept.join('; ') : undefined;
}
