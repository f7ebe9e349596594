import type { UserRow } from '../db/users.ts';
import { html, layout } from './html.ts';

export interface HomePageModel {
  readonly user: UserRow;
  readonly xsrfToken: string;
}

export function renderHomePage(model: HomePageModel): string {
  const { user } = model;
  return layout(
    { title: 'Home', user, xsrfToken: model.xsrfToken },
    html`<section class="card">
      <h1>Welcome, ${user.name}</h1>
      <p>You are signed in as <strong>${user.name}</strong>${user.admin ? ' (administrator)' : ''}.</p>
      <p class="muted">Last activity: ${user.lastActivity ?? 'none yet'}</p>
    </section>`,
  );
}
