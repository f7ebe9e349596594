import type { Context } from 'koa';
import { gatehouseError } from '../errors.ts';

/** JupyterHub's paginated listings: `?offset=&limit=`, and the `_pagination` envelope when asked for. */

const PAGINATION_TYPE = 'application/jupyterhub-pagination+json';
const MAX_LIMIT = 200;

export function pagination(ctx: Context): { offset: number; limit: number } {
  const offset = Number(ctx.query['offset'] ?? 0);
  const limit = Number(ctx.query['limit'] ?? MAX_LIMIT);
  if (!Number.isSafeInteger(offset) || offset < 0) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'offset: expected a non-negative integer');
  if (!Number.isSafeInteger(limit) || limit < 1) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', 'limit: expected a positive integer');
  return { offset, limit: Math.min(limit, MAX_LIMIT) };
}

/** Answers `items` (one page of `total`): a plain list, or the envelope when the client accepts it. */
export function sendPage(ctx: Context, items: unknown[], page: { offset: number; limit: number; total: number }, path: string): void {
  if (!ctx.get('accept').includes(PAGINATION_TYPE)) {
    ctx.body = items;
    return;
  }
  const { offset, limit, total } = page;
  const nextOffset = offset + items.length;
  const next = nextOffset < total ? { offset: nextOffset, limit, url: `${path}?offset=${nextOffset}&limit=${limit}` } : null;
  ctx.body = { items, _pagination: { offset, limit, total, next } };
}
