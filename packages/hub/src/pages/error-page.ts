import type { Context } from 'koa';
import type { GatehouseError } from '../errors.ts';
import { html, layout } from './html.ts';

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

export function renderErrorPage(ctx: Context, error: GatehouseError): string {
  const title = TITLES[error.status] ?? `Error ${error.status}`;
  const user = ctx.state['user'] as { name: string; admin: boolean } | undefined;
  return layout(
    { title, user, xsrfToken: ctx.state['xsrfToken'] as string | undefined },
    html`<section class="card">
      <h1>${error.status} · ${title}</h1>
      <p>${error.publicMessage}</p>
      <p class="muted">Code: <code>${error.code}</code></p>
      <p><a href="/hub/home">Back to home</a></p>
    </section>`,
  );
}
