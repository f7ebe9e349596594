import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JupyterhubSingleuserSpawner } from '@gatehouse/spawner';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import type { TestHub } from '../support/hub.ts';
import { startServer } from '../proxy/helpers.ts';
import { BROWSER_TEST_MS, SERVER_START_MS, closeJupyterHub, jupyterDirs, openNotebookFromHome, runCell, startJupyterHub, type JupyterDirs } from './helpers.ts';

// With the default spawner options (no shared cwd), each user's jupyterhub-singleuser works in a home
// of their own, and in the bubblewrap sandbox code run in alice's kernel cannot read or list bob's
// home nor the hub's data dir (database, cookie secret, logs), while her own home is hers.

let hub: TestHub;
let dirs: JupyterDirs;
let browser: TestBrowser;

beforeAll(async () => {
  dirs = jupyterDirs();
  const spawner = new JupyterhubSingleuserSpawner({
    portRange: [44000, 44999],
    // Jupyter's runtime dir lies in the server's private /tmp; it names this file's kernels.
    env: { JUPYTER_RUNTIME_DIR: dirs.runtime },
    httpTimeout: 75,
    startTimeout: 85,
  });
  hub = await startJupyterHub(spawner);
  browser = await launchBrowser();
}, SERVER_START_MS);

afterAll(async () => {
  await browser?.close();
  await closeJupyterHub(hub, dirs);
});

/** Python, one line: what reading (or listing) each path gives, as JSON; an OSError gives its class name. */
function probeCell(paths: readonly string[]): string {
  const probe = 'def probe(p):\\n try: return sorted(os.listdir(p)) if os.path.isdir(p) else open(p).read()\\n except OSError as e: return e.__class__.__name__';
  return `import os, json; exec("${probe}"); print(json.dumps([os.getcwd(), os.environ["HOME"]] + [probe(p) for p in ${JSON.stringify(paths)}]))`;
}

describe("files in alice's kernel", () => {
  it("her kernel cannot read or list bob's home or the hub's data dir, and can her own", async () => {
    const homes = path.join(hub.dataDir, 'homes');
    const aliceHome = path.join(homes, 'alice');
    const bobHome = path.join(homes, 'bob');
    await startServer(hub, 'bob');
    writeFileSync(path.join(bobHome, 'notes.txt'), "bob's notes");
    const notebook = await openNotebookFromHome(browser, hub, 'alice', 'home-isolation');
    writeFileSync(path.join(aliceHome, 'mine.txt'), "alice's file");

    const output = await runCell(
      notebook,
      probeCell([path.join(aliceHome, 'mine.txt'), aliceHome, path.join(bobHome, 'notes.txt'), bobHome, homes, path.join(hub.dataDir, 'cookie_secret'), path.join(hub.dataDir, 'gatehouse.sqlite'), hub.dataDir]),
    );
    const [cwd, home, own, ownListing, bobsFile, bobsListing, homesListing, secret, database, dataDirListing] = JSON.parse(output) as unknown[];

    expect(cwd).toBe(aliceHome);
    expect(home).toBe(aliceHome);
    expect(own).toBe("alice's file");
    expect(ownListing).toEqual(expect.arrayContaining(['mine.txt', 'Untitled.ipynb']));
    expect(bobsFile).toBe('FileNotFoundError');
    expect(bobsListing).toBe('FileNotFoundError');
    expect(homesListing).toEqual(['alice']);
    expect(secret).toBe('FileNotFoundError');
    expect(database).toBe('FileNotFoundError');
    expect(dataDirListing).toEqual(['homes']);
    // The notebook she made is in her home, not in bob's file list.
    expect(readdirSync(aliceHome)).toContain('Untitled.ipynb');
    expect(readdirSync(bobHome)).not.toContain('Untitled.ipynb');
    await browser.screenshot('home-isolation-4-probe', notebook);
  }, BROWSER_TEST_MS + SERVER_START_MS);
});
