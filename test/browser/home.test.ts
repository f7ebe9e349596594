import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { demoAppPath, LocalProcessSpawner } from '@gatehouse/spawner';
import { tempDir } from '../support/temp.ts';
import { expectHubLayout, expectText, screenshot, signIn, STEP_TIMEOUT, useBrowser, useHub } from './helpers.ts';

/** /hub/home and /hub/spawn-pending: start with live progress, open, stop, last activity, failures. */

const gates = tempDir('gatehouse-browser-gates-');
afterAll(() => rmSync(gates, { recursive: true, force: true }));

/** The demo app, started only once the file named like the user exists in `gates`: a start stays pending until the test says so. */
function gatedDemoApp(): string[] {
  const script = `const gate = require('node:path').join(${JSON.stringify(gates)}, process.env.JUPYTERHUB_USER);
(function wait() { if (require('node:fs').existsSync(gate)) import(${JSON.stringify(pathToFileURL(demoAppPath).href)}); else setTimeout(wait, 25); })();`;
  return [process.execPath, '-e', script];
}

function openGate(user: string): void {
  writeFileSync(path.join(gates, user), '');
}

// No sandbox: the gate file lies in the test's /tmp, which a sandbox would replace.
const hub = useHub(() => ({ spawner: new LocalProcessSpawner({ portRange: [32000, 39999], command: gatedDemoApp(), stopGracePeriod: 2, sandbox: false }) }));
const failing = useHub(() => ({
  spawner: new LocalProcessSpawner({ portRange: [32000, 39999], command: [process.execPath, '-e', 'console.error("no notebook here"); process.exit(3)'] }),
}));
// One start at a time: the second person waits in line.
const lined = useHub(() => ({
  concurrentSpawnLimit: 1,
  spawner: new LocalProcessSpawner({ portRange: [32000, 39999], command: gatedDemoApp(), stopGracePeriod: 2, sandbox: false }),
}));
const browser = useBrowser([hub, failing, lined]);

/** Progress bar values as spawn-pending.js sets them (the page's own script stays untouched). */
async function recordProgressValues(page: Page): Promise<() => Promise<number[]>> {
  await page.addInitScript(() => {
    const seen: number[] = [];
    Object.assign(window, { progressValuesSeen: seen });
    new MutationObserver((mutations) => {
      for (const mutation of mutations) {
        if (mutation.target instanceof HTMLProgressElement) seen.push(mutation.target.value);
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['value'] });
  });
  return () => page.evaluate(() => (window as unknown as { progressValuesSeen: number[] }).progressValuesSeen);
}

async function startFromHome(page: Page, user: string): Promise<void> {
  await page.getByRole('button', { name: 'Start server' }).click();
  await page.waitForURL(hub.url(`/hub/spawn-pending/${user}`));
}

describe('home and spawn-pending', () => {
  it('tells a person waiting in line their place, and opens their server in their turn', async () => {
    const first = await browser.newPage();
    await signIn(first, lined, 'cat');
    await first.getByRole('button', { name: 'Start server' }).click();
    await first.waitForURL(lined.url('/hub/spawn-pending/cat'));
    await expectText(first.locator('#progress-message'), /^Process started$/); // cat holds the one slot, at its gate

    const second = await browser.newPage();
    await signIn(second, lined, 'dan');
    openGate('dan'); // dan's server would start at once: only the line holds it
    await second.getByRole('button', { name: 'Start server' }).click();
    await second.waitForURL(lined.url('/hub/spawn-pending/dan'));
    await expectText(second.locator('#progress-message'), 'Waiting to start: you are next');
    // While it waits, the page offers Cancel only: Retry and Back belong to a failed start.
    expect(await second.getByRole('button', { name: 'Cancel' }).isVisible()).toBe(true);
    expect(await second.getByRole('button', { name: 'Retry' }).isVisible()).toBe(false);
    expect(await second.getByRole('link', { name: 'Back to home' }).isVisible()).toBe(false);
    await screenshot(second, 'home-6-waiting-in-line');

    openGate('cat');
    await first.waitForURL(lined.url('/user/cat/'));
    await second.waitForURL(lined.url('/user/dan/'));
    await expectText(second.locator('#user'), 'dan');
  });

  it('starts the server with live progress, then opens it for its user', async () => {
    const page = await browser.newPage();
    await signIn(page, hub, 'ann');
    await expectText(page.locator('#server-status'), 'stopped');
    const progressValues = await recordProgressValues(page);
    await startFromHome(page, 'ann');
    await expectHubLayout(page, "Starting ann's server");
    await expect.poll(() => page.locator('#progress-bar').evaluate((bar: HTMLProgressElement) => bar.value), { timeout: STEP_TIMEOUT }).toBe(30);
    // Ports and pids mean nothing to the person waiting: the page leaves them out for non-admins.
    await expectText(page.locator('#progress-message'), /^Process started$/);
    const messages = await page.locator('#progress-log li').allTextContents();
    expect(messages.slice(0, 3)).toEqual(['Server requested', 'Reserved a port for the server', 'Process started']);
    const values = await progressValues();
    expect(values.at(-1)).toBe(30);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'home-1-spawn-pending');

    openGate('ann');
    await page.waitForURL(hub.url('/user/ann/'));
    await expectText(page.locator('#user'), 'ann');
    expect(await page.title()).toBe('Gatehouse demo server for ann');
    // The demo app looks like part of the hub and leads back to it.
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(246, 247, 249)');
    await screenshot(page, 'home-2-server-open');
    await page.getByRole('link', { name: '← Back to the hub' }).click();
    await page.waitForURL(hub.url('/hub/home'));
  });

  it('shows the running server with an Open link, stops it, and shows the last activity', async () => {
    const page = await browser.newPage();
    await signIn(page, hub, 'ann');
    await expectText(page.locator('#server-status'), 'running');
    const open = page.getByRole('link', { name: 'Open server' });
    expect(await open.getAttribute('href')).toBe('/user/ann/');
    // The test hub's clock stands still unless moved: move it so that the new activity is recognisable.
    hub.hub.clock.advance(60_000);
    const openedAt = hub.hub.clock.now;
    await open.click();
    await page.waitForURL(hub.url('/user/ann/'));
    await page.goto(hub.url('/hub/home'));
    const lastActivity = async () => {
      await page.reload();
      return Date.parse((await page.locator('#last-activity time').getAttribute('datetime')) ?? '');
    };
    // Activity is written in batches every few seconds.
    await expect.poll(lastActivity, { timeout: STEP_TIMEOUT, interval: 500 }).toBeGreaterThanOrEqual(openedAt);
    await screenshot(page, 'home-3-running');
    await page.getByRole('button', { name: 'Stop server' }).click();
    await page.waitForURL(hub.url('/hub/home'));
    await expectText(page.locator('#server-status'), 'stopped');
    await page.getByRole('button', { name: 'Start server' }).waitFor();
    expect(hub.hub.services.servers.state('ann')).toBe('stopped');
  });

  it('cancels a start that is still pending', async () => {
    const page = await browser.newPage();
    await signIn(page, hub, 'bert');
    await startFromHome(page, 'bert');
    await expectText(page.locator('#progress-message'), /^Process started/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL(hub.url('/hub/home'));
    await expectText(page.locator('#server-status'), 'stopped');
    expect(hub.hub.services.servers.state('bert')).toBe('stopped');
  });

  it('goes back to the hub with the Back button after the server opened', async () => {
    openGate('cleo');
    const page = await browser.newPage();
    await signIn(page, hub, 'cleo');
    await startFromHome(page, 'cleo');
    await page.waitForURL(hub.url('/user/cleo/'));
    await page.goBack();
    // Back must leave the server for the page before it, not bounce through spawn-pending into the server again.
    await expect.poll(() => page.url(), { timeout: 5_000 }).toBe(hub.url('/hub/home'));
  });

  it('turns the progress page into a failure state, says why once, and offers Retry and Back', async () => {
    const page = await browser.newPage();
    await signIn(page, failing, 'fay');
    await page.getByRole('button', { name: 'Start server' }).click();
    const failure = page.locator('#progress-failed');
    await failure.waitFor();
    await expectHubLayout(page, "fay's server failed to start");
    expect(await page.title()).toBe('Start failed · Gatehouse');
    await expectText(failure, /^The server exited with code 3 before it answered\. .*no notebook here/);
    expect(await page.getByRole('alert').count()).toBe(1);
    // The reason once: not also in the status line and the log.
    expect((await page.locator('main').textContent())?.split('exited with code 3').length).toBe(2);
    expect(await page.locator('#progress-bar').evaluate((bar) => bar.classList.contains('failed') && getComputedStyle(bar).accentColor)).toBe('rgb(179, 38, 30)');
    expect(await page.getByRole('button', { name: 'Cancel' }).isVisible()).toBe(false);
    await screenshot(page, 'home-4-spawn-failed');
    // Opened again later, the page is the failure, rendered by the hub.
    await page.reload();
    await expectHubLayout(page, "fay's server failed to start");
    await expectText(page.getByRole('alert'), /no notebook here/);
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.waitForURL(failing.url('/hub/spawn-pending/fay'));
    await expectHubLayout(page, "fay's server failed to start");
    await page.getByRole('link', { name: 'Back to home' }).click();
    await page.waitForURL(failing.url('/hub/home'));
    await expectText(page.locator('#server-status'), 'failed to start');
    await expectText(page.locator('#last-problem'), /Your server failed to start (just now|\d+ min ago)\..*no notebook here/);
    await screenshot(page, 'home-5-last-failure');
  });

  it('says on home when a running server stopped by itself, and when', async () => {
    openGate('dora');
    const page = await browser.newPage();
    await signIn(page, hub, 'dora');
    await startFromHome(page, 'dora');
    await page.waitForURL(hub.url('/user/dora/'));
    const user = hub.hub.services.users.get('dora');
    const pid = user === undefined ? undefined : hub.hub.services.serverRepository.get(user.id)?.handle?.state['pid'];
    expect(pid).toBeGreaterThan(0);
    process.kill(pid as number, 'SIGKILL');
    await expect.poll(() => hub.hub.services.servers.state('dora'), { timeout: STEP_TIMEOUT }).toBe('stopped');
    await page.goto(hub.url('/hub/home'));
    await expectText(page.locator('#server-status'), 'stopped unexpectedly');
    await expectText(page.locator('#last-problem time'), /^(just now|\d+ min ago)$/);
    await expectText(page.locator('#last-problem'), /Your server stopped unexpectedly/);
    await page.getByRole('button', { name: 'Start server' }).click();
    await page.waitForURL(hub.url('/user/dora/'));
    await page.goto(hub.url('/hub/home'));
    expect(await page.locator('#last-problem').count()).toBe(0);
  });
});
