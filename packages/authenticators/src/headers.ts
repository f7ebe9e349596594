/**
 * One rule for "the same header in another spelling": names compare case-insensitively and with
 * `_` equal to `-`, because some front proxies and CGI-style servers map one to the other.
 * `Remote-User`, `remote_user` and `REMOTE-USER` are one header under this rule.
 */
export function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

/**
 * Every value sent under any spelling of `name`, in arrival order, from Node's `rawHeaders`.
 * `spellings` counts the distinct raw spellings seen, so callers can refuse `Remote-User` beside `Remote_User`.
 */
export function headerValues(rawHeaders: readonly string[], name: string): { values: string[]; spellings: number } {
  const wanted = canonicalHeaderName(name);
  const values: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const rawName = rawHeaders[i] as string;
    if (canonicalHeaderName(rawName) !== wanted) continue;
    values.push(rawHeaders[i + 1] as string);
    seen.add(rawName);
  }
  return { values, spellings: seen.size };
}
