import type { Authenticator } from '@gatehouse/authenticators';
import { html, layout } from './html.ts';

export interface LoginPageModel {
  readonly authenticator: Authenticator;
  readonly next: string;
  readonly xsrfToken: string;
  readonly username?: string;
  readonly error?: string;
  readonly notice?: string;
}

export function renderLoginPage(model: LoginPageModel): string {
  const error = model.error ? html`<p class="error" role="alert">${model.error}</p>` : '';
  const notice = model.notice ? html`<p class="notice" role="status">${model.notice}</p>` : '';
  if (model.authenticator.loginStyle === 'automatic') {
    return layout(
      { title: 'Sign in' },
      html`<section class="card narrow"><h1>Sign in</h1>${error}
        <p>This hub signs you in through the site's login proxy. If you reached it directly, go through
        the proxy's address instead.</p></section>`,
    );
  }
  return layout(
    { title: 'Sign in', scripts: ['login.js'] },
    html`<section class="card narrow">
      <h1>Sign in</h1>
      ${model.authenticator.loginHint ? html`<p class="muted" id="login-hint">${model.authenticator.loginHint}</p>` : ''}
      ${notice}${error}
      <form method="post" action="/hub/login?next=${encodeURIComponent(model.next)}" autocomplete="on" id="password-login">
        <input type="hidden" name="_xsrf" value="${model.xsrfToken}">
        <input type="hidden" name="ticket" value="">
        <label for="username">Username</label>
        <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none"
          spellcheck="false" required autofocus value="${model.username ?? ''}">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password">
        <button type="submit">Sign in</button>
        <p id="sign-in-wait" role="status" aria-live="polite" hidden></p>
      </form>
      ${model.authenticator.accountManagement !== undefined && model.authenticator.accountManagement.signup !== 'closed'
        ? html`<p><a href="/hub/signup">No account yet? Sign up</a></p>`
        : ''}
      <details class="token-login">
        <summary>Sign in with an API token</summary>
        <form method="post" action="/hub/login?next=${encodeURIComponent(model.next)}">
          <input type="hidden" name="_xsrf" value="${model.xsrfToken}">
          <label for="token">Token</label>
          <input id="token" name="token" type="password" autocomplete="off">
          <button type="submit">Sign in with token</button>
        </form>
      </details>
    </section>`,
  );
}
