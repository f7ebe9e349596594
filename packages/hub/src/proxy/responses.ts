import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { gatehouseError, type ErrorCode } from '../errors.ts';
import { renderErrorPage } from '../pages/error-page.ts';

/** Direct responses from the proxy path (outside Koa): redirects and errors, HTML or JSON as the client prefers. */

function wantsHtml(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'cache-control': 'no-store', 'content-length': '0' });
  res.end();
}

export function sendProxyError(req: IncomingMessage, res: ServerResponse, code: ErrorCode, message?: string, user?: { name: string; admin: boolean }): void {
  const error = gatehouseError(code, message);
  const headers: Record<string, string> = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  let body: string;
  if (wantsHtml(req)) {
    headers['content-type'] = 'text/html; charset=utf-8';
    headers['content-security-policy'] = "default-src 'self'; frame-ancestors 'none'";
    body = renderErrorPage(error, { user });
  } else {
    headers['content-type'] = 'application/json; charset=utf-8';
    body = JSON.stringify({ status: error.status, code: error.code, message: error.publicMessage });
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(error.status, headers);
  res.end(body);
}

/** Refuses a WebSocket handshake with a plain HTTP status on the raw socket. */
export function refuseUpgrade(socket: Duplex, status: number): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
