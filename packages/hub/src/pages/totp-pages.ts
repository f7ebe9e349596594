import type { UserRow } from '../db/users.ts';
import { qrCodeSvg } from '../totp/qr-svg.ts';
import type { TotpEnrolment } from '../totp/second-factor.ts';
import { html, layout, raw, type SafeHtml } from './html.ts';

/** Pages of the second factor: the code step of a login, the account page, recovery codes shown once. */

interface Messages {
  readonly error?: string | undefined;
  readonly notice?: string | undefined;
}

function messages(model: Messages): SafeHtml {
  return html`${model.notice ? html`<p class="notice" role="status">${model.notice}</p>` : ''}
    ${model.error ? html`<p class="error" role="alert">${model.error}</p>` : ''}`;
}

/** One form with one field, `code` (a six-digit code or a recovery code). */
function codeForm(action: string, xsrfToken: string, button: string, idPrefix: string, autofocus = true): SafeHtml {
  return html`<form method="post" action="${action}">
      <input type="hidden" name="_xsrf" value="${xsrfToken}">
      <label for="${idPrefix}-code">Code</label>
      <input id="${idPrefix}-code" name="code" type="text" inputmode="text" autocomplete="one-time-code" autocapitalize="none"
        spellcheck="false" required ${autofocus ? raw('autofocus') : ''}>
      <button type="submit">${button}</button>
    </form>`;
}

function enrolmentBlock(enrolment: TotpEnrolment, username: string): SafeHtml {
  return html`<div class="totp-enrolment">
      <p>Scan this code with an authenticator app (any app for time-based codes), or enter the key by hand.</p>
      <figure>${raw(qrCodeSvg(enrolment.otpauthUri, `QR code to add ${username} to an authenticator app`))}</figure>
      <p>Key: <code id="totp-secret">${enrolment.secret}</code></p>
      <details><summary>Setup link for apps on this device</summary><p><a id="totp-uri" href="${enrolment.otpauthUri}">${enrolment.otpauthUri}</a></p></details>
      <p>Then enter the six-digit code the app shows.</p>
    </div>`;
}

export function renderTotpLoginPage(model: Messages & { xsrfToken: string; username: string; enrolment?: TotpEnrolment | undefined }): string {
  return layout(
    { title: 'Second factor' },
    html`<section class="card narrow"><h1>${model.enrolment ? 'Set up your second factor' : 'Enter your code'}</h1>
      <p>Signing in as <strong>${model.username}</strong>.</p>
      ${messages(model)}
      ${model.enrolment
        ? enrolmentBlock(model.enrolment, model.username)
        : html`<p>Enter the six-digit code from your authenticator app, or one of your recovery codes.</p>`}
      ${codeForm('/hub/login/totp', model.xsrfToken, model.enrolment ? 'Confirm and sign in' : 'Sign in', 'login')}
      <p><a href="/hub/login">Start again</a></p></section>`,
  );
}

export interface TotpAccountModel extends Messages {
  readonly user: UserRow;
  readonly xsrfToken: string;
  readonly active: boolean;
  readonly required: boolean;
  readonly recoveryCodesLeft: number;
  readonly enrolment?: TotpEnrolment | undefined;
}

export function renderTotpAccountPage(model: TotpAccountModel): string {
  const { user, xsrfToken } = model;
  let body: SafeHtml;
  if (model.active) {
    body = html`<p id="totp-status">Your second factor is <strong>on</strong>. You have ${model.recoveryCodesLeft} unused recovery
        ${model.recoveryCodesLeft === 1 ? 'code' : 'codes'}.</p>
      <h2>New recovery codes</h2><p>Makes ten new codes; the old ones stop working.</p>
      ${codeForm('/hub/account/totp/recovery-codes', xsrfToken, 'Make new recovery codes', 'recovery', false)}
      ${model.required
        ? html`<p class="muted">This hub requires a second factor for your account, so it cannot be turned off here.</p>`
        : html`<h2>Turn off</h2>${codeForm('/hub/account/totp/remove', xsrfToken, 'Turn off the second factor', 'remove', false)}`}`;
  } else if (model.enrolment !== undefined) {
    body = html`${enrolmentBlock(model.enrolment, user.name)}${codeForm('/hub/account/totp/confirm', xsrfToken, 'Confirm', 'confirm')}`;
  } else {
    body = html`<p id="totp-status">Your second factor is <strong>off</strong>. With it on, signing in also asks for a six-digit
        code from an authenticator app.</p>
      <form method="post" action="/hub/account/totp/setup"><input type="hidden" name="_xsrf" value="${xsrfToken}">
        <button type="submit">Set up a second factor</button></form>`;
  }
  return layout(
    { title: 'Second factor', user, xsrfToken },
    html`<section class="card"><h1>Second factor</h1>${messages(model)}${body}
      <p class="muted">API tokens are not affected: they work without the code. Revoke them on the <a href="/hub/token">tokens page</a>.</p></section>`,
  );
}

/** Shown once, right after they were made; only their hashes are kept. */
export function renderRecoveryCodesPage(model: { user?: UserRow | undefined; xsrfToken?: string | undefined; codes: readonly string[]; continueTo: string }): string {
  return layout(
    { title: 'Recovery codes', user: model.user, xsrfToken: model.xsrfToken },
    html`<section class="card narrow"><h1>Your recovery codes</h1>
      <p>Each code signs you in once instead of a six-digit code, if you lose your device. Keep them somewhere safe:
        this is the only time they are shown.</p>
      <ol id="recovery-codes">${model.codes.map((code) => html`<li><code>${code}</code></li>`)}</ol>
      <p><a href="${model.continueTo}">Continue</a></p></section>`,
  );
}
