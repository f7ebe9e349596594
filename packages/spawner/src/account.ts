import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { SpawnError } from './types.ts';

/** The OS account a server runs as. `uid`/`gid` are set only when the spawner must switch to it. */
export interface ServerAccount {
  readonly name: string;
  readonly home: string;
  readonly uid?: number;
  readonly gid?: number;
}

interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

function parsePasswdLine(line: string): PasswdEntry | undefined {
  const [name, , uid, gid, , home] = line.split(':');
  if (name === undefined || home === undefined || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) return undefined;
  return { name, uid: Number(uid), gid: Number(gid), home };
}

/** `getent` also consults NSS (LDAP, sssd …); without it, /etc/passwd is all we can read. */
function getent(name: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    execFile('getent', ['passwd', '--', name], { timeout: 10_000 }, (error, stdout) => {
      if (error === null) return resolve(stdout);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(error);
      resolve(undefined); // exit status 2: no such entry
    });
  });
}

async function lookUpPasswd(name: string): Promise<PasswdEntry | undefined> {
  let text: string | undefined;
  try {
    text = await getent(name);
  } catch {
    text = await readFile('/etc/passwd', 'utf8');
  }
  // getent also answers numeric uids ("1000"), and a file has many lines: keep only an exact name match.
  return (text ?? '').split('\n').map(parsePasswdLine).find((entry) => entry?.name === name);
}

/** The system account named `username`, which must exist and must not be root. */
export async function systemAccount(username: string): Promise<ServerAccount> {
  if (username === '' || username.startsWith('-') || /[:\n\0/]/.test(username)) {
    throw new SpawnError(`"${username}" cannot be a system account name`);
  }
  const entry = await lookUpPasswd(username);
  if (entry === undefined) {
    throw new SpawnError(`No system account named "${username}": create it (useradd) or switch off spawner.systemUsers`);
  }
  if (entry.uid === 0) throw new SpawnError(`Refusing to run a server as "${username}": its uid is 0 (root)`);
  if (process.getuid?.() !== 0) {
    const self = userInfo();
    if (self.uid === entry.uid) return { name: entry.name, home: entry.home };
    throw new SpawnError(`spawner.systemUsers needs a hub running as root to start servers as "${username}"`);
  }
  return { name: entry.name, home: entry.home, uid: entry.uid, gid: entry.gid };
}

/** The account the hub itself runs as, used when servers are not switched to system users. */
export function hubAccount(): ServerAccount {
  try {
    const self = userInfo();
    return { name: self.username, home: self.homedir };
  } catch {
    // A uid without a passwd entry (some containers): fall back to what the environment says.
    return { name: process.env['USER'] ?? String(process.getuid?.() ?? ''), home: process.env['HOME'] ?? '/' };
  }
}
