import type { AuthenticatorHost } from './types.ts';

/** The host given to `init`; the hub always calls `init` first, so a missing host is a programming error. */
export function requireHost(host: AuthenticatorHost | undefined, kind: string): AuthenticatorHost {
  if (host === undefined) throw new Error(`the ${kind} authenticator was used before init(host) was called`);
  return host;
}
