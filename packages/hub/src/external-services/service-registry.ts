import { readFileSync } from 'node:fs';
import type { Principal } from '../auth/principal.ts';
import { parseScope, type Scope } from '../scopes.ts';
import type { ServiceConfig } from '../config/services-schema.ts';
import { assertPrivateFile } from '../data-dir.ts';
import { gatehouseError } from '../errors.ts';
import { hashToken } from '../tokens/token-store.ts';

/**
 * External services (config `services`): programs with an API token of their own and exactly the
 * scopes the config gives them, never more — no `self`, no owner to inherit from, never an admin
 * by flag (only by scopes). Tokens are read once at start from the environment or a 0600 file and
 * kept only as their SHA-256 (as users' tokens are, tokens/token-store.ts); a presented token is
 * looked up by its hash.
 *
 * A service acts as a Principal whose `service` is its name and whose `user` is a row that no person
 * can be: name `services/<name>` (usernames never contain `/`), id 0 (ids start at 1), not admin.
 * Services reach the REST API only; the proxy does not accept their tokens (they open no user server).
 */

const MIN_TOKEN_LENGTH = 32;

export interface ExternalService {
  readonly name: string;
  readonly description: string;
  readonly scopes: readonly Scope[];
  readonly hasToken: boolean;
}

export class ServiceRegistry {
  readonly #services: readonly ExternalService[];
  readonly #byTokenHash: ReadonlyMap<string, ExternalService>;

  constructor(services: readonly ExternalService[], byTokenHash: ReadonlyMap<string, ExternalService>) {
    this.#services = services;
    this.#byTokenHash = byTokenHash;
  }

  /** Reads each service's token (GATEHOUSE_ERR_CONFIG_INVALID naming the key when it is missing or weak). */
  static fromConfig(configs: readonly ServiceConfig[], env: NodeJS.ProcessEnv = process.env): ServiceRegistry {
    const byTokenHash = new Map<string, ExternalService>();
    const services = configs.map((config, index) => {
      const service: ExternalService = {
        name: config.name,
        description: config.description,
        scopes: config.scopes.map((text) => parseScope(text) as Scope),
        hasToken: config.apiToken !== undefined,
      };
      if (config.apiToken !== undefined) {
        const hash = hashToken(readToken(config.apiToken, `services[${index}].apiToken`, env));
        if (byTokenHash.has(hash)) throw gatehouseError('GATEHOUSE_ERR_CONFIG_INVALID', `services[${index}].apiToken: the same token as another service`);
        byTokenHash.set(hash, service);
      }
      return service;
    });
    return new ServiceRegistry(services, byTokenHash);
  }

  list(): readonly ExternalService[] {
    return this.#services;
  }

  get(name: string): ExternalService | undefined {
    return this.#services.find((service) => service.name === name);
  }

  /** The principal of a service's token, or undefined. */
  principal(token: string): Principal | undefined {
    const service = this.#byTokenHash.get(hashToken(token));
    if (service === undefined) return undefined;
    return { user: serviceUserRow(service.name), via: 'token', scopes: service.scopes, service: service.name };
  }
}

function serviceUserRow(name: string) {
  return { id: 0, name: `services/${name}`, admin: false, createdAt: new Date(0).toISOString(), lastActivity: null };
}

function readToken(source: NonNullable<ServiceConfig['apiToken']>, key: string, env: NodeJS.ProcessEnv): string {
  let token: string | undefined;
  if ('env' in source) {
    token = env[source.env];
    if (token === undefined || token === '') throw gatehouseError('GATEHOUSE_ERR_CONFIG_INVALID', `${key}.env: the environment variable ${source.env} is not set`);
  } else {
    try {
      assertPrivateFile(source.file);
      token = readFileSync(source.file, 'utf8').trim();
    } catch (error) {
      if ((error as { code?: string }).code === 'GATEHOUSE_ERR_SECRET_PERMISSIONS') throw error;
      throw gatehouseError('GATEHOUSE_ERR_CONFIG_INVALID', `${key}.file: cannot read ${source.file}: ${(error as Error).message}`, { cause: error });
    }
  }
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw gatehouseError('GATEHOUSE_ERR_CONFIG_INVALID', `${key}: expected a token of at least ${MIN_TOKEN_LENGTH} characters without spaces (make one with: openssl rand -hex 32)`);
  }
  return token;
}
