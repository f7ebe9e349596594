import type { UserRow } from '../db/users.ts';
import { html, layout } from './html.ts';

export interface SwitchUserPageModel {
  /** Who the browser is signed in as. */
  readonly current: UserRow;
  /** Who the link's token would sign it in as. */
  readonly target: string;
  /** The link's token, sent back only when the person clicks. */
  readonly token: string;
  /** Where to go after switching (already a safe path on this hub). */
  readonly next: string;
  readonly xsrfToken: string;
}

/**
 * Shown when a `?token=` link would replace the browser's session with another user's: a link from
 * another site must not silently move someone into an account whose server then gets their work.
 */
export function renderSwitchUserPage(model: SwitchUserPageModel): string {
  const { current, target } = model;
  return layout(
    { title: 'Switch user?', user: current, xsrfToken: model.xsrfToken },
    html`<section class="card narrow">
      <h1>Switch user?</h1>
      <p>You are signed in as <strong id="current-user">${current.name}</strong>. This link would sign you in as
        <strong id="target-user">${target}</strong> instead.</p>
      <p>If you did not expect this, stay signed in as ${current.name}: someone may want you to work in their account.</p>
      <form id="switch-user" method="post" action="/hub/login?next=${encodeURIComponent(model.next)}">
        <input type="hidden" name="_xsrf" value="${model.xsrfToken}">
        <input type="hidden" name="token" value="${model.token}">
        <button type="submit">Sign in as ${target}</button>
      </form>
      <p><a href="/hub/home">Stay signed in as ${current.name}</a></p>
    </section>`,
  );
}
