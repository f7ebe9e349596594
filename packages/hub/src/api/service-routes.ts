import type Router from '@koa/router';
import { allows, formatScope } from '../scopes.ts';
import { gatehouseError } from '../errors.ts';
import { requirePrincipal, type Principal } from '../http/identity.ts';
import type { ExternalService } from '../external-services/service-registry.ts';
import type { HubServices } from '../services.ts';

/** JupyterHub's service model (the fields a hub without managed or proxied services has). */
export interface ServiceModel {
  kind: 'service';
  name: string;
  admin: false;
  roles: string[];
  url: null;
  prefix: null;
  command: string[];
  pid: 0;
  display: false;
  info: { description: string };
  /** Only for admins (admin:users) and the service itself. */
  scopes?: string[];
}

export function serviceModel(service: ExternalService, showScopes: boolean): ServiceModel {
  const model: ServiceModel = { kind: 'service', name: service.name, admin: false, roles: [], url: null, prefix: null, command: [], pid: 0, display: false, info: { description: service.description } };
  if (showScopes) model.scopes = service.scopes.map(formatScope);
  return model;
}

/** Whether `principal` may see `service`'s scopes: admins, and the service itself. */
function seesScopes(principal: Principal, service: ExternalService): boolean {
  return principal.service === service.name || allows(principal.scopes, 'admin:users');
}

/** Any authenticated caller may list the services (as in JupyterHub 1.x); scopes only as above. */
export function serviceRoutes(router: Router, services: HubServices): void {
  router.get('/services', (ctx) => {
    const principal = requirePrincipal(ctx);
    ctx.body = Object.fromEntries(services.externalServices.list().map((service) => [service.name, serviceModel(service, seesScopes(principal, service))]));
  });

  router.get('/services/:name', (ctx) => {
    const principal = requirePrincipal(ctx);
    const service = services.externalServices.get(ctx.params['name'] as string);
    if (service === undefined) throw gatehouseError('GATEHOUSE_ERR_NOT_FOUND', 'no such service');
    ctx.body = serviceModel(service, seesScopes(principal, service));
  });
}
