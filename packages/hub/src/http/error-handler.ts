import type { Context, Next } from 'koa';
import { toGatehouseError, type GatehouseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { renderErrorPage } from '../pages/error-page.ts';

export function isApiRequest(ctx: Context): boolean {
  return ctx.path.startsWith('/hub/api/') || ctx.path === '/hub/api' || ctx.path === '/hub/data';
}

/**
 * Turns anything thrown into `{status, code, message}` JSON under /hub/api and an HTML page
 * elsewhere. 5xx bodies carry only the generic message; the detail goes to the log.
 */
export function errorHandler(logger: Logger) {
  return async function errorHandlerMiddleware(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (thrown) {
      const error = toGatehouseError(thrown);
      if (error.status >= 500) {
        logger.error({ err: thrown, code: error.code, method: ctx.method, path: ctx.path }, 'request failed');
      }
      sendError(ctx, error);
    }
  };
}

export function sendError(ctx: Context, error: GatehouseError): void {
  ctx.status = error.status;
  const retryAfter = error.details['retryAfterSeconds'];
  if (typeof retryAfter === 'number') ctx.set('Retry-After', String(Math.ceil(retryAfter)));
  if (isApiRequest(ctx)) {
    ctx.body = { status: error.status, code: error.code, message: error.publicMessage, ...publicDetails(error) };
    return;
  }
  ctx.type = 'html';
  ctx.body = renderErrorPage(error, {
    user: ctx.state['user'] as { name: string; admin: boolean } | undefined,
    xsrfToken: ctx.state['xsrfToken'] as string | undefined,
  });
}

function publicDetails(error: GatehouseError): Record<string, unknown> {
  return error.expose ? { ...error.details } : {};
}
