import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { oathtoolCode, STEP_MS, toFreshStep } from '../totp/helpers.ts';
import { expectHubLayout, expectSignedIn, screenshot, SCREENSHOT_DIR, signIn, submitLogin, useBrowser, useHub, type HubHandle } from './helpers.ts';

/** The second factor in a real browser: enrolment on the account page, the code step of a login, enrolment forced by config. */

const optIn = useHub();
const required = useHub(() => ({ totp: { requiredFor: 'everyone' } }));
const browser = useBrowser([optIn, required]);

/** The QR code, key and otpauth link the page shows; the URI parsed with the URL API (not the hub's library). */
async function shownEnrolment(page: Page): Promise<{ secret: string; uri: URL }> {
  await expect.poll(() => page.locator('svg.qr-code path').count()).toBe(1);
  const box = await page.locator('svg.qr-code').boundingBox();
  expect(box?.width).toBeGreaterThan(100);
  const secret = ((await page.locator('#totp-secret').textContent()) ?? '').trim();
  const uri = new URL((await page.locator('#totp-uri').getAttribute('href')) ?? '');
  expect(uri.protocol).toBe('otpauth:');
  expect(uri.host).toBe('totp');
  expect(uri.searchParams.get('secret')).toBe(secret);
  expect(uri.searchParams.get('algorithm')).toBe('SHA1');
  expect(uri.searchParams.get('digits')).toBe('6');
  expect(uri.searchParams.get('period')).toBe('30');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  // The QR code as drawn, read back by an independent decoder (zbar), carries exactly that URI.
  const picture = path.join(SCREENSHOT_DIR, `totp-qr-${secret}.png`);
  await page.locator('svg.qr-code').screenshot({ path: picture });
  expect(execFileSync('zbarimg', ['-q', '--raw', picture], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim()).toBe(uri.href);
  rmSync(picture);
  return { secret, uri };
}

async function enterCode(page: Page, code: string, button: string): Promise<void> {
  await page.getByLabel('Code', { exact: true }).fill(code);
  await page.getByRole('button', { name: button }).click();
  await page.waitForLoadState();
}

async function recoveryCodesShown(page: Page): Promise<string[]> {
  await expectHubLayout(page, 'Your recovery codes');
  return (await page.locator('#recovery-codes code').allTextContents()).map((text) => text.trim());
}

async function passwordThenCode(page: Page, handle: HubHandle, name: string, code: string): Promise<void> {
  await submitLogin(page, handle, name, 'any password');
  await page.waitForURL(handle.url('/hub/login/totp'));
  await expectHubLayout(page, 'Enter your code');
  await enterCode(page, code, 'Sign in');
}

describe('second factor in Chromium', () => {
  it('enrols on the account page (QR code, key, otpauth URI) and confirms with the first code from oathtool', async () => {
    const page = await browser.newPage();
    await signIn(page, optIn, 'alice');
    await page.getByRole('link', { name: 'Second factor (authenticator app)' }).click();
    await expectHubLayout(page, 'Second factor');
    await page.getByRole('button', { name: 'Set up a second factor' }).click();
    const { secret, uri } = await shownEnrolment(page);
    expect(decodeURIComponent(uri.pathname)).toBe('/Gatehouse:alice');
    await screenshot(page, 'totp-1-enrolment');
    toFreshStep(optIn.hub);
    await enterCode(page, oathtoolCode(secret, optIn.hub.clock.now), 'Confirm');
    const codes = await recoveryCodesShown(page);
    expect(codes).toHaveLength(10);
    await screenshot(page, 'totp-2-recovery-codes');
    await page.getByRole('link', { name: 'Continue' }).click();
    await expect.poll(async () => (await page.locator('#totp-status').textContent()) ?? '').toContain('on');

    // A new browser: the password, then the code; a replayed code is refused, the next one signs in.
    const second = await browser.newPage();
    await passwordThenCode(second, optIn, 'alice', oathtoolCode(secret, optIn.hub.clock.now));
    expect(second.url()).toBe(optIn.url('/hub/login/totp'));
    expect(await second.getByRole('alert').textContent()).toContain('already been used');
    optIn.hub.clock.advance(STEP_MS);
    await enterCode(second, oathtoolCode(secret, optIn.hub.clock.now), 'Sign in');
    await expectSignedIn(second, optIn);
    await screenshot(second, 'totp-3-signed-in');
  });

  it('makes an enrolment part of the sign-in when config requires a second factor', async () => {
    const page = await browser.newPage();
    await submitLogin(page, required, 'bob', 'any password');
    await page.waitForURL(required.url('/hub/login/totp'));
    await expectHubLayout(page, 'Set up your second factor');
    const { secret } = await shownEnrolment(page);
    // Nothing else is reachable before the code.
    await page.goto(required.url('/hub/home'));
    await page.waitForURL(/\/hub\/login/);
    await page.goto(required.url('/hub/login/totp'));
    expect((await shownEnrolment(page)).secret).toBe(secret);
    toFreshStep(required.hub);
    await enterCode(page, oathtoolCode(secret, required.hub.clock.now), 'Confirm and sign in');
    expect(await recoveryCodesShown(page)).toHaveLength(10);
    await page.getByRole('link', { name: 'Continue' }).click();
    await expectSignedIn(page, required);
  });
});
