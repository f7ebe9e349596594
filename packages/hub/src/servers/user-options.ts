import type { SpawnOverrides } from '@gatehouse/spawner';
import type { ProfileConfig } from '../config/profiles-schema.ts';
import { gatehouseError } from '../errors.ts';

/**
 * Spawn options (JupyterHub's `user_options`): `{ "profile": "<slug>", "<choice>": "<option>" }`,
 * checked against the hub's `profiles` config and turned into what the spawner changes. Nothing a
 * client sends reaches a spawner unchecked: an unknown key, a value outside a choice's options or a
 * value that is not a string is a 400 GATEHOUSE_ERR_INVALID_USER_OPTIONS naming the key; a profile
 * the user's groups may not use is a 403 GATEHOUSE_ERR_PROFILE_NOT_ALLOWED.
 */

/** Who is starting: the server's owner (profiles are judged by the owner's groups, whoever clicks). */
export interface UserOptionsOwner {
  readonly name: string;
  readonly groups: readonly string[];
}

export interface ResolvedUserOptions {
  /** The options as understood, defaults filled in: `profile` and each of its choices (what is remembered). */
  readonly userOptions: Readonly<Record<string, string>>;
  /** What the spawner changes; undefined when the hub has no profiles. */
  readonly overrides: SpawnOverrides | undefined;
}

/** The profile slug a server was started with, from its stored user options (undefined: none). */
export function profileSlugOf(userOptions: Readonly<Record<string, unknown>>): string | undefined {
  const slug = userOptions['profile'];
  return typeof slug === 'string' ? slug : undefined;
}

/** The profiles `owner` may use, in config order (a profile without `groups` is for everyone). */
export function profilesFor(profiles: readonly ProfileConfig[], owner: UserOptionsOwner): ProfileConfig[] {
  return profiles.filter((profile) => profile.groups.length === 0 || profile.groups.some((group) => owner.groups.includes(group)));
}

/** Whether starting needs a form: more than one profile to pick from, or any choice to make. */
export function needsOptionsForm(profiles: readonly ProfileConfig[]): boolean {
  return profiles.length > 1 || profiles.some((profile) => Object.keys(profile.choices).length > 0);
}

/**
 * Checks `body` (the request's user options; `{}` or undefined for none) for `owner` and returns the
 * options with defaults filled in and the spawner overrides. Without `profile`, the first profile
 * the owner may use is taken; without a choice, its default. Throws the errors listed above.
 * Pure: the caller stores the result (the remembered choice) and starts the server.
 */
export function resolveUserOptions(config: { readonly profiles: readonly ProfileConfig[] }, owner: UserOptionsOwner, body: unknown): ResolvedUserOptions {
  const options = optionsObject(body);
  if (config.profiles.length === 0) {
    const [key] = Object.keys(options);
    if (key !== undefined) throw invalid(key, 'this hub offers no spawn options');
    return { userOptions: {}, overrides: undefined };
  }
  const allowed = profilesFor(config.profiles, owner);
  const profile = chosenProfile(config.profiles, allowed, options['profile'], owner);
  const userOptions: Record<string, string> = { profile: profile.slug };
  const chosen = [];
  for (const key of Object.keys(options)) {
    if (key !== 'profile' && !Object.hasOwn(profile.choices, key)) {
      throw invalid(key, `unknown option for the profile ${profile.slug} (known: ${['profile', ...Object.keys(profile.choices)].join(', ')})`);
    }
  }
  for (const [key, choice] of Object.entries(profile.choices)) {
    const value = options[key] === undefined ? choice.default : optionValue(key, options[key]);
    if (!Object.hasOwn(choice.options, value)) throw invalid(key, `expected one of ${Object.keys(choice.options).join(', ')}`);
    userOptions[key] = value;
    chosen.push(choice.options[value] as NonNullable<(typeof choice.options)[string]>);
  }
  return { userOptions, overrides: overridesOf(profile, chosen) };
}

/** A profile's own changes, then each chosen option's: arguments appended, env and resources merged. */
function overridesOf(
  profile: ProfileConfig,
  chosen: ReadonlyArray<{ args?: string[] | undefined; env?: Record<string, string> | undefined; resources?: Record<string, string | number> | undefined }>,
): SpawnOverrides {
  const args = chosen.some((option) => option.args !== undefined) ? [...(profile.args ?? []), ...chosen.flatMap((option) => option.args ?? [])] : profile.args;
  const env = Object.assign({}, profile.env, ...chosen.map((option) => option.env ?? {})) as Record<string, string>;
  const resources = Object.assign({}, profile.resources, ...chosen.map((option) => option.resources ?? {})) as Record<string, string | number>;
  return {
    ...(profile.command === undefined ? {} : { command: profile.command }),
    ...(args === undefined ? {} : { args }),
    ...(Object.keys(env).length === 0 ? {} : { env }),
    ...(profile.cwd === undefined ? {} : { cwd: profile.cwd }),
    ...(Object.keys(resources).length === 0 ? {} : { resources }),
  };
}

function chosenProfile(all: readonly ProfileConfig[], allowed: readonly ProfileConfig[], slug: unknown, owner: UserOptionsOwner): ProfileConfig {
  if (slug === undefined) {
    const first = allowed[0];
    if (first === undefined) throw gatehouseError('GATEHOUSE_ERR_PROFILE_NOT_ALLOWED', `no profile is open to ${owner.name}'s groups`);
    return first;
  }
  const value = optionValue('profile', slug);
  const profile = all.find((candidate) => candidate.slug === value);
  if (profile === undefined) throw invalid('profile', `no profile ${JSON.stringify(value)} (known: ${all.map((candidate) => candidate.slug).join(', ')})`);
  if (!allowed.includes(profile)) {
    throw gatehouseError('GATEHOUSE_ERR_PROFILE_NOT_ALLOWED', `the profile ${profile.slug} is only for members of ${profile.groups.join(', ')}`, {
      details: { key: 'profile' },
    });
  }
  return profile;
}

function optionsObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw gatehouseError('GATEHOUSE_ERR_INVALID_USER_OPTIONS', 'user options: expected a JSON object such as {"profile": "…"}');
  }
  return body as Record<string, unknown>;
}

/** Option values are strings; a number is read as its decimal text (`"cpus": 2` is `"2"`). */
function optionValue(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw invalid(key, 'expected a string');
}

function invalid(key: string, problem: string) {
  return gatehouseError('GATEHOUSE_ERR_INVALID_USER_OPTIONS', `${key}: ${problem}`, { details: { key } });
}
