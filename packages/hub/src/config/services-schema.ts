import { z } from 'zod';
import { isValidScopeString } from '../scopes.ts';

/**
 * `services`: programs outside the hub (an external culler, a dashboard) that call the REST API with
 * a token of their own and exactly the scopes listed here. Documented for admins in
 * config/hub.config.ts; the token is read at start (external-services/service-registry.ts).
 */

const apiTokenSchema = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name') }),
  z.strictObject({ file: z.string().min(1, 'expected the path of a 0600 file holding the token') }),
]);

const serviceSchema = z.strictObject({
  /** Lower case letters, digits, `-`, `_`, `.`; shown in logs and GET /hub/api/services. */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'expected a name of lower-case letters, digits, ".", "_" or "-"'),
  /** Where the service's API token comes from: `{ env: 'NAME' }` or `{ file: '/path' }` (0600); ≥ 32 characters. */
  apiToken: apiTokenSchema.optional(),
  /** Scopes as for users' tokens, e.g. `admin:servers!user=alice`; `self` and `inherit` mean nothing for a service. */
  scopes: z
    .array(
      z
        .string()
        .refine((scope) => scope !== 'self' && scope !== 'inherit', 'a service has no user of its own: name the scopes (e.g. admin:servers)')
        .refine(isValidScopeString, 'expected a scope such as admin:servers or read:users!user=alice'),
    )
    .default([]),
  /** Free text for the admin page and the API. */
  description: z.string().max(200).default(''),
});

export const servicesSchema = z
  .array(serviceSchema)
  .default([])
  .refine((services) => new Set(services.map((service) => service.name)).size === services.length, 'service names must be unique');

export type ServiceConfig = z.output<typeof serviceSchema>;
