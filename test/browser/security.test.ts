import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BrowserRecorder, checkEveryPage, useBrowser, useLocalHub } from './helpers.ts';

/**
 * Pages load nothing from outside the hub and need no inline script: the strict Content-Security-Policy
 * is on every page, no page breaks it, and the recorder that every other file relies on does notice
 * a violation and a foreign request.
 */

const hub = useLocalHub();
const browser = useBrowser([hub]);

/** What in the page would need 'unsafe-inline' or another origin. */
function inlineOrForeign(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const script of document.querySelectorAll('script')) {
      if (!script.src) found.push(`inline script: ${script.textContent?.slice(0, 40)}`);
    }
    if (document.querySelector('style') !== null) found.push('a <style> element');
    for (const element of document.querySelectorAll('*')) {
      for (const attribute of element.getAttributeNames()) {
        if (/^on/i.test(attribute) || attribute === 'style') found.push(`${element.tagName} ${attribute}=`);
        if (['src', 'href', 'action'].includes(attribute)) {
          const value = element.getAttribute(attribute) ?? '';
          const url = new URL(value, location.href);
          if (url.protocol === 'javascript:') found.push(`${element.tagName} ${attribute}=${value}`);
          else if (url.origin !== location.origin && attribute !== 'href') found.push(`${element.tagName} ${attribute}=${value}`);
        }
      }
    }
    return found;
  });
}

describe('content security', () => {
  it('serves every hub page with the strict policy and without inline script, style or foreign resources', async () => {
    const findings = await checkEveryPage(browser.newPage, hub, async (page, response) => {
      const policy = (await response?.headerValue('content-security-policy')) ?? '';
      const missing = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"].filter((directive) => !policy.includes(directive));
      return [...missing.map((directive) => `no ${directive} in "${policy}"`), ...(policy.includes('unsafe-') ? [policy] : []), ...(await inlineOrForeign(page))];
    });
    expect(findings).toEqual([]);
  });

  it('cannot be framed by another page', async () => {
    const recorder = new BrowserRecorder();
    const page = await browser.run.newPage({}, recorder);
    await page.setContent(`<iframe src="${hub.url('/hub/login')}"></iframe>`);
    await expect.poll(() => recorder.cspViolations.some((text) => text.includes("frame-ancestors 'none'"))).toBe(true);
    const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
    expect(await frame?.locator('#username').count()).toBe(0);
    await page.context().close();
  });

  it('notices a Content-Security-Policy violation and a request outside the hub (the check the other files rely on)', async () => {
    const recorder = new BrowserRecorder();
    const page = await browser.run.newPage({}, recorder);
    await page.goto(hub.url('/hub/login'));
    expect(recorder.problems([new URL(hub.hub.baseUrl).origin])).toEqual([]);
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'document.title = "inline ran"';
      document.body.append(script);
    });
    await expect.poll(() => recorder.cspViolations.length).toBeGreaterThan(0);
    expect(await page.title()).not.toBe('inline ran');
    await page.goto(hub.url('/hub/login').replace('127.0.0.1', 'localhost'));
    const problems = recorder.problems([new URL(hub.hub.baseUrl).origin]);
    expect(problems.some((text) => text.startsWith('CSP violation:') && text.includes('inline script'))).toBe(true);
    expect(problems.some((text) => text.startsWith('request outside the hub: http://localhost:'))).toBe(true);
    await page.context().close();
  });
});
