import { expect, it } from 'vitest';
import { LocalProcessSpawner } from '@gatehouse/spawner';
import { BrowserLikeClient } from '../support/browser-like-client.ts';
import { loginWithForm } from '../support/login.ts';
import { waitFor } from '../support/processes.ts';
import { BrowserRecorder, signIn, useBrowser, useHub } from '../browser/helpers.ts';
import { useOtherPortSite } from '../browser/other-port-site.ts';

/**
 * The attack (a review finding, rated high; fixed by the Path=/ binding tag, http/session-binding.ts):
 * a page on another port tosses the attacker's own proxy-session cookie at /user/mallory/ (cookies
 * ignore ports; plain HTTP has no Secure/__Host- protection). Were it taken, the victim, still signed
 * in as herself at /hub/, would open mallory's server as mallory, and mallory's code (same origin as
 * the hub) would read her hub pages with her /hub/ cookie, scrape the XSRF token and mint an API token
 * for her. Asserted: the victim's account gains no token (and mallory's code never runs for her).
 */

// mallory's "server": any page that, once opened in someone's browser, acts with their hub session.
const EVIL_SERVER = `
const http = require('node:http');
const url = new URL(process.env.JUPYTERHUB_SERVICE_URL);
const page = \`<!doctype html><title>cats</title><script>
(async () => {
  const home = await (await fetch('/hub/home')).text();
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(home)?.[1] ?? '';
  const me = await (await fetch('/hub/api/user')).json().catch(() => ({}));
  const made = await fetch('/hub/api/users/' + me.name + '/tokens', { method: 'POST', headers: { 'x-xsrftoken': xsrf, 'content-type': 'application/json' }, body: '{"note":"stolen"}' });
  document.title = 'done:' + me.name + ':' + made.status;
})();
</script>\`;
http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page); }).listen(Number(url.port), url.hostname);
`;

const hub = useHub(
  () => ({ spawner: new LocalProcessSpawner({ portRange: [41000, 41999], stopGracePeriod: 1, command: [process.execPath, '-e', EVIL_SERVER] }) }),
  async (started) => {
    for (const name of ['alice', 'carol', 'mallory']) started.services.userAdmin.create(name, false, 'test');
  },
);
const site = useOtherPortSite();
const browser = useBrowser([hub]);

// Path=/user/mallory/ shadows the victim's own cookie there (two values reach the proxy, the tossed one first);
// Path=/user/ overwrites the victim's /user/ cookie outright (one value): refusing duplicates alone is not a fix.
it.each([
  ['alice', '/user/mallory/'],
  ['carol', '/user/'],
])("%s's browser, with mallory's cookie tossed at %s, does not let mallory's server act as her", async (victim, tossPath) => {
  // mallory signs in, starts her server (once), and keeps her own proxy-session cookie.
  const mallory = await loginWithForm(hub.hub.baseUrl, 'mallory', 'x', new BrowserLikeClient(hub.hub.baseUrl));
  const malloryUser = hub.hub.services.users.get('mallory');
  if (malloryUser === undefined) throw new Error('no mallory');
  if (hub.hub.services.servers.state('mallory') === 'stopped') await hub.hub.services.servers.start(malloryUser);
  await waitFor("mallory's server", async () => (await mallory.get('/user/mallory/')).status === 200, 20_000);
  const malloryProxyCookie = mallory.cookie('gatehouse-user-session')?.value as string;

  site.page(`/cats-${victim}`, `<!doctype html><title>cats</title><script>location.href = ${JSON.stringify(hub.url('/user/mallory/'))}</script>`, [
    `gatehouse-user-session=${malloryProxyCookie}; Path=${tossPath}; SameSite=Lax; HttpOnly`,
  ]);

  const recorder = new BrowserRecorder();
  const page = await browser.run.newPage({}, recorder);
  await signIn(page, hub, victim);
  await page.goto(`${site.origin}/cats-${victim}`);
  // Wherever the hub sends her (mallory's page, a refusal, the login page): wait until she is back on the hub.
  await page.waitForURL((url) => url.origin === new URL(hub.hub.baseUrl).origin);
  // mallory's page reports when it is done (or the hub refused to serve it to her).
  await waitFor("mallory's page", async () => (await page.title()).startsWith('done:') || !page.url().startsWith(hub.url('/user/mallory/')), 10_000).catch(() => undefined);

  const victimUser = hub.hub.services.users.get(victim);
  const stolen = hub.hub.services.tokens.listFor(victimUser?.id ?? -1).filter((row) => row.note === 'stolen');
  expect(stolen, `mallory's page reported "${await page.title()}"`).toEqual([]);
  await page.context().close();
}, 60_000);
