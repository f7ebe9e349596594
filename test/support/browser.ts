import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from './temp.ts';

/**
 * Debian's chromium driven by playwright-core, one process tree per browser with its own profile
 * directory, so a test can prove that nothing of its browser outlives it.
 */

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Screenshots land here (gitignored). */
export const ARTIFACTS_DIR = path.resolve(import.meta.dirname, '../../test-artifacts');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** How long close() waits for the browser's processes to exit before killing them. */
const EXIT_WAIT_MS = 10_000;

export interface TestBrowser {
  readonly context: BrowserContext;
  /** The first tab. */
  readonly page: Page;
  /** Every URL the browser requested, in order (all tabs). */
  readonly requests: string[];
  /** Saves `<ARTIFACTS_DIR>/<name>.png` of `page` (the first tab by default). */
  screenshot(name: string, page?: Page): Promise<void>;
  /** Closes the browser; throws if one of its processes had to be killed. */
  close(): Promise<void>;
}

/** PIDs of live processes whose command line contains `marker` (a profile directory). */
export function processesMentioning(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
        const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0];
        return cmdline.includes(marker) && state !== 'Z' && state !== 'X' ? [Number(entry)] : [];
      } catch {
        return []; // exited while we looked
      }
    });
}

/** A fresh headless chromium with its own profile; `close()` it in afterEach/afterAll. */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = tempDir('gatehouse-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const requests: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return {
    context,
    page,
    requests,
    async screenshot(name, target = page) {
      await target.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
    },
    async close() {
      await context.close().catch(() => undefined);
      const deadline = Date.now() + EXIT_WAIT_MS;
      while (processesMentioning(profile).length > 0 && Date.now() < deadline) await delay(50);
      const survivors = processesMentioning(profile);
      for (const pid of survivors) process.kill(pid, 'SIGKILL');
      if (survivors.length > 0) throw new Error(`chromium processes survived close(): ${survivors.join(', ')}`);
    },
  };
}
