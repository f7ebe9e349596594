import type { Context } from 'koa';
import { gatehouseError, isGatehouseError } from '../errors.ts';

const DEFAULT_LIMIT = 64 * 1024;

async function readRaw(ctx: Context, limit: number): Promise<string> {
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > limit) throw gatehouseError('GATEHOUSE_ERR_PAYLOAD_TOO_LARGE', `request body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw gatehouseError('GATEHOUSE_ERR_PAYLOAD_TOO_LARGE', `request body over ${limit} bytes`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (isGatehouseError(error)) throw error;
    // The request stream only fails when the client does: it hung up mid-body or garbled the framing.
    throw gatehouseError('GATEHOUSE_ERR_CLIENT_ABORTED', `request body broken off after ${size} bytes: ${(error as Error).message}`);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A urlencoded form body as a flat record (the first value of a repeated field wins). */
export async function readForm(ctx: Context, limit = DEFAULT_LIMIT): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw gatehouseError('GATEHOUSE_ERR_UNSUPPORTED_MEDIA_TYPE', 'expected a form (application/x-www-form-urlencoded)');
  }
  const form: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(await readRaw(ctx, limit))) {
    if (!(key in form)) form[key] = value;
  }
  return form;
}

/** A JSON body (an empty body reads as `{}`); a malformed one is a 400 that says so. */
export async function readJson(ctx: Context, limit = DEFAULT_LIMIT): Promise<unknown> {
  const raw = await readRaw(ctx, limit);
  if (raw.trim() === '') return {};
  if (!ctx.is('application/json', 'text/plain') && ctx.get('content-type') !== '') {
    throw gatehouseError('GATEHOUSE_ERR_UNSUPPORTED_MEDIA_TYPE', 'expected application/json');
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', `malformed JSON body: ${(error as Error).message}`);
  }
}
