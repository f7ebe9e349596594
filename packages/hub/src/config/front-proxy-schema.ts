import path from 'node:path';
import { z } from 'zod';
import { cidrIsLoopback, parseCidr } from './cidr.ts';

/**
 * `frontProxy`: the two ways a front proxy (nginx, Apache) proves it is the front proxy. Documented
 * for admins in config/hub.config.ts; what each guarantees is in docs/front-proxy.md.
 */

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const socketSchema = z.strictObject({
  /** The socket file; nginx: `proxy_pass http://unix:/run/gatehouse/proxy.sock:`. */
  path: z.string().refine((value) => path.isAbsolute(value), 'expected an absolute path such as /run/gatehouse/proxy.sock'),
  /** File mode of the socket; connecting needs write permission. Never open to others. */
  mode: z
    .number()
    .int('expected a file mode such as 0o660')
    .min(0o200, 'expected a file mode such as 0o660 (the owner must be able to connect)')
    .max(0o770, 'must not let others connect (e.g. 0o660): anyone who can connect may name any user')
    .refine((mode) => (mode & 0o007) === 0, 'must not let others connect (e.g. 0o660): anyone who can connect may name any user')
    .default(0o660),
  /** Group given the socket (a name such as `www-data`, or a number): the front proxy's group. */
  group: z.union([z.string().min(1, 'expected a group name such as www-data'), z.number().int().min(0)]).optional(),
});

const secretSchema = z.strictObject({
  /** File holding the shared secret (≥ 32 characters), readable only by the hub's OS user (0600). */
  file: z.string().min(1, 'expected the path of a 0600 file holding the secret'),
  /** The header the front proxy puts the secret in. */
  header: z.string().regex(HEADER_NAME, 'expected an HTTP header name such as X-Gatehouse-Proxy-Secret').default('X-Gatehouse-Proxy-Secret'),
  /** Optionally, the only network addresses the secret is accepted from (never loopback). */
  addresses: z
    .array(
      z
        .string()
        .refine((value) => parseCidr(value) !== undefined, 'expected a CIDR such as 10.0.0.5/32')
        .refine(
          (value) => !cidrIsLoopback(value),
          'is a loopback address, which any local user can connect from; for a front proxy on this machine use frontProxy.socket',
        ),
    )
    .default([]),
});

export const frontProxySchema = z.strictObject({ socket: socketSchema.optional(), secret: secretSchema.optional() }).default({});

export type FrontProxyConfig = z.output<typeof frontProxySchema>;
