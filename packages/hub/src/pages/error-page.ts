import type { GatehouseError } from '../errors.ts';
import { html, layout, type SafeHtml } from './html.ts';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Sign-in required',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Too large',
  429: 'Too many requests',
  500: 'Something went wrong',
  502: 'Server not answering',
  503: 'Server not running',
};

export interface ErrorPageContext {
  readonly user?: { name: string; admin: boolean } | undefined;
  readonly xsrfToken?: string | undefined;
  /** Extra markup under the message (e.g. a start button on the 503 page). */
  readonly actions?: SafeHtml | undefined;
}

export function renderErrorPage(error: GatehouseError, context: ErrorPageContext = {}): string {
  const title = TITLES[error.status] ?? `Error ${error.status}`;
  return layout(
    { title, user: context.user, xsrfToken: context.xsrfToken },
    html`<section class="card">
      <h1>${error.status} · ${title}</h1>
      <p>${error.publicMessage}</p>
      ${context.actions ?? ''}
      <p class="muted">Code: <code>${error.code}</code></p>
      <p><a href="/hub/home">Back to home</a></p>
    </section>`,
  );
}
