import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectHubLayout, expectText, screenshot, signIn, useBrowser, useHub } from './helpers.ts';

/** /hub/token: create with a note and an expiry, shown once, usable against the API, revoked. */

const hub = useHub();
const browser = useBrowser([hub]);

async function createToken(page: Page, note: string, expiry: string): Promise<string> {
  await page.goto(hub.url('/hub/token'));
  await page.getByLabel('Note').fill(note);
  await page.getByLabel('Expires').selectOption({ label: expiry });
  await page.getByRole('button', { name: 'Create token' }).click();
  const value = page.locator('#new-token-value');
  await value.waitFor();
  return ((await value.textContent()) ?? '').trim();
}

async function expectTokenNotShown(page: Page, token: string): Promise<void> {
  expect(await page.locator('#new-token-value').count()).toBe(0);
  expect(await page.content()).not.toContain(token);
}

/** What /hub/api/user answers in a browser that sends only this token (no cookies). */
async function whoAmIWith(token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const page = await browser.newPage({ extraHTTPHeaders: { Authorization: `token ${token}` } });
  const response = await page.goto(hub.url('/hub/api/user'));
  const body = JSON.parse((await response?.text()) ?? '{}') as Record<string, unknown>;
  await page.context().close();
  return { status: response?.status() ?? 0, body };
}

describe('tokens page', () => {
  it('creates a token with a note and an expiry, shows it once, and it works against the API', async () => {
    const page = await browser.newPage();
    await signIn(page, hub, 'tina');
    await page.getByRole('link', { name: 'Tokens' }).click();
    await expectHubLayout(page, 'API tokens');
    await page.getByText('No tokens yet.').waitFor();
    // A token for a script should outlive the afternoon: the form offers 30 days first.
    expect(await page.getByLabel('Expires').locator('option:checked').textContent()).toBe('30 days');
    const createdAt = hub.hub.clock.now;
    const token = await createToken(page, 'nightly backup script', '1 day');
    expect(token).toMatch(/^\S{32,}$/);
    await page.getByText('Copy it now: it will not be shown again.').waitFor();
    const row = page.locator('tbody tr', { hasText: 'nightly backup script' });
    expect(await row.count()).toBe(1);
    const cells = await row.locator('td').allTextContents();
    expect(token.startsWith(cells[0]?.replace('…', '') ?? '-')).toBe(true);
    expect(Date.parse((await row.locator('td').nth(4).locator('time').getAttribute('datetime')) ?? '') - createdAt).toBe(86_400_000);
    expect(cells[4]).toBe('in 1 day');
    // Scopes in words: "inherit" means nothing to most people.
    expect(cells[2]).toBe('everything you can do');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: hub.url('') });
    await page.getByRole('button', { name: 'Copy' }).click();
    await expectText(page.getByRole('button', { name: 'Copied' }), 'Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await screenshot(page, 'tokens-1-created');

    const me = await whoAmIWith(token);
    expect(me.status).toBe(200);
    expect(me.body['name']).toBe('tina');

    await page.goto(hub.url('/hub/token'));
    await expectTokenNotShown(page, token);
    expect(await page.locator('tbody tr').count()).toBe(1);
  });

  it('does not show the token again, nor make another, when the page is reloaded', async () => {
    const page = await browser.newPage();
    await signIn(page, hub, 'ulla');
    const token = await createToken(page, 'reload check', '1 hour');
    // The page that shows the token is the answer to the form's POST: reloading it must not send the form again.
    await page.reload();
    await page.waitForLoadState();
    const tokens = hub.hub.services.tokens.listFor(hub.hub.services.userAdmin.require('ulla').id).filter((row) => row.kind === 'api');
    expect(tokens.map((row) => row.note)).toEqual(['reload check']);
    await expectTokenNotShown(page, token);
  });

  it('revokes a token: it disappears from the list and stops working', async () => {
    const page = await browser.newPage();
    await signIn(page, hub, 'vera');
    const token = await createToken(page, 'to be revoked', 'Never');
    const row = page.locator('tbody tr', { hasText: 'to be revoked' });
    expect(await row.locator('td').nth(4).textContent()).toBe('never');
    const prefix = ((await row.locator('td').first().textContent()) ?? '').replace('…', '');
    await row.getByRole('button', { name: `Revoke token ${prefix}` }).click();
    await page.waitForURL(hub.url('/hub/token'));
    await expectText(page.locator('main'), 'No tokens yet.');
    const me = await whoAmIWith(token);
    expect(me.status).toBe(403);
    expect(me.body['code']).toMatch(/^GATEHOUSE_ERR_/);
  });
});
