import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GatehouseConfigInput } from '@gatehouse/hub';
import { tempDir } from './temp.ts';

/** The header a secret-authenticated front proxy uses unless configured otherwise. */
export const SECRET_HEADER = 'X-Gatehouse-Proxy-Secret';

export interface SecretFrontProxy {
  /** For the hub's config: `frontProxy: proxy.config`. */
  readonly config: NonNullable<GatehouseConfigInput['frontProxy']>;
  readonly file: string;
  readonly secret: string;
  /** The header line a test client adds to act as the front proxy. */
  readonly header: readonly [string, string];
}

/**
 * A front proxy that proves itself with a shared secret (a fresh 0600 file), so a test client can
 * play nginx by adding `header` — and an attacker is any request without it.
 */
export function secretFrontProxy(options: { addresses?: string[]; header?: string } = {}): SecretFrontProxy {
  const file = path.join(tempDir('gatehouse-secret-'), 'proxy-secret');
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  const header = options.header ?? SECRET_HEADER;
  return {
    config: { secret: { file, header, ...(options.addresses === undefined ? {} : { addresses: options.addresses }) } },
    file,
    secret,
    header: [header, secret],
  };
}
