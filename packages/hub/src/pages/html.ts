import { escapeHtml } from '../html-escape.ts';

/**
 * Server-rendered HTML: one layout, escaping by default. `html` is a tagged template whose
 * interpolations are escaped unless they are `SafeHtml` (built by `html` itself or `raw`).
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] as string;
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] as string);
  });
  return new SafeHtml(out);
}

/** Trusted markup only (never user input). */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

export interface LayoutOptions {
  readonly title: string;
  /** The logged-in user, for the header; undefined on public pages. */
  readonly user?: { name: string; admin: boolean } | undefined;
  readonly xsrfToken?: string | undefined;
  /** Extra scripts from /hub/static/. */
  readonly scripts?: readonly string[];
}

export function layout(options: LayoutOptions, body: SafeHtml): string {
  const nav = options.user
    ? html`<nav aria-label="Main">
        <a href="/hub/home">Home</a>
        <a href="/hub/token">Tokens</a>
        ${options.user.admin ? html`<a href="/hub/admin">Admin</a>` : ''}
        <span class="who">Signed in as <strong>${options.user.name}</strong></span>
        ${options.xsrfToken
          ? html`<form method="post" action="/hub/logout" class="inline">
              <input type="hidden" name="_xsrf" value="${options.xsrfToken}">
              <button type="submit" class="link">Sign out</button>
            </form>`
          : html`<form method="get" action="/hub/logout" class="inline"><button type="submit" class="link">Sign out</button></form>`}
      </nav>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Gatehouse</title>
<link rel="stylesheet" href="/hub/static/style.css">
<link rel="icon" href="/hub/static/favicon.svg" type="image/svg+xml">
${(options.scripts ?? []).map((name) => html`<script src="/hub/static/${name}" defer></script>`)}
</head>
<body>
<header class="top"><a class="brand" href="/hub/home">Gatehouse</a>${nav}</header>
<main>
${body}
</main>
</body>
</html>
`.value;
}
