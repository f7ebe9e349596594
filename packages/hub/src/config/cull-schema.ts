import { z } from 'zod';

/**
 * `cull`: the hub's own idle culler, with jupyterhub-idle-culler's options under camelCase names
 * (documented for admins in config/hub.config.ts; the activity rule is in the README). Every time is
 * in seconds; 0 switches that check off.
 */

const seconds = z.number().min(0, 'expected seconds, or 0 for never');

/** A group's or a profile's own limits; a key left out keeps the one above it. */
const limitsSchema = z.strictObject({ timeout: seconds.optional(), maxAge: seconds.optional() });

export const cullSchema = z
  .strictObject({
    /** Stop a server after this long without activity (0: never for idleness). */
    timeout: seconds.default(0),
    /** Seconds between sweeps (0: half of timeout, or of maxAge when timeout is 0; at least 1). */
    every: seconds.default(0),
    /** Stop a server this long after it started, active or not (0: never). */
    maxAge: seconds.default(0),
    /** Also delete users idle for timeout whose servers are all stopped. */
    users: z.boolean().default(false),
    /** With `users`: admins may be deleted too. */
    adminUsers: z.boolean().default(true),
    /** Whether named servers are culled for idleness (the default server always is). */
    namedServers: z.boolean().default(true),
    /** Remove a culled named server's record as well as stopping it. */
    removeNamedServers: z.boolean().default(false),
    /** Stops in flight at once. */
    concurrency: z.number().int('expected an integer').min(1, 'expected at least 1').default(10),
    /** Log what would be culled and stop nothing. */
    dryRun: z.boolean().default(false),
    /** Limits by group name: a user in several groups gets the longest of each (0, never, is the longest). */
    groups: z.record(z.string().min(1, 'expected a group name'), limitsSchema).default({}),
    /** Limits by server profile slug: they win over the groups' for servers started with that profile. */
    profiles: z.record(z.string().min(1, 'expected a profile slug'), limitsSchema).default({}),
  })
  .default({
    timeout: 0,
    every: 0,
    maxAge: 0,
    users: false,
    adminUsers: true,
    namedServers: true,
    removeNamedServers: false,
    concurrency: 10,
    dryRun: false,
    groups: {},
    profiles: {},
  });

export type CullConfig = z.output<typeof cullSchema>;
export type CullLimitsOverride = z.output<typeof limitsSchema>;
