import type { ProfileConfig } from '../config/profiles-schema.ts';
import type { UserRow } from '../db/users.ts';
import { html, layout, type SafeHtml } from './html.ts';
import { serverLabel } from '../servers/server-names.ts';
import { serverPath } from './server-pages.ts';

/**
 * The spawn options form (JupyterHub's options form): one radio button per profile the owner may
 * use, and under each its choices as selects named `profile-option-<slug>--<key>` (KubeSpawner's
 * naming), so every profile's choices can sit in one form without JavaScript. The last options the
 * owner started with are preselected. `formToUserOptions` turns the posted fields back into user
 * options, which resolveUserOptions then checks like any API request.
 */

export interface ProfileFormModel {
  readonly viewer: UserRow;
  readonly owner: string;
  /** The server being started: '' for the default one. */
  readonly serverName: string;
  readonly xsrfToken: string;
  readonly profiles: readonly ProfileConfig[];
  /** The owner's last options (`profile` and its choices), or none. */
  readonly remembered: Readonly<Record<string, string>> | undefined;
  readonly error?: string | undefined;
}

const FIELD_PREFIX = 'profile-option-';

function fieldName(slug: string, key: string): string {
  return `${FIELD_PREFIX}${slug}--${key}`;
}

export function renderProfileFormPage(model: ProfileFormModel): string {
  const rememberedSlug = model.remembered?.['profile'];
  const selectedSlug = model.profiles.some((profile) => profile.slug === rememberedSlug) ? rememberedSlug : model.profiles[0]?.slug;
  const title = model.viewer.name === model.owner && model.serverName === '' ? 'Start your server' : `Start ${serverLabel(model.owner, model.serverName)}`;
  return layout(
    { title, user: model.viewer, xsrfToken: model.xsrfToken },
    html`<section class="card">
      <h1>${title}</h1>
      ${model.error === undefined ? '' : html`<p class="error" role="alert" id="options-error">${model.error}</p>`}
      <form method="post" action="/hub/spawn/${serverPath({ owner: model.owner, serverName: model.serverName })}" id="spawn-options">
        <input type="hidden" name="_xsrf" value="${model.xsrfToken}">
        <fieldset><legend>Profile</legend>
          ${model.profiles.map((profile) => profileBlock(profile, profile.slug === selectedSlug, profile.slug === rememberedSlug ? model.remembered : undefined))}
        </fieldset>
        <button type="submit">Start</button>
      </form>
    </section>`,
  );
}

function profileBlock(profile: ProfileConfig, checked: boolean, remembered: Readonly<Record<string, string>> | undefined): SafeHtml {
  return html`<div class="profile" data-profile="${profile.slug}">
    <label><input type="radio" name="profile" value="${profile.slug}"${checked ? html` checked` : ''}> ${profile.displayName}</label>
    ${profile.description === '' ? '' : html`<p class="muted">${profile.description}</p>`}
    ${Object.entries(profile.choices).map(([key, choice]) => {
      const name = fieldName(profile.slug, key);
      const current = remembered?.[key] !== undefined && Object.hasOwn(choice.options, remembered[key]) ? remembered[key] : choice.default;
      return html`<label for="${name}">${choice.displayName}</label>
        <select id="${name}" name="${name}">
          ${Object.entries(choice.options).map(([value, option]) => html`<option value="${value}"${value === current ? html` selected` : ''}>${option.displayName}</option>`)}
        </select>`;
    })}
  </div>`;
}

/**
 * The posted form as user options: `profile`, the chosen profile's own fields under their choice
 * keys; other profiles' fields are dropped (they were on the page, not chosen). Any other field but
 * `_xsrf` is kept as it came, so resolveUserOptions refuses it by name.
 */
export function formToUserOptions(form: Readonly<Record<string, string>>): Record<string, string> {
  const options: Record<string, string> = {};
  const slug = form['profile'];
  if (slug !== undefined) options['profile'] = slug;
  for (const [name, value] of Object.entries(form)) {
    // The page's own fields: the XSRF token, and the home page's name for a new named server.
    if (name === '_xsrf' || name === 'profile' || name === 'server_name') continue;
    if (!name.startsWith(FIELD_PREFIX)) {
      options[name] = value;
      continue;
    }
    const [fieldSlug, key] = name.slice(FIELD_PREFIX.length).split('--');
    if (fieldSlug === slug && key !== undefined) options[key] = value;
  }
  return options;
}
