/**
 * "did you mean `adminUsers`?" for a misspelt option: the known key closest to what was typed, when
 * it is close enough to be a typo (or differs only in case or a trailing s), else undefined.
 */
export function closestKey(typed: string, known: readonly string[]): string | undefined {
  const lower = typed.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(lower, key.toLowerCase());
    if (best === undefined || distance < best.distance) best = { key, distance };
  }
  if (best === undefined) return undefined;
  const allowed = Math.max(2, Math.floor(Math.min(typed.length, best.key.length) / 3));
  return best.distance <= allowed || best.key.toLowerCase().startsWith(lower) || lower.startsWith(best.key.toLowerCase()) ? best.key : undefined;
}

/** `unknown key; did you mean \`x\`?` or plain `unknown key`, in the wording every config message uses. */
export function unknownKeyProblem(typed: string, known: readonly string[]): string {
  const suggestion = closestKey(typed, known);
  return suggestion === undefined ? `unknown key (known keys: ${known.join(', ')})` : `unknown key; did you mean \`${suggestion}\`?`;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
