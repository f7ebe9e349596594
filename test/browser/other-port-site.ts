import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll } from 'vitest';

/**
 * A site on another port of the hub's host, as any local user or user server can run one. Browsers
 * treat it as the same site as the hub (SameSite cookies go along) and cookies ignore ports, so
 * what it sets lands in the hub's cookie jar too.
 */
export interface OtherPortSite {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Every path the site was asked for, in order. */
  readonly requests: string[];
  /** Serves `html` at `path`, with these Set-Cookie lines. */
  page(path: string, html: string, setCookies?: readonly string[]): void;
}

/** Starts the site in beforeAll and stops it (every connection closed) in afterAll. */
export function useOtherPortSite(): OtherPortSite {
  const pages = new Map<string, { html: string; setCookies: readonly string[] }>();
  const requests: string[] = [];
  let server: Server | undefined;
  let origin = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const page = pages.get(new URL(req.url ?? '/', 'http://site.invalid').pathname);
      res.writeHead(page === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8', 'set-cookie': [...(page?.setCookies ?? [])] });
      res.end(page?.html ?? 'nothing here');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the other-port site has no TCP address');
    origin = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    if (server === undefined) return;
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return {
    get origin() {
      return origin;
    },
    requests,
    page(path, html, setCookies = []) {
      pages.set(path, { html, setCookies });
    },
  };
}

/** An HTML page with one form that sends itself as soon as the page loads. */
export function autoSubmittingForm(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`).join('');
  return `<!doctype html><title>Cute cats</title><form id="f" method="post" action="${action}">${inputs}</form><script>document.getElementById('f').submit()</script>`;
}
