import path from 'node:path';
import { z } from 'zod';
import { groupNameProblem } from '@gatehouse/authenticators';

/**
 * `profiles`, `allowedGroups` and `adminGroups`: what people may choose when they start a server,
 * and which groups decide who may log in and who is an admin. Documented for admins in
 * config/hub.config.ts; requests are checked against it by servers/user-options.ts.
 */

export const groupName = z.string().superRefine((value, ctx) => {
  const problem = groupNameProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

export const groupList = z.array(groupName).default([]);

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Set by the spawner from the account the server runs as (as for the spawner's own `env`). */
const ACCOUNT_VARIABLES = new Set(['USER', 'HOME']);

// Keys are checked here rather than by a key schema, so that a message names the variable's path.
const environment = z.record(z.string(), z.string().refine((value) => !value.includes('\0'), 'expected a string without NUL')).superRefine((env, ctx) => {
  for (const name of Object.keys(env)) {
    if (!ENV_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'expected a variable name of letters, digits and _' });
    else if (ACCOUNT_VARIABLES.has(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'set by the spawner from the account the server runs as' });
  }
});
const argumentList = z.array(z.string().refine((value) => !value.includes('\0'), 'expected a string without NUL'));
/** Opaque to the local spawner; a batch-scheduler spawner reads it (cpus, memory, partition…). */
const resources = z.record(z.string().min(1), z.union([z.string(), z.number()]));

/** What one option of a choice adds: arguments appended, environment and resources merged. */
const choiceOption = z.strictObject({
  displayName: z.string().min(1, 'expected a name people see'),
  args: argumentList.optional(),
  env: environment.optional(),
  resources: resources.optional(),
});

/** Keys of user options: `profile` is the profile's slug; the rest name choices. */
const CHOICE_KEY = /^[a-z][a-zA-Z0-9_]*$/;

const choice = z
  .strictObject({
    displayName: z.string().min(1, 'expected a name people see'),
    options: z.record(z.string().min(1), choiceOption).refine((options) => Object.keys(options).length > 0, 'expected at least one option'),
    /** The option preselected the first time; must be one of `options`. */
    default: z.string(),
  })
  .superRefine((value, ctx) => {
    if (!Object.hasOwn(value.options, value.default)) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: `expected one of the options (${Object.keys(value.options).join(', ')})` });
    }
  });

export const profileSchema = z.strictObject({
  /** Stable identifier: the value of `profile` in user options, remembered across starts. */
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected lower-case letters, digits and -'),
  displayName: z.string().min(1, 'expected a name people see'),
  description: z.string().default(''),
  /** Replaces the spawner's command (program and first arguments). */
  command: argumentList.min(1, 'expected the program to run').optional(),
  /** Replaces the spawner's extra arguments. */
  args: argumentList.optional(),
  /** Merged over the spawner's env (the hub's JUPYTERHUB_* variables still win). */
  env: environment.optional(),
  /** Replaces the spawner's working directory. */
  cwd: z.string().refine((value) => path.isAbsolute(value), 'expected an absolute path').optional(),
  resources: resources.optional(),
  choices: z
    .record(z.string(), choice)
    .default({})
    .superRefine((choices, ctx) => {
      for (const key of Object.keys(choices)) {
        if (!CHOICE_KEY.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'expected a key such as cpus (letters, digits, _)' });
        else if (key === 'profile') ctx.addIssue({ code: 'custom', path: [key], message: 'profile names the profile itself' });
      }
    }),
  /** Groups whose members may use the profile; empty: everyone. */
  groups: groupList,
});

export const profileList = z.array(profileSchema).default([]).superRefine((profiles, ctx) => {
  const seen = new Set<string>();
  profiles.forEach((profile, index) => {
    if (seen.has(profile.slug)) ctx.addIssue({ code: 'custom', path: [index, 'slug'], message: `another profile has the slug ${profile.slug}` });
    seen.add(profile.slug);
  });
});

export type ProfileConfig = z.output<typeof profileSchema>;
