import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { passwordHasher } from '../../packages/authenticators/src/password-hashing.ts';
import { ADMIN, expectHubLayout, expectSignedIn, expectText, loginError, manage, refusedLogin, screenshot, signIn, submitLogin, useBrowser, useHub, useLocalHub, type HubHandle } from './helpers.ts';

/** The login page in a real browser: dummy and local accounts, refusals, throttling, API tokens. */

const dummy = useHub(() => ({ blockedUsers: ['mallory'] }));
const local = useLocalHub();
const throttled = useLocalHub({ throttle: { maxFailures: 2 } });
// Separate hubs: a lock also holds the client address (127.0.0.1 for every context here).
const resetting = useLocalHub({ throttle: { maxFailures: 2 } });
const proxied = useLocalHub({ throttle: { maxFailures: 2 } });
const browser = useBrowser([dummy, local, throttled, resetting, proxied]);

const PASSWORD = 'violet staircase 1987';

async function addAccount(handle: HubHandle, name: string, password = PASSWORD): Promise<void> {
  await handle.hub.services.userAdmin.add(name, { admin: false, password }, 'test');
}

async function signedInAs(page: Page): Promise<string> {
  return ((await page.locator('nav .who strong').textContent()) ?? '').trim();
}

describe('login with the dummy authenticator', () => {
  it('signs in with any password and says who is signed in', async () => {
    const page = await browser.newPage();
    await page.goto(dummy.url('/hub/login'));
    await expectHubLayout(page, 'Sign in');
    await screenshot(page, 'login-1-form');
    await signIn(page, dummy, 'alice', 'whatever');
    await expectHubLayout(page, 'Welcome, alice');
    expect(await signedInAs(page)).toBe('alice');
    await screenshot(page, 'login-2-home');
  });

  it('returns to the page that asked for the sign-in', async () => {
    const page = await browser.newPage();
    await page.goto(dummy.url('/hub/token'));
    await page.waitForURL(/\/hub\/login\?next=%2Fhub%2Ftoken$/);
    await submitLogin(page, dummy, 'carol', 'whatever');
    await page.waitForURL(dummy.url('/hub/token'));
    await expectHubLayout(page, 'API tokens');
  });

  it('signs out from the home page; the hub pages then ask for a sign-in again', async () => {
    const page = await browser.newPage();
    await signIn(page, dummy, 'dana');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(dummy.url('/hub/login'));
    await page.goto(dummy.url('/hub/home'));
    await page.waitForURL(dummy.url('/hub/login?next=%2Fhub%2Fhome'));
  });

  it("asks before signing out at JupyterHub's GET /hub/logout; its button signs out", async () => {
    const page = await browser.newPage();
    await signIn(page, dummy, 'dino');
    await page.goto(dummy.url('/hub/logout'));
    await expectHubLayout(page, 'Sign out?');
    await screenshot(page, 'login-logout-confirm');
    await page.goto(dummy.url('/hub/home'));
    expect(await signedInAs(page), 'showing the question signs nobody out').toBe('dino');
    await page.goto(dummy.url('/hub/logout'));
    await page.locator('#logout').getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(dummy.url('/hub/login'));
    await page.goto(dummy.url('/hub/home'));
    await page.waitForURL(dummy.url('/hub/login?next=%2Fhub%2Fhome'));
  });

  it('tells a blocked user that they may not use the hub, keeping the name typed', async () => {
    const page = await browser.newPage();
    expect(await refusedLogin(page, dummy, 'mallory', 'whatever')).toBe('This user may not use the hub.');
    expect(await page.getByLabel('Username').inputValue()).toBe('mallory');
    await expectHubLayout(page, 'Sign in');
  });
});

describe('login with local accounts', () => {
  it('signs in with the right password and refuses a wrong one with a clear message', async () => {
    await addAccount(local, 'lena');
    const page = await browser.newPage();
    expect(await refusedLogin(page, local, 'lena', 'not her password')).toBe('Invalid username or password.');
    expect(await page.getByLabel('Username').inputValue()).toBe('lena');
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await screenshot(page, 'login-3-wrong-password');
    await signIn(page, local, 'lena', PASSWORD);
    expect(await signedInAs(page)).toBe('lena');
  });

  it('tells a sign-up that is not approved yet to wait for an administrator', async () => {
    const accounts = local.hub.services.config.authenticator.accountManagement;
    expect((await accounts?.signUp('pat', PASSWORD))?.ok).toBe(true);
    const page = await browser.newPage();
    await page.goto(local.url('/hub/login'));
    await page.getByRole('link', { name: 'No account yet? Sign up' }).waitFor();
    expect(await refusedLogin(page, local, 'pat', PASSWORD)).toBe('Your account is waiting for an administrator to approve it.');
  });

  it('signs in with an API token from the "Sign in with an API token" section', async () => {
    await addAccount(local, 'tomas');
    const user = local.hub.services.userAdmin.require('tomas');
    const { token } = local.hub.services.tokens.mint({ userId: user.id, kind: 'api', scopes: ['inherit'], note: 'browser test' });
    const page = await browser.newPage();
    await page.goto(local.url('/hub/login'));
    const tokenField = page.getByLabel('Token');
    expect(await tokenField.isVisible()).toBe(false); // folded away until asked for
    await page.getByText('Sign in with an API token').click();
    await tokenField.fill('gh_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in with token' }).click();
    expect(await loginError(page)).toBe('That token is not valid (or has expired).');
    await page.getByText('Sign in with an API token').click();
    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Sign in with token' }).click();
    await page.waitForURL(local.url('/hub/home'));
    expect(await signedInAs(page)).toBe('tomas');
  });
});

describe('login throttling', () => {
  it('says when to retry after too many failures, even with the right password', async () => {
    await addAccount(throttled, 'tess');
    const page = await browser.newPage();
    expect(await refusedLogin(page, throttled, 'tess', 'wrong guess one')).toBe('Invalid username or password.');
    expect(await refusedLogin(page, throttled, 'tess', 'wrong guess two')).toMatch(/^Too many failed attempts\. Try again in 15 minutes\.$/);
    expect(await refusedLogin(page, throttled, 'tess', PASSWORD)).toMatch(/^Too many failed attempts\. Try again in 1[45] minutes\.$/);
    await screenshot(page, 'login-4-throttled');
  });

  it('lets a locked-out user sign in once an admin has reset their password', async () => {
    // The admin signed in before the lock; the lock is what this test is about.
    await addAccount(resetting, 'theo');
    const admin = await browser.newPage();
    await signIn(admin, resetting, ADMIN.name, ADMIN.password);
    const page = await browser.newPage();
    await submitLogin(page, resetting, 'theo', 'wrong guess one');
    expect(await refusedLogin(page, resetting, 'theo', 'wrong guess two')).toMatch(/^Too many failed attempts/);
    await admin.goto(resetting.url('/hub/admin'));
    const row = await manage(admin, 'theo');
    await row.getByLabel('New password for theo').fill('a fresh start for theo');
    await row.getByRole('button', { name: 'Reset password' }).click();
    await admin.getByRole('status').getByText("Reset theo's password and ended their sessions.").waitFor();
    await submitLogin(page, resetting, 'theo', 'a fresh start for theo');
    await expectSignedIn(page, resetting);
  });

  it('does not lock out other people who reach the hub through the same front proxy', async () => {
    // Both come through the trusted proxy on 127.0.0.1, which names the real client in X-Forwarded-For.
    await addAccount(proxied, 'mika');
    await addAccount(proxied, 'nora');
    const attacker = await browser.newPage({ extraHTTPHeaders: { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'http' } });
    await submitLogin(attacker, proxied, 'mika', 'guess one');
    expect(await refusedLogin(attacker, proxied, 'mika', 'guess two')).toMatch(/^Too many failed attempts/);
    const nora = await browser.newPage({ extraHTTPHeaders: { 'X-Forwarded-For': '198.51.100.4', 'X-Forwarded-Proto': 'http' } });
    await submitLogin(nora, proxied, 'nora', PASSWORD);
    await expectSignedIn(nora, proxied);
  });
});

describe('waiting to sign in', () => {
  it('tells a person whose password check waits how many sign-ins are ahead, then signs both in', async () => {
    await addAccount(local, 'wren');
    await addAccount(local, 'yara');
    const pages = [await browser.newPage(), await browser.newPage()] as const;
    for (const [page, name] of [[pages[0], 'wren'], [pages[1], 'yara']] as const) {
      await page.goto(local.url('/hub/login'));
      await page.getByLabel('Username').fill(name);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    }
    const send = (page: Page) => page.locator('#password-login').evaluate((form: HTMLFormElement) => form.requestSubmit());
    /**
     * The place of the ticket login.js asks about. The page cannot be read while its form's answer is
     * pending (Playwright waits for it, bodies included), so the test asks the hub the same question.
     */
    const placeAsked = async (page: Page) => {
      const asked = await page.waitForRequest((request) => request.url().includes('/hub/login/place?ticket='));
      return (await fetch(asked.url())).json();
    };
    // The hub's argon2 child, held still: every password check waits in its line until it goes on.
    const hasher = passwordHasher.pid;
    expect(hasher).toBeDefined();
    process.kill(hasher as number, 'SIGSTOP');
    try {
      await send(pages[0]);
      expect(await placeAsked(pages[0])).toEqual({ ahead: 0 });
      await send(pages[1]);
      expect(await placeAsked(pages[1])).toEqual({ ahead: 1 });
    } finally {
      process.kill(hasher as number, 'SIGCONT'); // within the hasher's 30 s watchdog, or the checks fail
    }
    for (const page of pages) {
      await page.waitForURL(local.url('/hub/home'));
      await expectSignedIn(page, local);
    }
    expect([await signedInAs(pages[0]), await signedInAs(pages[1])]).toEqual(['wren', 'yara']);
  });

  it('words the place on the page while the form waits', async () => {
    const page = await browser.newPage();
    const csp = (await page.goto(local.url('/hub/login')))?.headers()['content-security-policy'] ?? '';
    // Only to read the page while it waits (see above): the form's answer is held as "204 No Content"
    // (the page stays) and the hub's count is given; the count itself is the hub's, tested above.
    await page.route('**/hub/login?*', (route) =>
      route.request().method() === 'POST' ? route.fulfill({ status: 204, headers: { 'content-security-policy': csp } }) : route.continue(),
    );
    let ahead = 3;
    await page.route('**/hub/login/place?*', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ ahead }) }));
    await page.getByLabel('Username').fill('wren');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expectText(page.locator('#sign-in-wait'), 'Signing in: 3 people are ahead of you. Please keep this page open.');
    expect(await page.getByRole('button', { name: 'Sign in', exact: true }).isDisabled()).toBe(true);
    await screenshot(page, 'login-6-waiting');
    ahead = 1;
    await expectText(page.locator('#sign-in-wait'), 'Signing in: 1 person is ahead of you. Please keep this page open.');
    ahead = 0;
    await expectText(page.locator('#sign-in-wait'), 'Signing in: checking your password…');
  });

  it('answers a place only for a well-formed ticket, and nothing for one not in line', async () => {
    const ask = (ticket: string) => fetch(local.url(`/hub/login/place?ticket=${encodeURIComponent(ticket)}`));
    const bad = await ask('short');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('ticket: expected 16–64 letters, digits, - or _');
    const unknown = await ask('A'.repeat(32));
    expect(unknown.status).toBe(200);
    expect(unknown.headers.get('cache-control')).toBe('no-store');
    expect(await unknown.json()).toEqual({ ahead: null });
  });
});
