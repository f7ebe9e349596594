import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PROFILES } from '../support/profiles.ts';
import { expectHubLayout, expectText, screenshot, signIn, STEP_TIMEOUT, useBrowser, useHub } from './helpers.ts';

/**
 * In Chromium: an admin makes a group on /hub/admin/groups, and its member sees the profile form
 * when starting (more than one profile open to her), starts the staff profile with 4 CPUs, finds its
 * env in her server, and finds her choice preselected next time. Someone outside the group has one
 * profile without choices: no form. A tampered option is refused on the form, naming it.
 */

const hub = useHub(() => ({ adminUsers: ['admin'], profiles: PROFILES }));
const browser = useBrowser([hub]);

async function stopServer(name: string): Promise<void> {
  const user = hub.hub.services.users.get(name);
  if (user !== undefined) await hub.hub.services.servers.stop(user);
}

async function startFromHome(page: Page): Promise<void> {
  await page.goto(hub.url('/hub/home'));
  await page.getByRole('button', { name: 'Start server' }).click();
}

describe('groups on the admin page', () => {
  it('creates a group, adds and removes members, and deletes a group after a confirmation', async () => {
    hub.hub.services.userAdmin.create('bea', false, 'test');
    hub.hub.services.userAdmin.create('cal', false, 'test');
    const page = await browser.newPage();
    await signIn(page, hub, 'admin');
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('link', { name: 'Groups' }).click();
    await expectHubLayout(page, 'Groups');
    for (const name of ['staff', 'old']) {
      await page.getByLabel('New group').fill(name);
      await page.getByRole('button', { name: 'Create group' }).click();
      await expectText(page.getByRole('status'), 'Group created.');
    }
    const staff = page.locator('tr[data-group="staff"]');
    for (const member of ['bea', 'cal']) {
      await staff.getByLabel('Add a member').fill(member);
      await staff.getByRole('button', { name: 'Add', exact: true }).click();
      await expectText(page.getByRole('status'), 'Member added.');
    }
    await expectText(page.locator('tr[data-group="staff"] ul.members'), /bea.*cal/);
    await page.locator('tr[data-group="staff"]').getByRole('button', { name: 'Remove cal from staff' }).click();
    await expectText(page.getByRole('status'), 'Member removed.');
    await page.locator('tr[data-group="staff"]').getByLabel('Add a member').fill('nobody-such');
    await page.locator('tr[data-group="staff"]').getByRole('button', { name: 'Add', exact: true }).click();
    await expectText(page.getByRole('alert'), 'no such user nobody-such');
    await page.goto(hub.url('/hub/admin/groups'));
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('tr[data-group="old"]').getByRole('button', { name: 'Delete group' }).click();
    await expectText(page.getByRole('status'), 'Group deleted.');
    await screenshot(page, 'admin-groups');
    const groups = hub.hub.services.groups;
    expect(groups.get('old')).toBeUndefined();
    expect(groups.memberNames(groups.get('staff')?.id as number)).toEqual(['bea']);
  });
});

describe('the profile form', () => {
  it('lets a staff member choose the big profile with 4 CPUs; its env reaches her server', async () => {
    const page = await browser.newPage();
    await signIn(page, hub, 'bea');
    await startFromHome(page);
    await page.waitForURL(hub.url('/hub/spawn/bea'));
    await expectHubLayout(page, 'Start your server');
    expect(await page.getByRole('radio', { name: 'Small' }).isChecked()).toBe(true);
    await page.getByRole('radio', { name: 'Big' }).check();
    await page.getByLabel('CPUs').selectOption('4');
    await screenshot(page, 'profile-form');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(hub.url('/user/bea/'), { timeout: STEP_TIMEOUT });
    const shown = await page.goto(hub.url('/user/bea/api/environment'));
    expect(await shown?.json()).toEqual({ GATEHOUSE_DEMO_PROFILE: 'big', GATEHOUSE_DEMO_CPUS: '4' });
    await stopServer('bea');
  });

  it('preselects her last choice, and refuses a tampered option by name', async () => {
    const page = await browser.newPage();
    await signIn(page, hub, 'bea');
    await page.goto(hub.url('/hub/spawn/bea'));
    expect(await page.getByRole('radio', { name: 'Big' }).isChecked()).toBe(true);
    expect(await page.getByLabel('CPUs').inputValue()).toBe('4');
    await page.getByLabel('CPUs').evaluate((select: HTMLSelectElement) => {
      (select.options[0] as HTMLOptionElement).value = '64';
      select.selectedIndex = 0;
    });
    await page.getByRole('button', { name: 'Start' }).click();
    await expectText(page.getByRole('alert'), 'cpus: expected one of 1, 4');
    expect(hub.hub.services.servers.state('bea')).toBe('stopped');
  });

  it('shows no form to someone with one profile and no choices: the start goes straight on', async () => {
    const page = await browser.newPage();
    await signIn(page, hub, 'cal');
    await startFromHome(page);
    await page.waitForURL(hub.url('/user/cal/'), { timeout: STEP_TIMEOUT });
    const shown = await page.goto(hub.url('/user/cal/api/environment'));
    expect(await shown?.json()).toEqual({ GATEHOUSE_DEMO_PROFILE: 'small' });
    await stopServer('cal');
  });
});
