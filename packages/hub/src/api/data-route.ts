import type Router from '@koa/router';
import { runLoginPipeline, UserDataError } from '@gatehouse/authenticators';
import { gatehouseError } from '../errors.ts';
import { requirePrincipal } from '../http/identity.ts';
import type { HubServices } from '../services.ts';

/**
 * `POST /hub/data`: the front proxy posts per-user values as headers (DataRemoteUserAuthenticator's
 * `dataHeaders`). The caller must be authenticated (session + XSRF, or a token), the request must
 * come through a trusted proxy (the values are the proxy's word, not the user's), and when the
 * proxy names a user it must be the caller. Values are JSON, size-limited, stored with the user.
 */
export function dataRoute(router: Router, services: HubServices): void {
  router.post('/hub/data', async (ctx) => {
    const principal = requirePrincipal(ctx);
    if (principal.via === 'session') services.xsrf.verify(ctx, undefined);
    const handler = services.config.authenticator.userData;
    if (handler === undefined) throw gatehouseError('GATEHOUSE_ERR_NOT_FOUND', 'this hub\'s authenticator accepts no user data');
    if (ctx.state['fromTrustedProxy'] !== true) {
      services.logger.warn({ username: principal.user.name, remoteAddress: ctx.req.socket.remoteAddress }, 'user data from an untrusted address refused');
      throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', 'user data is only accepted through the trusted front proxy');
    }
    const asserted = await runLoginPipeline(
      services.config.authenticator,
      { method: 'GET', form: {}, rawHeaders: ctx.req.rawHeaders, remoteAddress: ctx.req.socket.remoteAddress ?? '', fromTrustedProxy: true },
      services.usernamePolicy,
    );
    if (asserted.ok && asserted.username !== principal.user.name) {
      throw gatehouseError('GATEHOUSE_ERR_FORBIDDEN', 'the front proxy names a different user than the one signed in');
    }
    let accepted: Record<string, unknown>;
    try {
      accepted = handler.parse(ctx.req.rawHeaders);
    } catch (error) {
      if (error instanceof UserDataError) throw gatehouseError('GATEHOUSE_ERR_BAD_REQUEST', error.message, { details: { header: error.header } });
      throw error;
    }
    const stored = { ...services.users.getUserData(principal.user.id), ...accepted };
    services.users.setUserData(principal.user.id, stored);
    services.logger.info({ username: principal.user.name, headers: Object.keys(accepted) }, 'user data stored');
    ctx.body = { stored: Object.keys(accepted) };
  });
}
