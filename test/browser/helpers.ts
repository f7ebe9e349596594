import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { LocalAuthenticator, type LocalAuthenticatorOptions } from '@gatehouse/authenticators';
import type { GatehouseConfigInput } from '@gatehouse/hub';
import { CHROMIUM_PATH, processesMentioning } from '../support/browser.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';

/**
 * The browser suite's shared parts: one Debian chromium per test file (a fresh context per person
 * in a test), a recorder that every context reports to (requests, CSP violations, page errors), real
 * hubs whose servers always stop, and the page steps that several files take (sign in, tab to a control).
 */

export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../test-artifacts/browser');

const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** How long a page step may wait for the hub (a server start included). */
export const STEP_TIMEOUT = 20_000;

export const ADMIN = { name: 'admin', password: 'a long admin password' } as const;

/** What the browser did that a hub page must never cause. */
export class BrowserRecorder {
  readonly requests: string[] = [];
  readonly cspViolations: string[] = [];
  readonly pageErrors: string[] = [];
  /** Hub pages (/hub/…) served without the strict policy. */
  readonly unprotectedPages: string[] = [];

  attach(context: BrowserContext): void {
    context.on('request', (request) => this.requests.push(request.url()));
    context.on('response', (response) => {
      if (response.request().resourceType() !== 'document' || !new URL(response.url()).pathname.startsWith('/hub/')) return;
      const policy = response.headers()['content-security-policy'] ?? '';
      if (!policy.includes("script-src 'self'") || !policy.includes("frame-ancestors 'none'") || policy.includes('unsafe-')) {
        this.unprotectedPages.push(`${response.url()}: "${policy}"`);
      }
    });
    context.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) this.cspViolations.push(`${message.location().url}: ${message.text()}`);
    });
    context.on('weberror', (error) => this.pageErrors.push(String(error.error())));
  }

  /** Every request outside `origins`, every CSP violation, hub page without the policy, and uncaught script error. */
  problems(origins: readonly string[]): string[] {
    const foreign = this.requests.filter((url) => !origins.includes(new URL(url).origin)).map((url) => `request outside the hub: ${url}`);
    return [
      ...foreign,
      ...this.cspViolations.map((text) => `CSP violation: ${text}`),
      ...this.unprotectedPages.map((text) => `page without the strict CSP: ${text}`),
      ...this.pageErrors.map((text) => `page error: ${text}`),
    ];
  }
}

/** Profiles (`--user-data-dir`) of the chromium processes this test process started. */
function ownChromiumProfiles(): Set<string> {
  const profiles = new Set<string>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const parent = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ')[1];
      const profile = /--user-data-dir=([^\0]+)/.exec(readFileSync(`/proc/${entry}/cmdline`, 'utf8'))?.[1];
      if (Number(parent) === process.pid && profile !== undefined) profiles.add(profile);
    } catch {
      // the process exited while we looked
    }
  }
  return profiles;
}

/** One chromium for a test file; every context it opens reports to `recorder`. */
export class BrowserRun {
  readonly recorder = new BrowserRecorder();

  private constructor(
    private readonly browser: Browser,
    private readonly profile: string,
  ) {}

  static async launch(): Promise<BrowserRun> {
    const before = ownChromiumProfiles();
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS });
    const profile = [...ownChromiumProfiles()].find((candidate) => !before.has(candidate));
    if (profile === undefined) throw new Error('cannot find the profile of the chromium just launched');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    return new BrowserRun(browser, profile);
  }

  /** A fresh context (no cookies) with one page: one person at one computer. */
  async newPage(options: BrowserContextOptions = {}, recorder = this.recorder): Promise<Page> {
    const context = await this.browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
    context.setDefaultTimeout(STEP_TIMEOUT);
    recorder.attach(context);
    return context.newPage();
  }

  /** Closes chromium and proves that none of its processes outlives it. */
  async close(): Promise<void> {
    await this.browser.close();
    try {
      await vi.waitFor(() => expect(processesMentioning(this.profile)).toEqual([]), { timeout: 10_000, interval: 50 });
    } catch (error) {
      for (const pid of processesMentioning(this.profile)) process.kill(pid, 'SIGKILL');
      throw error;
    }
  }
}

/** Keeps a full-page picture of this step as test-artifacts/browser/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

export interface HubHandle {
  readonly hub: TestHub;
  url(pathname: string): string;
}

/** A real hub for this file (started in beforeAll); its servers are stopped and it closes in afterAll. */
export function useHub(config: () => Partial<GatehouseConfigInput> = () => ({}), prepare?: (hub: TestHub) => Promise<void>): HubHandle {
  let hub: TestHub | undefined;
  beforeAll(async () => {
    hub = await startTestHub({ stopServersOnShutdown: true, serverPollInterval: 1, ...config() });
    await prepare?.(hub);
  });
  afterAll(async () => {
    if (hub === undefined) return;
    await stopAllServers(hub);
    await hub.close();
    rmSync(hub.dataDir, { recursive: true, force: true });
  });
  const handle: HubHandle = {
    get hub() {
      if (hub === undefined) throw new Error('the hub starts in beforeAll');
      return hub;
    },
    url: (pathname) => `${handle.hub.baseUrl}${pathname}`,
  };
  return handle;
}

/** A hub with local accounts (sign-ups wait for approval) and one admin, ADMIN. */
export function useLocalHub(options: LocalAuthenticatorOptions = {}, config: Partial<GatehouseConfigInput> = {}): HubHandle {
  return useHub(
    () => ({ authenticator: new LocalAuthenticator({ signup: 'approval', ...options }), ...config }),
    async (hub) => {
      // A fresh hub with password accounts already made the first admin's account (without a password).
      const { userAdmin } = hub.services;
      if (hub.services.users.get(ADMIN.name)?.admin === true) await userAdmin.resetPassword(ADMIN.name, ADMIN.password, 'test');
      else await userAdmin.add(ADMIN.name, { admin: true, password: ADMIN.password }, 'test');
    },
  );
}

export async function stopAllServers(hub: TestHub): Promise<void> {
  const users = hub.services.users.list({ query: '', offset: 0, limit: 10_000 });
  await Promise.all(users.filter((user) => hub.services.servers.state(user.name) !== 'stopped').map((user) => hub.services.servers.stop(user)));
  // Named servers too.
  await Promise.all(hub.services.servers.routes().map((route) => hub.services.servers.stop({ id: route.userId, name: route.username }, route.serverName)));
}

/**
 * The file's chromium. Register it after the hubs: it closes first, then fails the file if any page
 * requested something outside those hubs, violated the Content-Security-Policy or threw.
 */
export function useBrowser(hubs: readonly HubHandle[]): { readonly run: BrowserRun; newPage(options?: BrowserContextOptions): Promise<Page> } {
  let run: BrowserRun | undefined;
  beforeAll(async () => {
    run = await BrowserRun.launch();
  });
  afterAll(async () => {
    if (run === undefined) return;
    await run.close();
    expect(run.recorder.problems(hubs.map((handle) => new URL(handle.hub.baseUrl).origin))).toEqual([]);
  });
  const current = () => {
    if (run === undefined) throw new Error('the browser starts in beforeAll');
    return run;
  };
  return {
    get run() {
      return current();
    },
    newPage: (options) => current().newPage(options),
  };
}

/** Signs in through the login form and waits for the home page. */
export async function signIn(page: Page, handle: HubHandle, username: string, password = 'any password'): Promise<void> {
  await submitLogin(page, handle, username, password);
  await expectSignedIn(page, handle);
}

/** The admin's browser, signed in once per file (through the nav's Admin link), brought to /hub/admin on every call. */
export function sharedAdminPage(newPage: () => Promise<Page>, handle: HubHandle, name: string = ADMIN.name, password: string = ADMIN.password): () => Promise<Page> {
  let page: Page | undefined;
  return async () => {
    if (page === undefined) {
      page = await newPage();
      await signIn(page, handle, name, password);
      await page.getByRole('link', { name: 'Admin' }).click();
    } else {
      await page.goto(handle.url('/hub/admin'));
    }
    await expectHubLayout(page, 'Administration');
    return page;
  };
}

/** Asserts the last login landed on the home page, or says what the login page said instead. */
export async function expectSignedIn(page: Page, handle: HubHandle): Promise<void> {
  await page.waitForLoadState();
  const alert = page.getByRole('alert');
  const refusal = (await alert.count()) > 0 ? await alert.textContent() : '';
  expect(page.url(), `login refused: ${refusal}`).toBe(handle.url('/hub/home'));
}

/** Fills and sends the login form, whatever the outcome (the click waits for the answer to arrive). */
export async function submitLogin(page: Page, handle: HubHandle, username: string, password: string): Promise<void> {
  if (!page.url().startsWith(handle.url('/hub/login'))) await page.goto(handle.url('/hub/login'));
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Sends the login form and returns the login page's refusal. */
export async function refusedLogin(page: Page, handle: HubHandle, username: string, password: string): Promise<string> {
  await submitLogin(page, handle, username, password);
  return loginError(page);
}

/** The login page's alert after a refused login. */
export async function loginError(page: Page): Promise<string> {
  await page.waitForLoadState();
  expect(page.url()).toContain('/hub/login');
  return (await page.getByRole('alert').textContent())?.trim() ?? '';
}

/** Asserts the page is one of the hub's: its layout, its stylesheet applied, and `heading` as h1. */
export async function expectHubLayout(page: Page, heading: string | RegExp): Promise<void> {
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  expect(await page.title()).toMatch(/ · Gatehouse$/);
  await page.locator('header.top a.brand', { hasText: 'Gatehouse' }).waitFor();
  // The stylesheet from /hub/static/ is what paints the page background.
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(246, 247, 249)');
}

/** Waits until `locator` shows `text`. */
export async function expectText(locator: Locator, text: string | RegExp): Promise<void> {
  await expect.poll(async () => ((await locator.textContent()) ?? '').replace(/\s+/g, ' '), { timeout: STEP_TIMEOUT }).toMatch(text);
}

export interface FocusStep {
  readonly element: string;
  readonly focusVisible: boolean;
  readonly outlined: boolean;
}

/** Where keyboard focus is now, and whether it is drawn. */
export function focusedElement(page: Page): Promise<FocusStep> {
  return page.evaluate(() => {
    const element = document.activeElement ?? document.body;
    const style = getComputedStyle(element);
    const text = element === document.body || element.matches('input, select') ? '' : (element.getAttribute('aria-label') ?? element.textContent ?? '');
    return {
      element: `${element.tagName.toLowerCase()}${element.id === '' ? '' : `#${element.id}`} "${text.trim().replace(/\s+/g, ' ').slice(0, 60)}"`,
      focusVisible: element.matches(':focus-visible'),
      outlined: style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) > 0,
    };
  });
}

/** Presses Tab until `target` has focus (at most `maxSteps`); returns every stop on the way. */
export async function tabTo(page: Page, target: Locator, maxSteps = 25): Promise<FocusStep[]> {
  const steps: FocusStep[] = [];
  for (let step = 0; step < maxSteps; step += 1) {
    await page.keyboard.press('Tab');
    steps.push(await focusedElement(page));
    if (await target.evaluate((element) => element === document.activeElement)) return steps;
  }
  throw new Error(`Tab never reached the target; focus went through: ${steps.map((s) => s.element).join(' → ')}`);
}

/** The admin table's row of `name`'s server `server` ('' the default server, whose row has the user's own actions). */
export function userRow(page: Page, name: string, server = ''): Locator {
  return page.locator(`#server-table tbody tr[data-server="${server}"]`).filter({ has: page.locator('td:first-child strong').getByText(name, { exact: true }) });
}

/** Opens the row's "Manage" disclosure and returns the row. */
export async function manage(page: Page, name: string, server = ''): Promise<Locator> {
  const row = userRow(page, name, server);
  await row.locator('summary', { hasText: 'Manage' }).click();
  return row;
}

/**
 * Visits every hub page of a hub with local accounts (`useLocalHub`), as a visitor and as ADMIN,
 * and returns what `check` found on each, prefixed with the page's path.
 */
export async function checkEveryPage(
  newPage: () => Promise<Page>,
  handle: HubHandle,
  check: (page: Page, response: Response | null) => Promise<string[]>,
): Promise<string[]> {
  const admin = await newPage();
  await signIn(admin, handle, ADMIN.name, ADMIN.password);
  await admin.goto(handle.url('/hub/admin'));
  const newcomer = `newcomer-${handle.hub.services.users.count()}`;
  await admin.getByLabel('Username').fill(newcomer);
  await admin.getByRole('button', { name: 'Add user' }).click();
  const setupLink = new URL(((await admin.locator('#setup-link').textContent()) ?? '').trim());
  // A group with a member, so the groups page shows its table and forms.
  if (handle.hub.services.groups.get('every-page') === undefined) handle.hub.services.groupAdmin.create('every-page', [ADMIN.name], 'test');
  const visitor = await newPage();
  const pages: Array<[Page, string]> = [
    [visitor, '/hub/login'],
    [visitor, '/hub/signup'],
    [visitor, `${setupLink.pathname}${setupLink.search}`],
    [visitor, '/hub/no-such-page'],
    [admin, '/hub/home'],
    [admin, '/hub/token'],
    [admin, '/hub/admin'],
    [admin, `/hub/admin/users/${newcomer}/log`],
    [admin, '/hub/admin/groups'],
    [admin, '/hub/change-password'],
    [admin, `/hub/user/${newcomer}/`],
  ];
  const findings: string[] = [];
  for (const [page, pathname] of pages) {
    const response = await page.goto(handle.url(pathname));
    findings.push(...(await check(page, response)).map((finding) => `${pathname.split('?')[0]}: ${finding}`));
  }
  await admin.context().close();
  await visitor.context().close();
  return findings;
}
