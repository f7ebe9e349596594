import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { LocalProcessSpawner } from '@gatehouse/spawner';
import { portBlock } from '../proxy/helpers.ts';
import { expectHubLayout, expectText, screenshot, signIn, STEP_TIMEOUT, useBrowser, useHub } from './helpers.ts';

/** The home page's named servers in Chromium: create (by name), open, stop, start, delete — one never touching another. */

const hub = useHub(() => ({
  namedServers: { enabled: true, limitPerUser: 2 },
  spawner: new LocalProcessSpawner({ portRange: portBlock(20), stopGracePeriod: 2 }),
}));
const browser = useBrowser([hub]);

const row = (page: Page, name: string) => page.locator(`#named-servers tr[data-server="${name}"]`);

/** Creates `name` with the home page's form; the browser follows its progress into the server. */
async function createServer(page: Page, name: string): Promise<void> {
  await page.goto(hub.url('/hub/home'));
  await page.getByLabel('New server name').fill(name);
  await page.getByRole('button', { name: 'Create and start' }).click();
  await page.waitForURL(hub.url(`/user/nina/${name}/`), { timeout: STEP_TIMEOUT });
  await expectText(page.locator('#user'), 'nina');
}

describe('named servers on the home page', () => {
  it('creates two servers by name, each opening at its own address', async () => {
    const page = await browser.newPage();
    await signIn(page, hub, 'nina');
    await expectText(page.locator('#no-named-servers'), 'You have no named servers yet.');
    await createServer(page, 'lab');
    await createServer(page, 'scratch');

    await page.goto(hub.url('/hub/home'));
    await expectHubLayout(page, 'Welcome, nina');
    for (const name of ['lab', 'scratch']) {
      await expectText(row(page, name).locator('.status'), 'running');
      expect(await row(page, name).getByRole('link', { name: 'Open server' }).getAttribute('href')).toBe(`/user/nina/${name}/`);
    }
    // The default server is untouched by either.
    await expectText(page.locator('#server-status'), 'stopped');
    // limitPerUser 2: no third one can be created.
    await expectText(page.locator('#named-limit-reached'), /delete one to create another/);
    expect(await page.locator('#create-server').count()).toBe(0);
    await screenshot(page, 'named-servers-1-two-running');
  });

  it('stops one while the other keeps serving, starts it again, then deletes it', async () => {
    const page = await browser.newPage();
    await signIn(page, hub, 'nina');
    await row(page, 'lab').getByRole('button', { name: 'Stop server' }).click();
    await page.waitForURL(hub.url('/hub/home'));
    await expectText(row(page, 'lab').locator('.status'), 'stopped');
    await expectText(row(page, 'scratch').locator('.status'), 'running');
    expect((await page.request.get(hub.url('/user/nina/scratch/api'))).status()).toBe(200);

    await row(page, 'lab').getByRole('button', { name: 'Start server' }).click();
    await page.waitForURL(hub.url('/user/nina/lab/'), { timeout: STEP_TIMEOUT });
    await page.goto(hub.url('/hub/home'));
    await expectText(row(page, 'lab').locator('.status'), 'running');

    await row(page, 'lab').getByRole('button', { name: 'Stop server' }).click();
    await page.waitForURL(hub.url('/hub/home'));
    page.once('dialog', (dialog) => void dialog.accept());
    await row(page, 'lab').getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(hub.url('/hub/home'));
    await expect.poll(() => row(page, 'lab').count()).toBe(0);
    await expectText(row(page, 'scratch').locator('.status'), 'running');
    // Room under the limit again.
    await expect.poll(() => page.locator('#create-server').count()).toBe(1);
    expect(hub.hub.services.servers.state('nina', 'scratch')).toBe('running');
    await screenshot(page, 'named-servers-2-after-delete');
  });
});
