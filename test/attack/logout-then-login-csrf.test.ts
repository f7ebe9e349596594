import { expect, it } from 'vitest';
import { BrowserLikeClient, xsrfFromPage } from '../support/browser-like-client.ts';
import { BrowserRecorder, signIn, useBrowser, useHub } from '../browser/helpers.ts';
import { useOtherPortSite } from '../browser/other-port-site.ts';

/**
 * FINDING (low): README says a tossed XSRF nonce/token pair "passes nothing once the browser is
 * signed in". But GET /hub/logout (kept for JupyterHub) needs no token, and a page on another port
 * is same-site, so its <img> carries the session cookie: it signs the browser out, then posts the
 * login form with the tossed pair. The signed-in victim ends up signed in as the attacker (login
 * CSRF), whose server then receives her work. Safe behaviour: she stays signed in as herself
 * (a GET logout without a token asks for confirmation, or refuses cross-site/same-site subresources).
 */

const hub = useHub(() => ({}), async (started) => {
  for (const name of ['alice', 'mallory']) started.services.userAdmin.create(name, false, 'test');
});
const site = useOtherPortSite();
const browser = useBrowser([hub]);

it('a signed-in browser is not moved into the attacker\'s account by GET /hub/logout plus a tossed login form', async () => {
  const attacker = new BrowserLikeClient(hub.hub.baseUrl);
  const token = xsrfFromPage((await attacker.get('/hub/login')).body);
  const nonce = attacker.cookie('gatehouse-xsrf')?.value as string;
  const form = `<form id="f" method="post" action="${hub.url('/hub/login')}"><input type="hidden" name="_xsrf" value="${token}">` +
    '<input type="hidden" name="username" value="mallory"><input type="hidden" name="password" value="x"></form>';
  site.page('/cats', `<!doctype html><title>cats</title>${form}<img src="${hub.url('/hub/logout')}" onerror="document.getElementById('f').submit()">`, [
    `gatehouse-xsrf=${nonce}; Path=/hub/; SameSite=Lax; HttpOnly`,
  ]);

  const page = await browser.run.newPage({}, new BrowserRecorder());
  await signIn(page, hub, 'alice');
  await page.goto(`${site.origin}/cats`);
  await page.waitForURL((url) => url.origin === new URL(hub.hub.baseUrl).origin);
  await page.waitForLoadState();
  const who = await page.evaluate(async () => {
    const response = await fetch('/hub/api/user');
    return response.ok ? ((await response.json()) as { name: string }).name : undefined;
  });
  expect(who).toBe('alice');
  await page.context().close();
}, 60_000);
