import type { Context, Next } from 'koa';
import { databaseBusyError, isDatabaseBusy } from '../db/write-gate.ts';
import { toGatehouseError, type GatehouseError } from '../errors.ts';
import type { Logger } from '../log.ts';

export function isApiRequest(ctx: Context): boolean {
  return ctx.path.startsWith('/hub/api/') || ctx.path === '/hub/api' || ctx.path === '/hub/data';
}

/** The HTML page for an error outside /hub/api: pages/error-page.ts, handed in by app.ts (pages sit above http). */
export type ErrorPageRenderer = (error: GatehouseError, viewer: { user?: { name: string; admin: boolean } | undefined; xsrfToken?: string | undefined }) => string;

/**
 * Turns anything thrown into `{status, code, message}` JSON under /hub/api and an HTML page
 * elsewhere. A code that is not exposed (errors.ts) shows only its generic message; the detail goes to the log.
 */
export function errorHandler(logger: Logger, renderPage: ErrorPageRenderer) {
  return async function errorHandlerMiddleware(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (thrown) {
      const error = isDatabaseBusy(thrown) ? databaseBusyError(thrown) : toGatehouseError(thrown);
      logFailure(logger, ctx, error, thrown);
      sendError(ctx, error, renderPage);
    }
  };
}

/**
 * A client that hung up and a database held by another process are facts of life, not hub faults:
 * one line without a stack. Any other 5xx is a fault, logged at error level with its cause.
 */
function logFailure(logger: Logger, ctx: Context, error: GatehouseError, thrown: unknown): void {
  const request = { code: error.code, method: ctx.method, path: ctx.path };
  if (error.code === 'GATEHOUSE_ERR_CLIENT_ABORTED') logger.info({ ...request, reason: error.message }, 'client aborted the request');
  else if (error.code === 'GATEHOUSE_ERR_DATABASE_BUSY') logger.warn({ ...request, reason: error.message }, 'database busy; answered 503');
  else if (error.status >= 500) logger.error({ err: thrown, ...request }, 'request failed');
}

function sendError(ctx: Context, error: GatehouseError, renderPage: ErrorPageRenderer): void {
  ctx.status = error.status;
  const retryAfter = error.details['retryAfterSeconds'];
  if (typeof retryAfter === 'number') ctx.set('Retry-After', String(Math.ceil(retryAfter)));
  if (isApiRequest(ctx)) {
    ctx.body = { status: error.status, code: error.code, message: error.publicMessage, ...publicDetails(error) };
    return;
  }
  ctx.type = 'html';
  ctx.body = renderPage(error, {
    user: ctx.state['user'] as { name: string; admin: boolean } | undefined,
    xsrfToken: ctx.state['xsrfToken'] as string | undefined,
  });
}

function publicDetails(error: GatehouseError): Record<string, unknown> {
  return error.expose ? { ...error.details } : {};
}
