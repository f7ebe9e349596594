import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { ADMIN, expectHubLayout, expectSignedIn, expectText, manage, refusedLogin, screenshot, sharedAdminPage, signIn, userRow, useBrowser, useLocalHub } from './helpers.ts';

/** /hub/admin with local accounts: counts, adding (password or setup link), roles, resets, revocation, deletion. */

const hub = useLocalHub();
const browser = useBrowser([hub]);

const PASSWORD = 'amber lighthouse 2031';

const adminPage = sharedAdminPage(browser.newPage, hub);

/** Adds a user from the "Add a user" form; an empty password asks for a setup link. */
async function addUser(page: Page, name: string, password = ''): Promise<void> {
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Initial password (leave empty to make a one-time setup link)').fill(password);
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.waitForLoadState();
}

async function expectNotice(page: Page, text: string): Promise<void> {
  await expectText(page.getByRole('status'), text);
}

/** A person signed in to their own browser. */
async function personSignedIn(name: string, password = PASSWORD): Promise<Page> {
  await hub.hub.services.userAdmin.add(name, { admin: false, password }, 'test');
  const page = await browser.newPage();
  await signIn(page, hub, name, password);
  return page;
}

/** Presses `button` in `name`'s Manage section (after `fill`, if given) and waits for the admin page's notice. */
async function manageAction(admin: Page, name: string, button: string, notice: string, fill?: (row: Locator) => Promise<void>): Promise<void> {
  const row = await manage(admin, name);
  await fill?.(row);
  // Delete asks first (a confirm dialog); the other actions do not.
  if (button.startsWith('Delete')) admin.once('dialog', (dialog) => void dialog.accept());
  await row.getByRole('button', { name: button }).click();
  await expectNotice(admin, notice);
}

function countsText(page: Page): Promise<string> {
  return page.locator('#counts').innerText();
}

describe('admin page: accounts', () => {
  it('shows the counts and adds an account with a password, who can then sign in', async () => {
    const admin = await adminPage();
    const users = hub.hub.services.users.count();
    expect(users).toBe(1);
    expect(await countsText(admin)).toBe('1 user · 0 servers running · 0 starting');
    await screenshot(admin, 'admin-1-page');
    await addUser(admin, 'gina', PASSWORD);
    await expectNotice(admin, 'Added gina.');
    expect(await countsText(admin)).toBe(`${users + 1} users · 0 servers running · 0 starting`);
    expect(await userRow(admin, 'gina').locator('td').nth(2).textContent()).toBe('active');
    const gina = await browser.newPage();
    await signIn(gina, hub, 'gina', PASSWORD);
  });

  it('adds an account with a one-time setup link that signs the person in from a fresh browser, once', async () => {
    const admin = await adminPage();
    await addUser(admin, 'hugo');
    const link = ((await admin.locator('#setup-link').textContent()) ?? '').trim();
    expect(link.startsWith(hub.url('/hub/setup?code='))).toBe(true);
    await screenshot(admin, 'admin-2-setup-link');

    const hugo = await browser.newPage();
    await hugo.goto(link);
    await expectHubLayout(hugo, 'Welcome, hugo');
    await hugo.getByLabel('New password').fill(PASSWORD);
    await hugo.getByLabel('Repeat it').fill(`${PASSWORD}!`);
    await hugo.getByRole('button', { name: 'Set password and sign in' }).click();
    await expectText(hugo.getByRole('alert'), 'The two passwords are not the same.');
    await hugo.getByLabel('New password').fill(PASSWORD);
    await hugo.getByLabel('Repeat it').fill(PASSWORD);
    await hugo.getByRole('button', { name: 'Set password and sign in' }).click();
    await expectSignedIn(hugo, hub);
    await expectHubLayout(hugo, 'Welcome, hugo');
    await screenshot(hugo, 'admin-3-setup-done');

    const again = await browser.newPage();
    await again.goto(link);
    await expectHubLayout(again, /^4\d\d · /);
    await expectText(again.locator('main'), 'This setup link is not valid: it was used already, or it expired.');
  });

  it('says whom a new setup link is for', async () => {
    const admin = await adminPage();
    await addUser(admin, 'yara');
    await admin.locator('#setup-link').waitFor();
    // An admin who adds several people must be able to tell which link goes to whom.
    expect(await admin.locator('.notice', { has: admin.locator('#setup-link') }).innerText()).toContain('yara');
  });

  it('refuses to add a user with a weak password and says why', async () => {
    const admin = await adminPage();
    await addUser(admin, 'ivo', 'ivo');
    await expectText(admin.getByRole('alert'), /password/i);
    expect(hub.hub.services.users.get('ivo')).toBeUndefined();
  });

  it('keeps the typed name on a refused add, says why beside the field, and leaves no POST address behind', async () => {
    const admin = await adminPage();
    await addUser(admin, 'Not A Name!');
    expect(admin.url()).toBe(hub.url('/hub/admin'));
    const field = admin.getByLabel('Username');
    expect(await field.inputValue()).toBe('Not A Name!');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    const error = admin.locator(`#${(await field.getAttribute('aria-describedby')) ?? 'none'}`);
    await expectText(error, /./);
    // Beside the field: right under it, inside the same form.
    const [fieldBox, errorBox] = [await field.boundingBox(), await error.boundingBox()];
    expect((errorBox?.y ?? 0) - ((fieldBox?.y ?? 0) + (fieldBox?.height ?? 0))).toBeLessThan(24);
    await screenshot(admin, 'admin-5-refused-add');
    // Reloading neither re-sends the form nor shows the error again.
    await admin.reload();
    expect(await admin.getByLabel('Username').inputValue()).toBe('');
    expect(await admin.getByRole('alert').count()).toBe(0);
  });

  it('asks before deleting a user, and deletes nothing when the admin says no', async () => {
    await hub.hub.services.userAdmin.add('dina', { admin: false, password: PASSWORD }, 'test');
    const admin = await adminPage();
    const row = await manage(admin, 'dina');
    const asked = new Promise<string>((resolve) => admin.once('dialog', (dialog) => {
      resolve(dialog.message());
      void dialog.dismiss();
    }));
    await row.getByRole('button', { name: 'Delete dina' }).click();
    expect(await asked).toBe('Delete dina, their account, sessions and tokens? This cannot be undone.');
    await admin.reload();
    expect(hub.hub.services.users.get('dina')).toBeDefined();
    await manageAction(admin, 'dina', 'Delete dina', 'Deleted dina.');
    expect(hub.hub.services.users.get('dina')).toBeUndefined();
  });

  it('re-issues a setup link for an existing user, which works once', async () => {
    await hub.hub.services.userAdmin.add('sven', { admin: false, password: null }, 'test');
    const admin = await adminPage();
    const row = await manage(admin, 'sven');
    await row.getByRole('button', { name: 'New setup link' }).click();
    expect(admin.url()).toBe(hub.url('/hub/admin'));
    const link = ((await admin.locator('#setup-link').textContent()) ?? '').trim();
    expect(link).toMatch(new RegExp(`^${hub.url('/hub/setup')}\\?code=`));
    const sven = await browser.newPage();
    await sven.goto(link);
    await sven.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await sven.getByLabel('Repeat it').fill(PASSWORD);
    await sven.getByRole('button', { name: 'Set password and sign in' }).click();
    await expectSignedIn(sven, hub);
    await admin.reload();
    expect(await admin.locator('#setup-link').count()).toBe(0);
  });

  it('lifts a login lock so that the person may try again at once', async () => {
    await hub.hub.services.userAdmin.add('lena', { admin: false, password: PASSWORD }, 'test');
    const lena = await browser.newPage();
    for (let attempt = 0; attempt < 5; attempt += 1) await refusedLogin(lena, hub, 'lena', 'not her password');
    expect(await refusedLogin(lena, hub, 'lena', PASSWORD)).toMatch(/^Too many failed attempts/);
    const admin = await adminPage();
    await manageAction(admin, 'lena', 'Lift login lock', 'Lifted the login lock on lena: they may try their password again.');
    await signIn(lena, hub, 'lena', PASSWORD);
  });

  it('rejects a pending sign-up', async () => {
    expect((await hub.hub.services.config.authenticator.accountManagement?.signUp('rita', PASSWORD))?.ok).toBe(true);
    const admin = await adminPage();
    const signups = admin.locator('section', { has: admin.getByRole('heading', { name: 'Sign-ups waiting for approval' }) });
    await signups.getByRole('listitem').filter({ hasText: 'rita' }).getByRole('button', { name: 'Reject' }).click();
    await expectNotice(admin, 'Deleted rita.');
    expect(await admin.getByRole('heading', { name: 'Sign-ups waiting for approval' }).count()).toBe(0);
    const rita = await browser.newPage();
    expect(await refusedLogin(rita, hub, 'rita', PASSWORD)).toBe('Invalid username or password.');
  });

  it('makes a user admin, and removes it again', async () => {
    const ivan = await personSignedIn('ivan');
    const admin = await adminPage();
    await manageAction(admin, 'ivan', 'Make admin', "Changed ivan's role.");
    expect(await userRow(admin, 'ivan').locator('td').nth(1).textContent()).toBe('admin');
    await ivan.reload();
    await ivan.getByRole('link', { name: 'Admin' }).click();
    await expectHubLayout(ivan, 'Administration');

    await manageAction(admin, 'ivan', 'Remove admin', "Changed ivan's role.");
    expect(await userRow(admin, 'ivan').locator('td').nth(1).textContent()).toBe('user');
    expect((await ivan.reload())?.status()).toBe(403);
    // An admin cannot demote or delete themselves by accident.
    const own = await manage(admin, ADMIN.name);
    expect(await own.getByRole('button', { name: /admin$/ }).count()).toBe(0);
    expect(await own.getByRole('button', { name: /^Delete/ }).count()).toBe(0);
  });

  it("resets a password: the old one stops working, the new one works, and the person's sessions end", async () => {
    const jan = await personSignedIn('jan');
    const admin = await adminPage();
    await manageAction(admin, 'jan', 'Reset password', "Reset jan's password and ended their sessions.", (row) =>
      row.getByLabel('New password for jan').fill('jan has a new password'),
    );
    await jan.goto(hub.url('/hub/home'));
    await jan.waitForURL(/\/hub\/login\?next=/);
    expect(await refusedLogin(jan, hub, 'jan', PASSWORD)).toBe('Invalid username or password.');
    await signIn(jan, hub, 'jan', 'jan has a new password');
  });

  it("revokes a user's sessions: their browser is signed out on its next navigation", async () => {
    const kai = await personSignedIn('kai');
    const admin = await adminPage();
    await manageAction(admin, 'kai', 'Revoke sessions and tokens', "Ended kai's sessions and revoked their tokens.");
    await kai.getByRole('link', { name: 'Tokens' }).click();
    await kai.waitForURL(hub.url('/hub/login?next=%2Fhub%2Ftoken'));
    await expectHubLayout(kai, 'Sign in');
  });

  it('deletes a user: gone from the list and the counts, and unable to sign in', async () => {
    const lea = await personSignedIn('lea');
    const admin = await adminPage();
    const before = hub.hub.services.users.count();
    await manageAction(admin, 'lea', 'Delete lea', 'Deleted lea.');
    expect(await userRow(admin, 'lea').count()).toBe(0);
    expect(await countsText(admin)).toMatch(new RegExp(`^${before - 1} users`));
    await lea.reload();
    await lea.waitForURL(/\/hub\/login/);
    expect(await refusedLogin(lea, hub, 'lea', PASSWORD)).toBe('Invalid username or password.');
  });
});
