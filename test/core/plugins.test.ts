import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCliHub } from '../support/cli.ts';
import { BrowserLikeClient, xsrfFromPage } from '../support/browser-like-client.ts';
import { cleanupTempDirs, tempDir } from '../support/temp.ts';

afterAll(cleanupTempDirs);

/** A config file with a third-party authenticator class defined right in it (any class implementing the contract). */
function writeConfig(dir: string, initBody: string): string {
  const file = path.join(dir, 'hub.config.ts');
  writeFileSync(
    file,
    `import { defineConfig } from '@gatehouse/hub';
     import type { Authenticator, AuthenticatorHost, AuthResult, LoginRequest } from '@gatehouse/authenticators';
     import { LocalProcessSpawner } from '@gatehouse/spawner';

     /** Lets in exactly one user, "guest", with the password "let me in please". */
     class GuestOnlyAuthenticator implements Authenticator {
       readonly kind = 'guest-only';
       readonly loginStyle = 'form' as const;
       readonly trustedHeaders: readonly string[] = [];
       init(host: AuthenticatorHost): void { ${initBody} }
       async authenticate(request: LoginRequest): Promise<AuthResult> {
         const ok = request.form['username'] === 'guest' && request.form['password'] === 'let me in please';
         return ok ? { ok: true, username: 'Guest' } : { ok: false, reason: 'invalid-credentials' };
       }
     }

     export default defineConfig({ dataDir: ${JSON.stringify(path.join(dir, 'data'))}, authenticator: new GuestOnlyAuthenticator(), spawner: new LocalProcessSpawner() });`,
  );
  return file;
}

describe('third-party plugins through the real config loader', () => {
  it('runs a hub with an authenticator class written in the config file', async () => {
    const dir = tempDir();
    const hub = await startCliHub(['--config', writeConfig(dir, "host.logger.info({}, 'guest authenticator ready');"), '--port', '0'], {
      env: { GATEHOUSE_RUNTIME_DIR: path.join(dir, 'runtime') },
    });
    try {
      const client = new BrowserLikeClient(hub.url);
      const page = await client.get('/hub/login');
      const wrong = await client.request('POST', '/hub/login', { form: { _xsrf: xsrfFromPage(page.body), username: 'guest', password: 'nope' } });
      expect(wrong.status).toBe(403);
      const right = await client.request('POST', '/hub/login', { form: { _xsrf: xsrfFromPage(page.body), username: 'guest', password: 'let me in please' } });
      expect(right.status).toBe(302);
      expect((await client.get('/hub/home')).body).toContain('Welcome, guest');
      expect(hub.output()).toContain('guest authenticator ready');
    } finally {
      await hub.stop();
    }
  });

  it('stops the hub with the reason when the authenticator fails to initialise', async () => {
    const dir = tempDir();
    const result = await runCli(['start', '--config', writeConfig(dir, "throw new Error('the guest list is missing');"), '--port', '0'], {
      env: { GATEHOUSE_RUNTIME_DIR: path.join(dir, 'runtime') },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^gatehouse: the guest list is missing$/m);
  });

  it('stops the hub when the config file does not load, naming the file', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'hub.config.ts');
    writeFileSync(file, "import { nothing } from './missing-module.ts';\nexport default nothing;\n");
    const result = await runCli(['start', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`could not load ${file}`);
  });
});
