import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, checkEveryPage, manage, signIn, useBrowser, useLocalHub } from './helpers.ts';

/** What assistive technology needs from every page: names for every control, landmarks, one h1. */

const hub = useLocalHub();
const browser = useBrowser([hub]);

/** Controls without an accessible name, and missing page structure. */
function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const visible = (element: Element) => !(element as HTMLElement).closest('[hidden]') && (element as HTMLInputElement).type !== 'hidden';
    const text = (value: string | null | undefined) => (value ?? '').trim() !== '';
    for (const control of document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea')) {
      if (!visible(control)) continue;
      const labelled = [...(control.labels ?? [])].some((label) => text(label.textContent)) || text(control.getAttribute('aria-label')) || control.hasAttribute('aria-labelledby');
      if (!labelled) found.push(`${control.tagName.toLowerCase()} name=${control.name} has no label`);
    }
    for (const control of document.querySelectorAll('button, a[href], summary')) {
      if (!text(control.textContent) && !text(control.getAttribute('aria-label'))) found.push(`${control.tagName.toLowerCase()} without a name`);
    }
    if (!text(document.documentElement.lang)) found.push('no lang on <html>');
    if (!text(document.title)) found.push('no <title>');
    if (document.querySelectorAll('main').length !== 1) found.push('not exactly one <main>');
    if (document.querySelectorAll('h1').length !== 1) found.push(`${document.querySelectorAll('h1').length} <h1> elements`);
    return found;
  });
}

describe('accessibility', () => {
  it('names every control on every page and gives each page its structure', async () => {
    expect(await checkEveryPage(browser.newPage, hub, unnamedControls)).toEqual([]);
  });

  it("shows 'Manage' in the admin table, with the user's name for screen readers only", async () => {
    const page = await browser.newPage();
    await signIn(page, hub, ADMIN.name, ADMIN.password);
    await page.goto(hub.url('/hub/admin'));
    const row = await manage(page, ADMIN.name);
    const summary = row.locator('summary');
    expect((await summary.textContent())?.replace(/\s+/g, ' ').trim()).toBe(`Manage ${ADMIN.name}`);
    // The name is in the markup for screen readers (class visually-hidden); on screen it would repeat the row's first cell.
    const box = await summary.locator('.visually-hidden').boundingBox();
    expect(box === null || (box.width <= 1 && box.height <= 1), `the name is drawn at ${JSON.stringify(box)}`).toBe(true);
  });
});
