import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { activityKey } from '../../packages/hub/src/servers/server-repository.ts';
import { PROFILES } from '../support/profiles.ts';
import { expectText, screenshot, sharedAdminPage, STEP_TIMEOUT, userRow, useBrowser, useHub } from './helpers.ts';

/**
 * /hub/admin as a table of servers: one row per server with its profile, sorted, searched as it is
 * typed, paged by the hub, start/stop all for the search, and states that follow by themselves.
 */

const hub = useHub(() => ({ adminUsers: ['root'], namedServers: { enabled: true, limitPerUser: 3 }, profiles: PROFILES }));
const browser = useBrowser([hub]);
const adminPage = sharedAdminPage(browser.newPage, hub, 'root', 'any password');

function user(name: string) {
  const { users } = hub.hub.services;
  return users.get(name) ?? users.create(name, false);
}

/** Starts `name`'s server `serverName` with `profile` and waits until it runs. */
async function running(name: string, serverName: string, profile: string): Promise<void> {
  const { servers } = hub.hub.services;
  if (servers.state(name, serverName) === 'stopped') servers.start(user(name), serverName, { profile });
  await expect.poll(() => servers.state(name, serverName), { timeout: STEP_TIMEOUT }).toBe('running');
}

/** Each row's (user, server, status) as the table shows them. */
function tableRows(page: Page): Promise<string[][]> {
  return page.locator('#server-table tbody tr').evaluateAll((rows) =>
    rows.map((row) => [0, 3, 5].map((cell) => (row as HTMLTableRowElement).cells[cell]?.textContent?.trim() ?? '')),
  );
}

function cell(page: Page, name: string, server: string, column: number): Promise<string> {
  return userRow(page, name, server).locator('td').nth(column).innerText();
}

describe('admin page: one row per server', () => {
  it("shows each of a user's named servers as its own row, with its profile", async () => {
    await running('tarja', 'lab', 'small');
    await running('tarja', 'scratch', 'small');
    user('ulf');
    hub.hub.services.serverRepository.recordActivity(new Map([[activityKey(user('tarja').id, 'lab'), Date.now() - 3 * 60_000 - 5000]]));
    const admin = await adminPage();
    expect(await cell(admin, 'tarja', 'lab', 3)).toBe('lab');
    expect(await cell(admin, 'tarja', 'lab', 6)).toBe('3 min ago');
    // A server that has not been used yet: its start counts (as for the idle culler).
    expect(await cell(admin, 'tarja', 'scratch', 6)).toBe('just now');
    expect(await cell(admin, 'tarja', 'lab', 4)).toBe('Small');
    expect(await cell(admin, 'tarja', 'lab', 5)).toBe('running');
    expect(await cell(admin, 'tarja', 'scratch', 5)).toBe('running');
    // The default server's row: "default", no profile, and the user's own actions.
    expect(await cell(admin, 'tarja', '', 3)).toBe('default');
    expect(await cell(admin, 'tarja', '', 4)).toBe('—');
    expect(await cell(admin, 'tarja', '', 5)).toBe('stopped');
    // A user without any server is still there to manage.
    expect(await cell(admin, 'ulf', '', 5)).toBe('stopped');
    await userRow(admin, 'ulf').locator('summary').click();
    expect(await userRow(admin, 'ulf').getByRole('button', { name: 'Delete ulf' }).count()).toBe(1);
    // A named server's row has its own start/stop and log, not the user's actions.
    const lab = userRow(admin, 'tarja', 'lab');
    await lab.locator('summary').click();
    expect(await lab.getByRole('button', { name: 'Stop server' }).count()).toBe(1);
    expect(await lab.getByRole('button', { name: 'Delete tarja' }).count()).toBe(0);
    expect(await lab.getByRole('link', { name: 'Recent server log' }).getAttribute('href')).toBe('/hub/admin/users/tarja/log?server=lab');
    await screenshot(admin, 'admin-table-1-rows');
  });

  it('sorts by status, running first, and back', async () => {
    await running('tarja', 'lab', 'small');
    user('ulf');
    const admin = await adminPage();
    await admin.getByRole('link', { name: 'Status' }).click();
    await admin.waitForURL((url) => url.searchParams.get('sort') === 'status' && url.searchParams.get('dir') === 'asc');
    expect(await admin.locator('th[aria-sort="ascending"]').innerText()).toMatch(/^Status/);
    const ascending = await tableRows(admin);
    const firstStopped = ascending.findIndex((row) => row[2] === 'stopped');
    expect(firstStopped).toBeGreaterThan(0);
    expect(ascending.slice(0, firstStopped).every((row) => row[2] === 'running')).toBe(true);
    expect(ascending.slice(firstStopped).every((row) => row[2] === 'stopped')).toBe(true);
    await admin.getByRole('link', { name: /^Status/ }).click();
    await admin.waitForURL((url) => url.searchParams.get('dir') === 'desc');
    const descending = await tableRows(admin);
    expect(descending[0]?.[2]).toBe('stopped');
    expect(descending.at(-1)?.[2]).toBe('running');
  });

  it('narrows the rows as the admin types, without pressing Enter', async () => {
    await running('tarja', 'lab', 'small');
    user('ulf');
    const admin = await adminPage();
    const before = admin.url();
    await admin.getByLabel('Search by name').pressSequentially('tar', { delay: 30 });
    await expect.poll(async () => (await tableRows(admin)).map((row) => row[0]), { timeout: STEP_TIMEOUT }).toEqual(['tarja', 'tarja', 'tarja']);
    // The address follows the search (a reload shows the same), and the page did not reload.
    expect(admin.url()).toBe(hub.url('/hub/admin?q=tar'));
    expect(before).toBe(hub.url('/hub/admin'));
    // A server name matches too.
    await admin.getByLabel('Search by name').fill('scratch');
    await expect.poll(async () => (await tableRows(admin)).map((row) => `${row[0]}/${row[1]}`), { timeout: STEP_TIMEOUT }).toEqual(['tarja/scratch']);
    await screenshot(admin, 'admin-table-2-search');
  });

  it('pages through more than 50 users with page links', async () => {
    for (let i = 1; i <= 55; i += 1) user(`many-${String(i).padStart(2, '0')}`);
    const admin = await adminPage();
    await admin.goto(hub.url('/hub/admin?q=many-'));
    await expectText(admin.getByText(/^Showing/), /^Showing 1–50 of 55\./);
    await admin.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: '2', exact: true }).click();
    await expectText(admin.getByText(/^Showing/), /^Showing 51–55 of 55\./);
    expect((await tableRows(admin)).map((row) => row[0])).toEqual(['many-51', 'many-52', 'many-53', 'many-54', 'many-55']);
    expect(await admin.getByRole('navigation', { name: 'Pages' }).locator('[aria-current="page"]').innerText()).toBe('2');
  });

  it('stops only the servers the search matches, after the admin confirms', async () => {
    await running('tarja', 'lab', 'small');
    await running('tarja', 'scratch', 'small');
    await running('vera', '', 'small');
    const admin = await adminPage();
    await admin.getByLabel('Search by name').pressSequentially('tarja', { delay: 30 });
    await expect.poll(async () => (await tableRows(admin)).length, { timeout: STEP_TIMEOUT }).toBe(3);
    // Without the form's XSRF token the hub refuses, even with the admin's session.
    const forged = await admin.request.post(hub.url('/hub/admin/servers/stop-all'), { form: { q: 'vera' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(hub.hub.services.servers.state('vera')).toBe('running');
    // Dismissed: nothing stops.
    const questions: string[] = [];
    admin.once('dialog', (dialog) => {
      questions.push(dialog.message());
      void dialog.dismiss();
    });
    await admin.getByRole('button', { name: 'Stop all' }).click();
    await expect.poll(() => questions, { timeout: STEP_TIMEOUT }).toEqual(['Stop every running server matching “tarja”?']);
    expect(hub.hub.services.servers.state('tarja', 'lab')).toBe('running');
    // Confirmed: tarja's servers stop, vera's keeps running.
    admin.once('dialog', (dialog) => void dialog.accept());
    await admin.getByRole('button', { name: 'Stop all' }).click();
    await expectText(admin.getByRole('status'), /Stopped 2 servers\./);
    expect(admin.url()).toBe(hub.url('/hub/admin?q=tarja'));
    expect(hub.hub.services.servers.state('tarja', 'lab')).toBe('stopped');
    expect(hub.hub.services.servers.state('tarja', 'scratch')).toBe('stopped');
    expect(hub.hub.services.servers.state('vera')).toBe('running');
    await screenshot(admin, 'admin-table-3-stopped-all');
    // Start all for the same search starts them again, with the profile they had.
    admin.once('dialog', (dialog) => {
      questions.push(dialog.message());
      void dialog.accept();
    });
    await admin.getByRole('button', { name: 'Start all' }).click();
    await expectText(admin.getByRole('status'), /Starting 3 servers\./);
    expect(questions.at(-1)).toBe('Start every stopped server matching “tarja”?');
    await expect.poll(() => hub.hub.services.servers.state('tarja', 'lab'), { timeout: STEP_TIMEOUT }).toBe('running');
    expect(hub.hub.services.serverRepository.get(user('tarja').id, 'lab')?.userOptions['profile']).toBe('small');
  });

  it('follows a server stopped through the API without reloading the page', async () => {
    await running('vera', '', 'small');
    const admin = await adminPage();
    await admin.goto(hub.url('/hub/admin?q=vera'));
    expect(await cell(admin, 'vera', '', 5)).toBe('running');
    await admin.evaluate(() => Object.assign(window, { samePage: true }));
    const root = user('root');
    const { token } = hub.hub.services.tokens.mint({ userId: root.id, kind: 'api', scopes: ['inherit'], note: 'admin table test', expiresInSeconds: 600 });
    const response = await fetch(hub.url('/hub/api/users/vera/server'), { method: 'DELETE', headers: { Authorization: `token ${token}` } });
    expect(response.status).toBeLessThan(300);
    await expect.poll(() => cell(admin, 'vera', '', 5), { timeout: STEP_TIMEOUT }).toBe('stopped');
    const { running: left } = hub.hub.services.servers.counts();
    await expectText(admin.locator('#counts'), new RegExp(` · ${left} servers? running · 0 starting$`));
    expect(await admin.evaluate(() => (window as unknown as { samePage?: boolean }).samePage)).toBe(true);
  });
});
