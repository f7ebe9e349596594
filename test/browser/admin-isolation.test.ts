import { describe, expect, it } from 'vitest';
import { LocalProcessSpawner } from '@gatehouse/spawner';
import { expectText, screenshot, sharedAdminPage, useBrowser, useHub } from './helpers.ts';

/** The admin page and the start log say how user servers are kept apart, and warn when they are not. */

const shared = useHub(() => ({ adminUsers: ['root'], spawner: new LocalProcessSpawner({ portRange: [32000, 39999], sandbox: false }) }));
const sandboxed = useHub(() => ({ adminUsers: ['root'] }));
const browser = useBrowser([shared, sandboxed]);

const sharedAdmin = sharedAdminPage(browser.newPage, shared, 'root', 'any password');
const sandboxedAdmin = sharedAdminPage(browser.newPage, sandboxed, 'root', 'any password');

describe('server isolation on the admin page and at start', () => {
  it('warns in plain words when servers share one OS account without a sandbox', async () => {
    const page = await sharedAdmin();
    const notice = page.getByRole('alert');
    await expectText(notice, /^Users are not kept apart\. Servers run as the hub's own OS account \(\S+\) without a sandbox \(spawner\.sandbox is false\)/);
    await expectText(notice, /any user's code can read and change every other user's files and the hub's data directory/);
    await screenshot(page, 'admin-isolation-1-shared');
    const warning = shared.hub.logs.lines.map((line) => JSON.parse(line) as { level: number; msg: string; isolation?: string }).find((entry) => entry.isolation !== undefined);
    expect(warning).toMatchObject({ level: 40, isolation: 'shared-account' });
    expect(warning?.msg).toMatch(/without a sandbox/);
  });

  it('says that each server is sandboxed when bwrap works, without an alarm', async () => {
    const page = await sandboxedAdmin();
    await expectText(page.locator('#server-isolation'), /each in a bubblewrap sandbox that shows it only its own home directory/);
    expect(await page.getByRole('alert').count()).toBe(0);
    const line = sandboxed.hub.logs.lines.map((entry) => JSON.parse(entry) as { level: number; isolation?: string }).find((entry) => entry.isolation !== undefined);
    expect(line).toMatchObject({ level: 30, isolation: 'sandbox' });
  });
});
