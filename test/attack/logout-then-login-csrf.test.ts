import { expect, it } from 'vitest';
import { BrowserLikeClient, xsrfFromPage } from '../support/browser-like-client.ts';
import { BrowserRecorder, signIn, useBrowser, useHub } from '../browser/helpers.ts';
import { useOtherPortSite } from '../browser/other-port-site.ts';

/**
 * The attack (a review finding, rated low; fixed: GET /hub/logout now asks, and only a POST with the
 * XSRF token signs out): a page on another port is same-site, so its <img> of GET /hub/logout carried
 * the session cookie and signed the browser out; it then posted the login form with a tossed XSRF
 * nonce/token pair, and the victim ended up signed in as the attacker (login CSRF), whose server then
 * received her work. Asserted: she stays signed in as herself.
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
