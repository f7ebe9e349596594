import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { ProgressEvent, ProgressLog } from '../servers/progress.ts';

/** Streams a progress log as server-sent events (`data: {json}`), ending after the terminal event. */
export function streamProgress(ctx: Context, log: ProgressLog | undefined, fallback: ProgressEvent): void {
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
  ctx.status = 200;
  const stream = new PassThrough();
  ctx.body = stream;
  const send = (event: ProgressEvent) => {
    stream.write(`data: ${JSON.stringify(event)}\n\n`);
    if (event.ready === true || event.failed === true) stream.end();
  };
  if (log === undefined) {
    send(fallback);
    return;
  }
  const unsubscribe = log.subscribe(send);
  const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), 15_000);
  const cleanup = () => {
    clearInterval(heartbeat);
    unsubscribe();
  };
  stream.once('close', cleanup);
  stream.once('finish', cleanup);
  ctx.req.once('close', () => stream.end());
}
