import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectText, focusedElement, screenshot, signIn, tabTo, useBrowser, useHub, type FocusStep } from './helpers.ts';

/** Everything a person does on the hub's own pages, done with Tab, typing and Enter only. */

const hub = useHub(() => ({ adminUsers: ['kim'] }));
const browser = useBrowser([hub]);

function expectAllDrawn(steps: readonly FocusStep[]): void {
  expect(steps.filter((step) => !step.focusVisible || !step.outlined)).toEqual([]);
}

/** Tabs through the whole page until focus comes back to the first stop; no stop may hide its focus. */
async function walkFocusRing(page: Page): Promise<FocusStep[]> {
  await page.keyboard.press('Tab');
  const first = await focusedElement(page);
  const steps = [first];
  for (let step = 0; step < 60; step += 1) {
    await page.keyboard.press('Tab');
    const now = await focusedElement(page);
    if (now.element === first.element && steps.length > 1) return steps;
    if (now.element !== 'body ""') steps.push(now);
  }
  throw new Error(`focus never came back to the start: ${steps.map((s) => s.element).join(' → ')}`);
}

describe('keyboard only', () => {
  it('signs in, starts, opens and stops the server with Tab, typing and Enter', async () => {
    const page = await browser.newPage();
    await page.goto(hub.url('/hub/login'));
    // The name field has focus on arrival (autofocus): typing starts at once.
    expect((await focusedElement(page)).element).toBe('input#username ""');
    expect(await page.getByLabel('Username').evaluate((element) => element === document.activeElement)).toBe(true);
    await page.keyboard.type('kim');
    await page.keyboard.press('Tab');
    expect(await page.getByLabel('Password', { exact: true }).evaluate((element) => element === document.activeElement)).toBe(true);
    await page.keyboard.type('any password');
    await page.keyboard.press('Enter');
    await page.waitForURL(hub.url('/hub/home'));

    const start = page.getByRole('button', { name: 'Start server' });
    const toStart = await tabTo(page, start);
    expectAllDrawn(toStart);
    await screenshot(page, 'keyboard-1-start-focused');
    await page.keyboard.press('Enter');
    await page.waitForURL(hub.url('/user/kim/'));
    await expectText(page.locator('#user'), 'kim');

    await page.goto(hub.url('/hub/home'));
    const open = page.getByRole('link', { name: 'Open server' });
    expectAllDrawn(await tabTo(page, open));
    await page.keyboard.press('Enter');
    await page.waitForURL(hub.url('/user/kim/'));

    await page.goto(hub.url('/hub/home'));
    const stop = page.getByRole('button', { name: 'Stop server' });
    expectAllDrawn(await tabTo(page, stop));
    await screenshot(page, 'keyboard-2-stop-focused');
    await page.keyboard.press('Enter');
    await expectText(page.locator('#server-status'), 'stopped');
    expect(hub.hub.services.servers.state('kim')).toBe('stopped');
    await page.getByRole('button', { name: 'Start server' }).waitFor();
  });

  it('opens the API-token sign-in with the keyboard', async () => {
    const page = await browser.newPage();
    await page.goto(hub.url('/hub/login'));
    const summary = page.getByText('Sign in with an API token');
    expectAllDrawn(await tabTo(page, summary));
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await page.getByLabel('Token').evaluate((element) => element === document.activeElement)).toBe(true);
  });

  it.each(['/hub/login', '/hub/home', '/hub/token', '/hub/admin'])('draws the focus on every stop of %s and lets it leave', async (pathname) => {
    const page = await browser.newPage();
    if (pathname !== '/hub/login') await signIn(page, hub, 'kim');
    await page.goto(hub.url(pathname));
    const steps = await walkFocusRing(page);
    expect(steps.length).toBeGreaterThan(1);
    expectAllDrawn(steps);
  });
});
