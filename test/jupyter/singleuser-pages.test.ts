import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JupyterhubSingleuserSpawner } from '@gatehouse/spawner';
import { xsrfFromPage, type BrowserLikeClient } from '../support/browser-like-client.ts';
import type { TestHub } from '../support/hub.ts';
import { loginWithForm } from '../support/login.ts';
import { startServer } from '../proxy/helpers.ts';
import { closeJupyterHub, jupyterDirs, jupyterSpawnerOptions, signInToServer, startJupyterHub, type JupyterDirs } from './helpers.ts';

// jupyterhub-singleuser's pages link back to the hub (JupyterHub's own URLs): the logo, the
// "Control Panel" button and "Logout", which must end the server's login and the hub session.

let hub: TestHub;
let dirs: JupyterDirs;

beforeAll(async () => {
  dirs = jupyterDirs();
  hub = await startJupyterHub(new JupyterhubSingleuserSpawner(jupyterSpawnerOptions(dirs, [43000, 43999])));
  await startServer(hub, 'alice');
}, 120_000);

afterAll(() => closeJupyterHub(hub, dirs));

/** Alice, signed in to the hub and (through OAuth) to her server, on its tree page. */
async function aliceOnTree(): Promise<{ client: BrowserLikeClient; page: string }> {
  const client = await loginWithForm(hub.baseUrl, 'alice');
  await signInToServer(client, 'alice');
  const tree = await client.get('/user/alice/tree');
  expect(tree.status).toBe(200);
  return { client, page: tree.body };
}

/** `href`/`src` values of the page's elements whose markup matches `element`. */
function links(page: string, element: RegExp, attribute: 'href' | 'src'): string[] {
  return [...page.matchAll(new RegExp(element.source, 'g'))].flatMap((match) => {
    const value = new RegExp(`\\s${attribute}=['"]([^'"]+)['"]`).exec(match[0])?.[1];
    return value === undefined ? [] : [value];
  });
}

describe("jupyterhub-singleuser's links back to the hub", () => {
  it('every image of the tree page loads, the hub logo (/hub/logo) included', async () => {
    const { client, page } = await aliceOnTree();
    const images = links(page, /<img[^>]*>/, 'src');
    expect(images).toContain('/hub/logo');
    for (const src of images) {
      const response = await client.get(src);
      expect(response.status, src).toBe(200);
      expect(response.headers.get('content-type'), src).toMatch(/^image\//);
    }
  });

  it("'Control Panel' leads to the hub's home page", async () => {
    const { client, page } = await aliceOnTree();
    const controlPanel = links(page, /<a[^>]*>\s*Control Panel\s*<\/a>/, 'href');
    expect(controlPanel).toEqual(['/hub/home']);
    expect((await client.get('/hub/home')).status).toBe(200);
  });

  it("'Logout' clears the server's cookie and signs out of the hub", async () => {
    const { client } = await aliceOnTree();
    const serverLogout = await client.get('/user/alice/logout');
    expect(serverLogout.status).toBe(302);
    expect(serverLogout.headers.get('location')).toBe('/hub/logout');
    expect(client.cookie('jupyterhub-user-alice')).toBeUndefined();

    // The hub asks first; its button posts with XSRF.
    const asked = await client.get('/hub/logout');
    expect(asked.status).toBe(200);
    const hubLogout = await client.request('POST', '/hub/logout', { form: { _xsrf: xsrfFromPage(asked.body) } });
    expect(hubLogout.status).toBe(302);
    const again = await client.get('/user/alice/tree');
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toMatch(/^\/hub\/login\?next=/);
  });
});
