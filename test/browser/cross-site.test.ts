import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BrowserLikeClient, xsrfFromPage } from '../support/browser-like-client.ts';
import { BrowserRecorder, expectHubLayout, expectText, screenshot, signIn, useBrowser, useHub } from './helpers.ts';
import { autoSubmittingForm, useOtherPortSite } from './other-port-site.ts';

/**
 * What a page on another port of the hub's host can do to a signed-in browser (real Chromium): toss
 * an XSRF cookie and post the hub's forms, bounce it off the hub's `next=` to itself, or send it to a
 * `?token=` link of another account. None of it works.
 */

const hub = useHub(
  () => ({ adminUsers: ['admin'] }),
  async (started) => {
    for (const name of ['bob', 'mallory']) started.services.userAdmin.create(name, false, 'test');
  },
);
const site = useOtherPortSite();
const browser = useBrowser([hub]);

/** A person's browser whose requests to the other site are expected: it reports to its own recorder. */
async function personAt(name: string, recorder: BrowserRecorder): Promise<Page> {
  const page = await browser.run.newPage({}, recorder);
  await signIn(page, hub, name);
  return page;
}

function apiToken(name: string): string {
  const user = hub.hub.services.users.get(name);
  if (user === undefined) throw new Error(`no user ${name}`);
  return hub.hub.services.tokens.mint({ userId: user.id, kind: 'api', scopes: ['inherit'] }).token;
}

/** Who the page's browser is signed in as, asked of the hub from the page itself. */
function signedInAs(page: Page): Promise<string | undefined> {
  return page.evaluate(async () => {
    const response = await fetch('/hub/api/user');
    return response.ok ? ((await response.json()) as { name: string }).name : undefined;
  });
}

function expectNothingBrokenBut(recorder: BrowserRecorder): void {
  expect(recorder.problems([new URL(hub.hub.baseUrl).origin, site.origin])).toEqual([]);
}

describe('a page on another port', () => {
  it('cannot make bob an admin by tossing an XSRF cookie and posting the admin form', async () => {
    // The attacker's own visit to the hub gives a nonce and the token the hub pairs with it.
    const attacker = new BrowserLikeClient(hub.hub.baseUrl);
    const token = xsrfFromPage((await attacker.get('/hub/login')).body);
    const nonce = attacker.cookie('gatehouse-xsrf')?.value as string;
    site.page('/cats', autoSubmittingForm(hub.url('/hub/admin/users/bob/admin'), { _xsrf: token, admin: '1' }), [`gatehouse-xsrf=${nonce}; Path=/hub/; SameSite=Lax`]);

    const recorder = new BrowserRecorder();
    const admin = await personAt('admin', recorder);
    await admin.goto(`${site.origin}/cats`);
    await admin.waitForURL((url) => url.origin === new URL(hub.hub.baseUrl).origin);
    expect(admin.url()).toBe(hub.url('/hub/admin/users/bob/admin'));
    // The cookie was tossed: the hub saw the attacker's nonce with the admin's session.
    const jar = await admin.context().cookies(hub.url('/hub/admin'));
    expect(jar.find((cookie) => cookie.name === 'gatehouse-xsrf')?.value).toBe(nonce);
    await expectHubLayout(admin, '403 · Forbidden');
    await expectText(admin.locator('main .card > p').first(), 'XSRF check failed');
    await screenshot(admin, 'cross-site-1-tossed-xsrf-refused');
    expect(hub.hub.services.users.get('bob')?.admin).toBe(false);
    expect(await signedInAs(admin)).toBe('admin');
    expectNothingBrokenBut(recorder);
    await admin.context().close();
  });

  it.each(['/.//', '/hub/../..//', '/hub/%2e%2e/%2e%2e//', '/..//', '/%2e%2e//'])('cannot use next=%s… to send a signed-in browser to itself', async (prefix) => {
    const landing = `/landed-${site.requests.length}`;
    site.page(landing, '<!doctype html><title>Landed</title>');
    const recorder = new BrowserRecorder();
    const alice = await personAt('alice', recorder);
    const next = `${prefix}${site.origin.replace('http://', '')}${landing}`;
    await alice.goto(hub.url(`/hub/login?next=${encodeURIComponent(next)}`));
    expect(new URL(alice.url()).origin).toBe(new URL(hub.hub.baseUrl).origin);
    await expectHubLayout(alice, 'Welcome, alice');
    expect(site.requests).not.toContain(landing);
    expectNothingBrokenBut(recorder);
    await alice.context().close();
  });

  it('cannot use the ?token= login chain to leave the hub either', async () => {
    const recorder = new BrowserRecorder();
    const visitor = await browser.run.newPage({}, recorder);
    const next = `/hub/%2e%2e/%2e%2e//${site.origin.replace('http://', '')}/landed-by-token`;
    await visitor.goto(hub.url(`/hub/login?next=${encodeURIComponent(next)}&token=${apiToken('alice')}`));
    expect(new URL(visitor.url()).origin).toBe(new URL(hub.hub.baseUrl).origin);
    await expectHubLayout(visitor, 'Welcome, alice');
    expect(site.requests).not.toContain('/landed-by-token');
    await visitor.context().close();
  });
});

describe('a ?token= link for another account', () => {
  it('asks a signed-in browser first, and switches only on the click', async () => {
    site.page('/free-gpu', `<!doctype html><title>Free GPUs</title><a id="go" href="${hub.url(`/hub/home?token=${apiToken('mallory')}`)}">claim yours</a>`);
    const recorder = new BrowserRecorder();
    const alice = await personAt('alice', recorder);
    await alice.goto(`${site.origin}/free-gpu`);
    await alice.locator('#go').click();
    await expectHubLayout(alice, 'Switch user?');
    expect(await alice.locator('#current-user').textContent()).toBe('alice');
    expect(await alice.locator('#target-user').textContent()).toBe('mallory');
    await screenshot(alice, 'cross-site-2-switch-user');
    expect(await signedInAs(alice)).toBe('alice');

    await alice.getByRole('link', { name: 'Stay signed in as alice' }).click();
    await expectHubLayout(alice, 'Welcome, alice');

    await alice.goBack();
    await expectHubLayout(alice, 'Switch user?');
    await alice.getByRole('button', { name: 'Sign in as mallory' }).click();
    await expectHubLayout(alice, 'Welcome, mallory');
    expect(alice.url()).toBe(hub.url('/hub/home'));
    expectNothingBrokenBut(recorder);
    await alice.context().close();
  });

  it('asks through a user server URL too', async () => {
    const recorder = new BrowserRecorder();
    const alice = await personAt('alice', recorder);
    await alice.goto(hub.url(`/user/mallory/tree?token=${apiToken('mallory')}`));
    await expectHubLayout(alice, 'Switch user?');
    expect(new URL(alice.url()).pathname).toBe('/hub/login');
    expect(await signedInAs(alice)).toBe('alice');
    expectNothingBrokenBut(recorder);
    await alice.context().close();
  });
});
