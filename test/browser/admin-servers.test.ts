import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectHubLayout, expectText, manage, screenshot, sharedAdminPage, STEP_TIMEOUT, userRow, useBrowser, useHub } from './helpers.ts';

/** /hub/admin with other people's servers (start, stop, log) and a long user list (search, pages of 50). */

const hub = useHub(() => ({ adminUsers: ['root'] }));
const browser = useBrowser([hub]);

const adminPage = sharedAdminPage(browser.newPage, hub, 'root', 'any password');

/** Makes sure `name` exists (a user record, as after a first login). */
function ensureUser(name: string): void {
  if (hub.hub.services.users.get(name) === undefined) hub.hub.services.users.create(name, false);
}

function serverState(page: Page, name: string): Promise<string | null> {
  return userRow(page, name).locator('td').nth(5).textContent();
}

async function startFromAdmin(page: Page, name: string): Promise<void> {
  const row = await manage(page, name);
  await row.getByRole('button', { name: 'Start server' }).click();
  await expect.poll(() => hub.hub.services.servers.state(name), { timeout: STEP_TIMEOUT }).toBe('running');
  // The progress page moves on by itself once the server is ready.
  await page.waitForURL((url) => !url.pathname.startsWith('/hub/spawn-pending/'));
}

describe('admin page: servers', () => {
  it("starts another user's server and stops it again, with the counts following", async () => {
    ensureUser('mona');
    const admin = await adminPage();
    await startFromAdmin(admin, 'mona');
    await admin.goto(hub.url('/hub/admin'));
    expect(await admin.locator('#counts').innerText()).toMatch(/ · 1 server running · 0 starting$/);
    expect(await serverState(admin, 'mona')).toBe('running');
    await screenshot(admin, 'admin-servers-1-running');
    const row = await manage(admin, 'mona');
    await row.getByRole('button', { name: 'Stop server' }).click();
    await admin.waitForURL((url) => url.pathname === '/hub/admin');
    await expectText(admin.getByRole('status'), /Stopped mona's server\./);
    expect(await serverState(admin, 'mona')).toBe('stopped');
    expect(await admin.locator('#counts').innerText()).toMatch(/ · 0 servers running · 0 starting$/);
    expect(hub.hub.services.servers.state('mona')).toBe('stopped');
  });

  it("shows the server's log, linked from the user's row", async () => {
    ensureUser('nils');
    const admin = await adminPage();
    await startFromAdmin(admin, 'nils');
    await admin.goto(hub.url('/hub/admin'));
    const row = await manage(admin, 'nils');
    await row.getByRole('link', { name: 'Recent server log' }).click();
    await admin.waitForURL(hub.url('/hub/admin/users/nils/log'));
    await expectHubLayout(admin, "nils's server log");
    await expectText(admin.locator('#server-log'), /demo-app \S+: serving nils at http:\/\/127\.0\.0\.1:\d+\/user\/nils\//);
    await screenshot(admin, 'admin-servers-2-log');
    await admin.getByRole('link', { name: 'Back to admin' }).click();
    await expectHubLayout(admin, 'Administration');
    await hub.hub.services.servers.stop(hub.hub.services.userAdmin.require('nils'));
  });

  it("stays on pages the admin may see after starting another user's server", async () => {
    ensureUser('olaf');
    const admin = await adminPage();
    await startFromAdmin(admin, 'olaf');
    // The start took the admin to olaf's progress page; where it leads once the server is ready must not be a refusal.
    await admin.waitForLoadState();
    expect(await admin.locator('h1').textContent(), admin.url()).not.toMatch(/^40\d/);
    await hub.hub.services.servers.stop(hub.hub.services.userAdmin.require('olaf'));
  });

  it("offers only links the admin can follow in a running server's row", async () => {
    ensureUser('pia');
    await hub.hub.services.servers.start(hub.hub.services.userAdmin.require('pia'));
    await expect.poll(() => hub.hub.services.servers.state('pia'), { timeout: STEP_TIMEOUT }).toBe('running');
    const admin = await adminPage();
    const row = await manage(admin, 'pia');
    // Without adminAccess the admin may not open pia's server, so the row offers no link to it…
    expect(await row.getByRole('link', { name: 'Open server' }).count()).toBe(0);
    // …and every link it does offer leads somewhere the admin may go.
    const hrefs = await row.getByRole('link').evaluateAll((links) => links.map((link) => (link as HTMLAnchorElement).href));
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) {
      await admin.goto(href);
      expect(await admin.locator('h1').textContent(), href).not.toMatch(/^40\d/);
    }
    await hub.hub.services.servers.stop(hub.hub.services.userAdmin.require('pia'));
  });
});

describe('admin page: search and pagination', () => {
  it('pages through 60 users, 50 at a time, and finds them by name', async () => {
    for (let i = 1; i <= 60; i += 1) await hub.hub.services.userAdmin.add(`pager-${String(i).padStart(2, '0')}`, { admin: false }, 'test');
    const admin = await adminPage();
    await admin.getByLabel('Search by name').fill('pager');
    await admin.getByLabel('Search by name').press('Enter');
    await admin.waitForURL(hub.url('/hub/admin?q=pager'));
    const rows = admin.locator('tbody tr');
    await expectText(admin.getByText(/^Showing/), /^Showing 1–50 of 60\./);
    expect(await rows.count()).toBe(50);
    expect(await rows.first().locator('td').first().textContent()).toBe('pager-01');
    await screenshot(admin, 'admin-pagination-1');

    await admin.getByRole('link', { name: 'Next →' }).click();
    await expectText(admin.getByText(/^Showing/), /^Showing 51–60 of 60\./);
    expect(await rows.allTextContents().then((texts) => texts.length)).toBe(10);
    expect(await rows.last().locator('td').first().textContent()).toBe('pager-60');
    expect(await admin.getByRole('link', { name: 'Next →' }).count()).toBe(0);
    expect(await admin.getByLabel('Search by name').inputValue()).toBe('pager');

    await admin.getByRole('link', { name: '← Previous' }).click();
    await expectText(admin.getByText(/^Showing/), /^Showing 1–50 of 60\./);

    await admin.getByLabel('Search by name').fill('PAGER-4');
    await admin.getByRole('button', { name: 'Search' }).click();
    await expectText(admin.getByText(/^Showing/), /^Showing 1–10 of 10\./);
    expect(await rows.locator('td:first-child').allTextContents()).toEqual(Array.from({ length: 10 }, (_, i) => `pager-4${i}`));

    await admin.getByLabel('Search by name').fill('nobody-by-this-name');
    await admin.getByLabel('Search by name').press('Enter');
    await expectText(admin.getByText(/^Showing/), /^Showing 0–0 of 0\./);
  });
});
