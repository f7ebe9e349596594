import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Authenticator, AuthResult } from '@gatehouse/authenticators';
import { expectHubLayout, expectText, screenshot, signIn, submitLogin, useBrowser, useHub } from './helpers.ts';

/** Error pages in the hub's layout: 404, 403, 503 with a start button, XSRF failure, 500. */

const INTERNAL_DETAIL = 'directory server ldap://10.9.8.7 refused bind for cn=hub,secret=hunter2';

/** A third-party authenticator whose backend is down: every login throws. */
class UnreachableDirectoryAuthenticator implements Authenticator {
  readonly kind = 'directory';
  readonly loginStyle = 'form' as const;
  readonly trustedHeaders: readonly string[] = [];
  init(): void {}
  async authenticate(): Promise<AuthResult> {
    throw new Error(INTERNAL_DETAIL);
  }
}

const hub = useHub();
const broken = useHub(() => ({ authenticator: new UnreachableDirectoryAuthenticator() }));
const browser = useBrowser([hub, broken]);

async function signedIn(name: string): Promise<Page> {
  const page = await browser.newPage();
  await signIn(page, hub, name);
  return page;
}

async function expectErrorPage(page: Page, status: number, title: string, message: string | RegExp): Promise<void> {
  await expectHubLayout(page, `${status} · ${title}`);
  await expectText(page.locator('main .card > p').first(), message);
  await page.getByRole('link', { name: 'Back to home' }).waitFor();
}

describe('error pages', () => {
  it('404: an unknown address, for a signed-in user and for a visitor', async () => {
    const page = await signedIn('olga');
    const response = await page.goto(hub.url('/hub/no-such-page'));
    expect(response?.status()).toBe(404);
    await expectErrorPage(page, 404, 'Not found', 'There is no page at this address.');
    expect(await page.locator('nav .who').textContent()).toContain('olga');
    await screenshot(page, 'errors-1-404');
    await page.getByRole('link', { name: 'Back to home' }).click();
    await page.waitForURL(hub.url('/hub/home'));

    const visitor = await browser.newPage();
    expect((await visitor.goto(hub.url('/hub/no-such-page')))?.status()).toBe(404);
    await expectErrorPage(visitor, 404, 'Not found', 'There is no page at this address.');
    expect(await visitor.locator('nav').count()).toBe(0);
  });

  it("403: bob opening alice's running server, and a non-admin opening the admin page", async () => {
    const alice = await signedIn('alice');
    await alice.getByRole('button', { name: 'Start server' }).click();
    await alice.waitForURL(hub.url('/user/alice/'));
    const bob = await signedIn('bob');
    const response = await bob.goto(hub.url('/user/alice/'));
    expect(response?.status()).toBe(403);
    await expectErrorPage(bob, 403, 'Forbidden', /alice/);
    await screenshot(bob, 'errors-2-403-other-server');
    expect(await bob.content()).not.toContain('Gatehouse demo server');

    expect((await bob.goto(hub.url('/hub/admin')))?.status()).toBe(403);
    await expectErrorPage(bob, 403, 'Forbidden', 'this requires an admin');
    await hub.hub.services.servers.stop(hub.hub.services.userAdmin.require('alice'));
  });

  it('503: a server that is not running, with a button that starts it', async () => {
    const page = await signedIn('carl');
    const response = await page.goto(hub.url('/user/carl/'));
    await page.waitForURL(hub.url('/hub/user/carl/'));
    expect(response?.status()).toBe(503);
    await expectErrorPage(page, 503, 'Server not running', "carl's server is not running.");
    await screenshot(page, 'errors-3-503');
    await page.getByRole('button', { name: 'Start server' }).click();
    await page.waitForURL(hub.url('/user/carl/'));
    await expectText(page.locator('#user'), 'carl');
    await hub.hub.services.servers.stop(hub.hub.services.userAdmin.require('carl'));
  });

  it('XSRF failure: a form from before a new sign-in is refused with advice that works', async () => {
    const page = await signedIn('dora');
    await page.goto(hub.url('/hub/token'));
    // In another tab dora signs out and in again: the new session voids the old page's XSRF token.
    const other = await page.context().newPage();
    await other.goto(hub.url('/hub/home'));
    await other.getByRole('button', { name: 'Sign out' }).click();
    await signIn(other, hub, 'dora');
    await other.close();
    await page.getByRole('button', { name: 'Create token' }).click();
    await expectErrorPage(page, 403, 'Forbidden', 'XSRF check failed: reload the page and try again');
    expect(await page.getByText('GATEHOUSE_ERR_XSRF').count()).toBe(1);
    await screenshot(page, 'errors-4-xsrf');
    // The advice: load the form again, send it again.
    await page.goto(hub.url('/hub/token'));
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('#new-token-value').waitFor();
  });

  it('500: a failing authenticator gives a generic page that reveals nothing of the failure', async () => {
    const page = await browser.newPage();
    await submitLogin(page, broken, 'erin', 'whatever');
    await page.waitForLoadState();
    await expectErrorPage(page, 500, 'Something went wrong', 'Internal server error');
    const html = await page.content();
    expect(html).not.toContain('ldap://');
    expect(html).not.toContain('hunter2');
    expect(html).not.toMatch(/at \S+\.ts:\d+/); // no stack trace
    expect(broken.hub.logs.text).toContain('request failed');
    await screenshot(page, 'errors-5-500');
  });

  it.each([
    ['the 404 page', '/hub/no-such-page'],
    ["the 403 page of another user's server", '/user/alice/'],
    ['the 403 page of the admin page', '/hub/admin'],
  ])('signs out from %s with its Sign out button (it asks first: the page has no XSRF token)', async (_what, pathname) => {
    const page = await signedIn('fritz');
    await page.goto(hub.url(pathname));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign out?' }).waitFor();
    await page.locator('#logout').getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/hub\/login/);
  });
});
