import type { CullConfig } from '../config/cull-schema.ts';

/** The limits that apply to one server, in seconds (0: that check is off). */
export interface CullLimits {
  readonly timeout: number;
  readonly maxAge: number;
}

/**
 * The limits for a server of a user in `groups`, started with `profile` (undefined: none):
 * each of timeout and maxAge is, in this order, the profile's override if it sets one, else the
 * longest among the user's groups' overrides that set one (0, never, counts as the longest: being
 * in a group with no limit lifts it), else the top-level value.
 */
export function cullLimitsFor(cull: Pick<CullConfig, 'timeout' | 'maxAge' | 'groups' | 'profiles'>, groups: readonly string[], profile: string | undefined): CullLimits {
  const fromProfile = profile === undefined ? undefined : cull.profiles[profile];
  const pick = (key: keyof CullLimits): number => {
    const own = fromProfile?.[key];
    if (own !== undefined) return own;
    let chosen: number | undefined;
    for (const group of groups) {
      const value = cull.groups[group]?.[key];
      if (value !== undefined) chosen = chosen === undefined ? value : longest(chosen, value);
    }
    return chosen ?? cull[key];
  };
  return { timeout: pick('timeout'), maxAge: pick('maxAge') };
}

function longest(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : Math.max(a, b);
}

/** Every limit set anywhere (top level, groups, profiles) of the given keys, in seconds. */
function limitsInUse(cull: CullConfig, keys: ReadonlyArray<keyof CullLimits>): number[] {
  const entries = [cull, ...Object.values(cull.groups), ...Object.values(cull.profiles)];
  return entries.flatMap((entry) => keys.map((key) => entry[key] ?? 0)).filter((value) => value > 0);
}

/** The shortest timeout and maxAge set anywhere (0 where none is): nothing shorter can apply to anyone. */
export function shortestLimits(cull: CullConfig): CullLimits {
  const shortest = (key: keyof CullLimits) => {
    const values = limitsInUse(cull, [key]);
    return values.length === 0 ? 0 : Math.min(...values);
  };
  return { timeout: shortest('timeout'), maxAge: shortest('maxAge') };
}

/** Whether any limit is set anywhere: otherwise the culler does not run at all. */
export function cullingEnabled(cull: CullConfig): boolean {
  return limitsInUse(cull, ['timeout', 'maxAge']).length > 0;
}

/** Seconds between sweeps: `every`, else half the shortest limit in use (at least 1 s, at most 5 min). */
export function sweepIntervalSeconds(cull: CullConfig): number {
  if (cull.every > 0) return cull.every;
  return Math.min(300, Math.max(1, Math.min(...limitsInUse(cull, ['timeout', 'maxAge'])) / 2));
}

/**
 * JUPYTERHUB_ACTIVITY_INTERVAL for servers: jupyterhub-singleuser reports its kernels' activity
 * every 300 s by default, too rarely for a shorter timeout; a third of the shortest timeout keeps a
 * busy server's reports ahead of its deadline.
 */
export function activityReportIntervalSeconds(cull: CullConfig): number | undefined {
  const timeouts = limitsInUse(cull, ['timeout']);
  if (timeouts.length === 0) return undefined;
  return Math.max(1, Math.min(300, Math.floor(Math.min(...timeouts) / 3)));
}
