import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, expectHubLayout, expectText, refusedLogin, screenshot, signIn, useBrowser, useHub, useLocalHub } from './helpers.ts';

/** Account pages of local accounts: change password, and sign-up with an admin's approval. */

const hub = useLocalHub();
const dummy = useHub();
const browser = useBrowser([hub, dummy]);

const PASSWORD = 'copper kettle 4471';
const NEW_PASSWORD = 'silver teapot 9043';

async function changePassword(page: Page, current: string, password: string, confirm = password): Promise<void> {
  await page.getByLabel('Current password').fill(current);
  await page.getByLabel('New password').fill(password);
  await page.getByLabel('Repeat it').fill(confirm);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.waitForLoadState();
}

describe('change password', () => {
  it('changes the password from the home page link; the old one stops working and other sessions end', async () => {
    await hub.hub.services.userAdmin.add('quinn', { admin: false, password: PASSWORD }, 'test');
    const laptop = await browser.newPage();
    await signIn(laptop, hub, 'quinn', PASSWORD);
    const phone = await browser.newPage();
    await signIn(phone, hub, 'quinn', PASSWORD);

    await phone.getByRole('link', { name: 'Change your password' }).click();
    await expectHubLayout(phone, 'Change your password');
    await changePassword(phone, 'not my password', NEW_PASSWORD);
    await expectText(phone.getByRole('alert'), 'The current password is incorrect.');
    await changePassword(phone, PASSWORD, NEW_PASSWORD, `${NEW_PASSWORD}?`);
    await expectText(phone.getByRole('alert'), 'The two passwords are not the same.');
    await changePassword(phone, PASSWORD, 'short');
    await expectText(phone.getByRole('alert'), /password/i);
    await changePassword(phone, PASSWORD, NEW_PASSWORD);
    await expectText(phone.getByRole('status'), 'Your password was changed. Other sessions were signed out.');
    await screenshot(phone, 'accounts-1-password-changed');

    // The session that changed it goes on; the other one is over.
    await phone.getByRole('link', { name: 'Home' }).click();
    await expectHubLayout(phone, 'Welcome, quinn');
    await laptop.reload();
    await laptop.waitForURL(/\/hub\/login\?next=%2Fhub%2Fhome$/);
    expect(await refusedLogin(laptop, hub, 'quinn', PASSWORD)).toBe('Invalid username or password.');
    await signIn(laptop, hub, 'quinn', NEW_PASSWORD);
  });

  it('offers no password change to accounts the hub keeps no password for', async () => {
    const page = await browser.newPage();
    await signIn(page, dummy, 'rolf');
    expect(await page.getByRole('link', { name: 'Change your password' }).count()).toBe(0);
    const response = await page.goto(dummy.url('/hub/change-password'));
    expect(response?.status()).toBe(400);
    await expectHubLayout(page, '400 · Bad request');
    await expectText(page.locator('main'), 'keeps no passwords');
  });
});

describe('sign-up with approval', () => {
  it('signs up from the login page, waits for approval, and signs in once an admin approved', async () => {
    const page = await browser.newPage();
    await page.goto(hub.url('/hub/login'));
    await page.getByRole('link', { name: 'No account yet? Sign up' }).click();
    await expectHubLayout(page, 'Create an account');
    await page.getByText('An administrator approves new accounts before they can sign in.').waitFor();
    const fill = async (name: string, password: string, confirm: string) => {
      await page.getByLabel('Username').fill(name);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByLabel('Repeat it').fill(confirm);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.waitForLoadState();
    };
    await fill('sami', PASSWORD, `${PASSWORD}.`);
    await expectText(page.getByRole('alert'), 'The two passwords are not the same.');
    expect(await page.getByLabel('Username').inputValue()).toBe('sami');
    await fill(ADMIN.name, PASSWORD, PASSWORD);
    await expectText(page.getByRole('alert'), 'That username is taken.');
    await fill('sami', PASSWORD, PASSWORD);
    await expectText(page.getByRole('status'), 'Thanks, sami: an administrator will approve your account.');
    await screenshot(page, 'accounts-2-signed-up');

    await page.getByRole('link', { name: 'Already have an account? Sign in' }).click();
    expect(await refusedLogin(page, hub, 'sami', PASSWORD)).toBe('Your account is waiting for an administrator to approve it.');

    const admin = await browser.newPage();
    await signIn(admin, hub, ADMIN.name, ADMIN.password);
    await admin.goto(hub.url('/hub/admin'));
    await admin.getByRole('heading', { name: 'Sign-ups waiting for approval' }).waitFor();
    await screenshot(admin, 'accounts-3-pending-signup');
    await admin.getByRole('button', { name: 'Approve sami' }).click();
    await expectText(admin.getByRole('status'), 'Approved sami.');
    expect(await admin.getByRole('heading', { name: 'Sign-ups waiting for approval' }).count()).toBe(0);

    await signIn(page, hub, 'sami', PASSWORD);
    await expectHubLayout(page, 'Welcome, sami');
  });

  it('has no sign-up page where sign-ups are closed', async () => {
    const page = await browser.newPage();
    await page.goto(dummy.url('/hub/login'));
    expect(await page.getByRole('link', { name: /Sign up/ }).count()).toBe(0);
    expect((await page.goto(dummy.url('/hub/signup')))?.status()).toBe(404);
    await expectHubLayout(page, '404 · Not found');
  });
});
