import type { UserRow } from '../db/users.ts';
import { html, layout } from './html.ts';

/** Pages for local accounts: choosing a password from a setup link, signing up, changing a password. */

interface FormPageModel {
  readonly xsrfToken: string;
  readonly error?: string | undefined;
  readonly notice?: string | undefined;
}

function messages(model: FormPageModel) {
  return html`${model.notice ? html`<p class="notice" role="status">${model.notice}</p>` : ''}
    ${model.error ? html`<p class="error" role="alert">${model.error}</p>` : ''}`;
}

export function renderSetupPage(model: FormPageModel & { username: string; code: string }): string {
  return layout(
    { title: 'Choose a password' },
    html`<section class="card narrow"><h1>Welcome, ${model.username}</h1>
      <p>Choose the password for your account.</p>${messages(model)}
      <form method="post" action="/hub/setup">
        <input type="hidden" name="_xsrf" value="${model.xsrfToken}">
        <input type="hidden" name="code" value="${model.code}">
        <label for="password">New password</label>
        <input id="password" name="password" type="password" autocomplete="new-password" required autofocus>
        <label for="confirm">Repeat it</label>
        <input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
        <button type="submit">Set password and sign in</button>
      </form></section>`,
  );
}

export function renderSignupPage(model: FormPageModel & { username?: string; approval: boolean }): string {
  return layout(
    { title: 'Sign up' },
    html`<section class="card narrow"><h1>Create an account</h1>${messages(model)}
      ${model.approval ? html`<p class="muted">An administrator approves new accounts before they can sign in.</p>` : ''}
      <form method="post" action="/hub/signup">
        <input type="hidden" name="_xsrf" value="${model.xsrfToken}">
        <label for="username">Username</label>
        <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus value="${model.username ?? ''}">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="new-password" required>
        <label for="confirm">Repeat it</label>
        <input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
        <button type="submit">Sign up</button>
      </form>
      <p><a href="/hub/login">Already have an account? Sign in</a></p></section>`,
  );
}

export function renderChangePasswordPage(model: FormPageModel & { user: UserRow }): string {
  return layout(
    { title: 'Change password', user: model.user, xsrfToken: model.xsrfToken },
    html`<section class="card narrow"><h1>Change your password</h1>${messages(model)}
      <form method="post" action="/hub/change-password">
        <input type="hidden" name="_xsrf" value="${model.xsrfToken}">
        <label for="current">Current password</label>
        <input id="current" name="current" type="password" autocomplete="current-password" required autofocus>
        <label for="password">New password</label>
        <input id="password" name="password" type="password" autocomplete="new-password" required>
        <label for="confirm">Repeat it</label>
        <input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
        <button type="submit">Change password</button>
      </form></section>`,
  );
}
