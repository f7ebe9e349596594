import { expect } from 'vitest';
import { BrowserLikeClient, xsrfFromPage } from './browser-like-client.ts';

/** Logs `username` in through the real login form; returns the client holding the session. */
export async function loginWithForm(baseUrl: string, username: string, password = 'any-password', client = new BrowserLikeClient(baseUrl)): Promise<BrowserLikeClient> {
  const page = await client.get('/hub/login');
  expect(page.status).toBe(200);
  const response = await client.request('POST', '/hub/login', { form: { _xsrf: xsrfFromPage(page.body), username, password } });
  expect(response.status, response.body).toBe(302);
  return client;
}
