import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page, Response } from 'playwright-core';
import { DummyAuthenticator } from '@gatehouse/authenticators';
import { LocalProcessSpawner } from '@gatehouse/spawner';
import { ARTIFACTS_DIR } from '../support/browser.ts';
import { ADMIN, checkEveryPage, expectText, signIn, useBrowser, useHub, useLocalHub } from './helpers.ts';

/**
 * The pages as a person meets them on a laptop and on a phone: nothing wider than a 390 px screen,
 * the menu reachable, times in words with the exact time in a <time> element, no 404 for an icon.
 * Every page is photographed at both widths into test-artifacts/pages/ for a reviewer.
 */

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 900 };
const ACCENT = 'rgb(36, 80, 178)';

const hub = useLocalHub();
const dummy = useHub(() => ({ authenticator: new DummyAuthenticator() }));
const broken = useHub(() => ({
  spawner: new LocalProcessSpawner({ portRange: [32000, 39999], command: [process.execPath, '-e', 'console.error("ImportError: No module named notebook"); process.exit(3)'] }),
}));
const browser = useBrowser([hub, dummy, broken]);

/** What overflows the screen sideways: the page itself, or any element that reaches past its right edge. */
function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width) found.push(`page is ${document.documentElement.scrollWidth} px wide on a ${width} px screen`);
    for (const element of document.querySelectorAll('body *')) {
      // Inside a scrolling box (a table's card) is fine: the box scrolls, the page does not.
      if (element.closest('.table-scroll, pre') !== null && !element.matches('.table-scroll, pre')) continue;
      const box = element.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 0.5) found.push(`${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''} reaches ${Math.round(box.right)} px`);
    }
    return found.slice(0, 5);
  });
}

function shotName(page: Page, width: number): string {
  const name =
    new URL(page.url()).pathname.replace(/^\/hub\/?/, '').replace(/newcomer-\d+/, 'newcomer').replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '') || 'root';
  return path.join(ARTIFACTS_DIR, 'pages', `${name}-${width}.png`);
}

async function photographAndMeasure(page: Page, width: number): Promise<string[]> {
  await page.screenshot({ path: shotName(page, width), fullPage: true });
  const problems = width === PHONE.width ? await horizontalOverflow(page) : [];
  const signOut = page.getByRole('button', { name: 'Sign out' });
  if ((await signOut.count()) === 1) {
    const box = await signOut.boundingBox();
    if (box === null || box.x < 0 || box.x + box.width > width) problems.push(`Sign out is off-screen at ${JSON.stringify(box)}`);
  }
  return problems;
}

/** Gives the admin a token and some activity, so that the tables have rows to overflow with. */
function furnish(): void {
  const admin = hub.hub.services.users.get(ADMIN.name);
  if (admin === undefined) throw new Error('no admin');
  hub.hub.services.tokens.mint({ userId: admin.id, kind: 'api', scopes: ['inherit'], note: 'a rather long note about the nightly export script', expiresInSeconds: 86400 });
}

describe('page layout', () => {
  it('fits every page on a 390 px phone screen, and photographs each at 390 and 1280 px', async () => {
    furnish();
    const atWidth = (viewport: typeof PHONE) => () => browser.run.newPage({ viewport });
    const phone = await checkEveryPage(atWidth(PHONE), hub, (page) => photographAndMeasure(page, PHONE.width));
    const laptop = await checkEveryPage(atWidth(LAPTOP), hub, (page) => photographAndMeasure(page, LAPTOP.width));
    // Pages outside that tour: the second-factor page, and a start that failed.
    const more: string[] = [];
    for (const viewport of [PHONE, LAPTOP]) {
      const page = await browser.run.newPage({ viewport });
      await signIn(page, hub, ADMIN.name, ADMIN.password);
      await page.goto(hub.url('/hub/account/totp'));
      more.push(...(await photographAndMeasure(page, viewport.width)).map((finding) => `/hub/account/totp: ${finding}`));
      const failing = await browser.run.newPage({ viewport });
      await signIn(failing, broken, `fay${viewport.width}`);
      await failing.getByRole('button', { name: 'Start server' }).click();
      await failing.locator('#progress-failed').waitFor();
      more.push(...(await photographAndMeasure(failing, viewport.width)).map((finding) => `spawn failed: ${finding}`));
      await failing.goto(broken.url('/hub/home'));
      await failing.screenshot({ path: path.join(ARTIFACTS_DIR, 'pages', `home-after-failure-${viewport.width}.png`), fullPage: true });
      more.push(...(await horizontalOverflow(failing)).filter(() => viewport === PHONE).map((finding) => `home after a failure: ${finding}`));
      await page.context().close();
      await failing.context().close();
    }
    expect([...phone, ...laptop, ...more]).toEqual([]);
  });

  it('styles the menu links like the rest of the menu, and asks for no icon that is not there', async () => {
    const page = await browser.newPage();
    const missing: string[] = [];
    page.on('response', (response: Response) => {
      if (response.status() === 404) missing.push(response.url());
    });
    await signIn(page, hub, ADMIN.name, ADMIN.password);
    for (const name of ['Home', 'Tokens', 'Admin']) {
      const link = page.locator('nav').getByRole('link', { name, exact: true });
      expect(await link.evaluate((element) => getComputedStyle(element).color), name).toBe(ACCENT);
    }
    expect(await page.getByRole('button', { name: 'Sign out' }).evaluate((element) => getComputedStyle(element).color)).toBe(ACCENT);
    const icon = await page.request.get(hub.url('/favicon.ico'));
    expect(icon.status()).toBe(200);
    expect(await page.locator('link[rel=icon]').getAttribute('href')).toBe('/hub/static/favicon.svg');
    expect((await page.request.get(hub.url('/hub/static/favicon.svg'))).status()).toBe(200);
    expect(missing).toEqual([]);
  });

  it('says "3 min ago" with the exact time in a <time> element on home, admin and tokens', async () => {
    const page = await browser.newPage();
    await signIn(page, hub, ADMIN.name, ADMIN.password);
    const admin = hub.hub.services.users.get(ADMIN.name);
    if (admin === undefined) throw new Error('no admin');
    hub.hub.services.tokens.mint({ userId: admin.id, kind: 'api', scopes: ['inherit'], note: 'timed', expiresInSeconds: 7 * 86400 });
    hub.hub.services.users.recordActivity(new Map([[ADMIN.name, hub.hub.clock.now]]));
    hub.hub.clock.advance(3 * 60_000);
    for (const pathname of ['/hub/home', '/hub/admin', '/hub/token']) {
      await page.goto(hub.url(pathname));
      const times = page.locator('main time');
      expect(await times.count(), pathname).toBeGreaterThan(0);
      for (const time of await times.all()) {
        const datetime = (await time.getAttribute('datetime')) ?? '';
        expect(datetime, pathname).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(await time.getAttribute('title')).toBe(`${datetime.slice(0, 19).replace('T', ' ')} UTC`);
        expect(await time.textContent(), pathname).toMatch(/^(just now|\d+ (min|h|days?) ago|in \d+ (min|h|days?))$/);
      }
      expect(await page.locator('main').textContent(), pathname).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    }
    await page.goto(hub.url('/hub/token'));
    await expectText(page.locator('tbody tr', { hasText: 'timed' }), /3 min ago.*in 6 days/);
  });

  it('tells people on the dummy login page that any password works', async () => {
    const page = await browser.newPage();
    await page.goto(dummy.url('/hub/login'));
    await expectText(page.locator('#login-hint'), 'This is a test hub: any username and any password sign you in.');
    await page.goto(hub.url('/hub/login'));
    expect(await page.locator('#login-hint').count()).toBe(0);
  });
});
