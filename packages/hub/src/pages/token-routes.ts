import type Router from '@koa/router';
import type { Context } from 'koa';
import { gatehouseError } from '../errors.ts';
import { readForm } from '../http/body.ts';
import type { HubServices } from '../services.ts';
import { pagePrincipal, xsrfTokenFor } from './page-helpers.ts';
import { renderTokenPage, TOKEN_EXPIRY_CHOICES } from './token-page.ts';

const CREATED_TOKEN_KEY = 'createdToken';

function setSessionValue(ctx: Context, key: string, value: string | undefined): void {
  const session = ctx.session as unknown as Record<string, unknown> | null;
  if (session === null) return;
  if (value === undefined) delete session[key];
  else session[key] = value;
}

/** The token created just before this page view, shown once: it is removed from the session as it is read. */
function takeCreatedToken(ctx: Context, services: HubServices): { id: number; token: string } | undefined {
  const sealed = (ctx.session as unknown as Record<string, unknown> | null)?.[CREATED_TOKEN_KEY];
  if (typeof sealed !== 'string') return undefined;
  setSessionValue(ctx, CREATED_TOKEN_KEY, undefined);
  const opened = services.box.open(sealed);
  return opened === undefined ? undefined : (JSON.parse(opened) as { id: number; token: string });
}

export function tokenPageRoutes(router: Router, services: HubServices): void {
  router.get('/hub/token', (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    const created = takeCreatedToken(ctx, services);
    const row = created === undefined ? undefined : services.tokens.listFor(principal.user.id).find((token) => token.id === created.id);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = renderTokenPage({
      user: principal.user,
      xsrfToken: xsrfTokenFor(ctx, services),
      tokens: services.tokens.listFor(principal.user.id),
      now: services.now(),
      ...(created !== undefined && row !== undefined ? { created: { token: created.token, row } } : {}),
    });
  });

  router.post('/hub/token', async (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    const form = await readForm(ctx);
    services.xsrf.verify(ctx, form['_xsrf']);
    const note = (form['note'] ?? '').trim().slice(0, 1000);
    const expiry = form['expires_in'] ?? '';
    const allowed = TOKEN_EXPIRY_CHOICES.map(([, seconds]) => (seconds === null ? '' : String(seconds)));
    if (!allowed.includes(expiry)) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'choose one of the listed expiry times');
    const created = services.tokens.mint({
      userId: principal.user.id,
      kind: 'api',
      scopes: ['inherit'],
      note: note === '' ? undefined : note,
      expiresInSeconds: expiry === '' ? undefined : Number(expiry),
    });
    services.logger.info({ username: principal.user.name, tokenId: created.row.id }, 'token created');
    // Post/redirect/get: a reload of the page must not make another token. The new token rides in
    // the server-side session once, sealed (the database never holds a usable token).
    setSessionValue(ctx, CREATED_TOKEN_KEY, services.box.seal(JSON.stringify({ id: created.row.id, token: created.token })));
    ctx.redirect('/hub/token');
  });

  router.post('/hub/token/:id/revoke', async (ctx) => {
    const principal = pagePrincipal(ctx);
    if (principal === undefined) return;
    services.xsrf.verify(ctx, (await readForm(ctx))['_xsrf']);
    const id = Number(ctx.params['id']);
    const row = Number.isInteger(id) ? services.tokens.get(id) : undefined;
    if (row === undefined || row.userId !== principal.user.id || row.kind !== 'api') throw gatehouseError('GATEHOUSE_ERR_NOT_FOUND', 'no such token');
    services.tokens.revoke(id);
    services.logger.info({ username: principal.user.name, tokenId: id }, 'token revoked');
    ctx.redirect('/hub/token');
  });
}
