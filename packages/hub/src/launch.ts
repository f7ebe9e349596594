import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { writePrivateFileExclusive } from './data-dir.ts';
import type { UserRow } from './db/users.ts';
import { gatehouseError } from './errors.ts';
import { escapeHtml } from './html-escape.ts';
import type { HubServices } from './services.ts';
import { mintSetupPath } from './tokens/setup-link.ts';

/**
 * How the person who started the hub gets in without typing a password, without the secret ever
 * appearing in a command line (`ps` shows those to every local user):
 * - first start with local accounts and no admin: a one-time setup link for the first admin;
 * - `--open`: a single-use launch token (60 s) inside a 0600 redirect page in the data dir, and the
 *   browser is given only that file's path;
 * - GATEHOUSE_TOKEN: a fixed API token for the owner (with a warning), at least 32 characters.
 */

const LAUNCH_TOKEN_SECONDS = 60;
export const MIN_FORCED_TOKEN_LENGTH = 32;
const FORCED_TOKEN_NOTE = 'GATEHOUSE_TOKEN';

/** The hub user the OS user who runs the hub is taken to be: an admin named like them, else the first configured admin. */
export function ownerUser(services: HubServices): UserRow | undefined {
  const candidates = [os.userInfo().username, ...services.config.adminUsers];
  for (const name of candidates) {
    const user = services.users.get(name.toLowerCase());
    if (user?.admin === true) return user;
  }
  return undefined;
}

/** Whether some admin can sign in with a password (else the first-start flow is still open). */
function adminCanSignIn(services: HubServices): boolean {
  return services.users.list().some((user) => user.admin && services.accounts.get(user.name)?.passwordHash != null);
}

/**
 * With password accounts and no admin able to sign in yet: makes sure the first admin's account
 * exists and returns a one-time setup path where they choose the password. Otherwise undefined.
 */
export async function firstAdminSetupPath(services: HubServices): Promise<string | undefined> {
  const management = services.config.authenticator.accountManagement;
  if (management?.usesPasswords !== true || adminCanSignIn(services)) return undefined;
  const name = services.userAdmin.validName(services.config.adminUsers[0] ?? 'admin');
  if (services.accounts.get(name) === undefined) {
    const added = await management.addAccount(name, null);
    if (!added.ok) throw gatehouseError('GATEHOUSE_ERR_CONFIG_INVALID', `cannot create the first admin ${name}: ${added.message}`);
  }
  const user = services.users.recordLogin(name, true);
  services.logger.warn({ username: name }, 'no administrator can sign in yet: printing a one-time setup link');
  return mintSetupPath(services.tokens, user);
}

/** Registers GATEHOUSE_TOKEN as the owner's API token; refuses short ones. Returns the owner. */
export function registerForcedToken(services: HubServices, value: string): UserRow {
  if (value.length < MIN_FORCED_TOKEN_LENGTH) {
    throw gatehouseError('GATEHOUSE_ERR_CONFIG_INVALID', `GATEHOUSE_TOKEN: must be at least ${MIN_FORCED_TOKEN_LENGTH} characters (use e.g. \`openssl rand -hex 32\`)`);
  }
  const owner = ownerUser(services);
  if (owner === undefined) throw gatehouseError('GATEHOUSE_ERR_CONFIG_INVALID', 'GATEHOUSE_TOKEN: there is no admin user to own it yet');
  for (const row of services.tokens.listFor(owner.id)) if (row.note === FORCED_TOKEN_NOTE) services.tokens.revoke(row.id);
  services.tokens.mint({ userId: owner.id, kind: 'api', scopes: ['inherit'], note: FORCED_TOKEN_NOTE, value });
  services.logger.warn({ username: owner.name }, 'GATEHOUSE_TOKEN is set: a fixed token logs in as this user; prefer --open');
  return owner;
}

/** A single-use launch path (`/hub/login?token=…`) for the owner, or undefined when there is no owner. */
export function launchPath(services: HubServices): string | undefined {
  const owner = ownerUser(services);
  if (owner === undefined) return undefined;
  const { token } = services.tokens.mint({ userId: owner.id, kind: 'launch', scopes: [], note: 'launch', expiresInSeconds: LAUNCH_TOKEN_SECONDS });
  return `/hub/login?token=${encodeURIComponent(token)}`;
}

/** Writes a 0600 page that sends the browser to `url`, and returns its path. */
export function writeRedirectFile(dataDir: string, url: string): string {
  const file = path.join(dataDir, `open-${process.pid}.html`);
  rmSync(file, { force: true });
  const target = escapeHtml(url);
  writePrivateFileExclusive(
    file,
    `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${target}"><title>Opening Gatehouse</title></head>` +
      `<body><p><a href="${target}">Open Gatehouse</a></p></body></html>\n`,
  );
  return file;
}

/** How long an opener may take to report failure; one still running then is a browser that stays open. */
const OPENER_VERDICT_MS = 2_000;

/**
 * Opens `file` in the user's browser ($BROWSER, else xdg-open/open); false when none could start.
 * xdg-open starts even where no browser exists and then exits non-zero: its exit code decides.
 */
export function openInBrowser(file: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const command = env['BROWSER'] || (process.platform === 'darwin' ? 'open' : 'xdg-open');
  return new Promise((resolve) => {
    const child = spawn(command, [file], { stdio: 'ignore', detached: true });
    const timer = setTimeout(() => {
      child.unref();
      resolve(true);
    }, OPENER_VERDICT_MS);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

const LIST_LOGIN_NOTE = 'gatehouse list login';

/**
 * The login URL `gatehouse list` shows to the owner: an API token of the owner, kept only in the
 * 0600 runtime file and revoked when the hub stops. Undefined when there is no owner yet.
 */
export function listLoginUrl(services: HubServices, hubUrl: string): string | undefined {
  revokeListLogin(services);
  const owner = ownerUser(services);
  if (owner === undefined) return undefined;
  const { token } = services.tokens.mint({ userId: owner.id, kind: 'api', scopes: ['inherit'], note: LIST_LOGIN_NOTE });
  return `${hubUrl}hub/login?token=${encodeURIComponent(token)}`;
}

export function revokeListLogin(services: HubServices): void {
  for (const user of services.users.list()) {
    if (!user.admin) continue;
    for (const row of services.tokens.listFor(user.id)) if (row.note === LIST_LOGIN_NOTE) services.tokens.revoke(row.id);
  }
}
