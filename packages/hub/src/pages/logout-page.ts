import type { UserRow } from '../db/users.ts';
import { html, layout } from './html.ts';

/**
 * What `GET /hub/logout` shows a signed-in browser: a button that posts the sign-out with its XSRF
 * token. Signing out on a bare GET would let any page (an `<img>` on another port is same-site) sign
 * the browser out and then into the attacker's account with a tossed login form.
 */
export function renderLogoutPage(model: { readonly user: UserRow; readonly xsrfToken: string }): string {
  return layout(
    { title: 'Sign out?', user: model.user, xsrfToken: model.xsrfToken },
    html`<section class="card narrow">
      <h1>Sign out?</h1>
      <p>You are signed in as <strong>${model.user.name}</strong>.</p>
      <form id="logout" method="post" action="/hub/logout">
        <input type="hidden" name="_xsrf" value="${model.xsrfToken}">
        <button type="submit">Sign out</button>
      </form>
      <p><a href="/hub/home">Stay signed in</a></p>
    </section>`,
  );
}
