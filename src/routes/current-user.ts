import type { FastifyInstance } from 'fastify';
import type { Principal, RequestAuth } from '../auth/principal.js';
import { isoDate } from '../clock.js';
import { origin } from '../http/links.js';
import { MEDIA } from '../http/media-types.js';
import { ADMIN_ROLES, DEVICE_ROLES } from '../tenants/roles.js';
import type { TokenAuthenticator } from '../tokens/token-authenticator.js';

/** GET/HEAD /user/currentUser and POST /user/logout. */
export async function currentUserRoutes(
  app: FastifyInstance,
  { auth, authenticator }: { auth: RequestAuth; authenticator: TokenAuthenticator },
) {
  const authenticated = auth.principal;

  app.get(
    '/user/currentUser',
    { preHandler: authenticated, config: { resource: 'user' } },
    async (request, reply) => {
      const principal = request.principal!;
      const base = origin(request, principal.tenant.domain);
      return reply.type(MEDIA.currentUser).send(currentUser(principal, base));
    },
  );

  app.post(
    '/user/logout',
    { preHandler: authenticated, config: { resource: 'user' } },
    async (request, reply) => {
      const principal = request.principal!;
      if (principal.kind === 'device') {
        authenticator.revoke(principal);
        request.log.info(
          { tenant: principal.tenant.id, device: principal.device.externalId },
          `token of ${principal.claims.sub} logged out`,
        );
      }
      return reply.status(200).send();
    },
  );
}

function currentUser(principal: Principal, base: string) {
  const userName = principal.kind === 'device' ? principal.device.userName : principal.userName;
  const roles = principal.kind === 'device' ? DEVICE_ROLES : ADMIN_ROLES;
  return {
    shouldResetPassword: false,
    userName,
    self: `${base}/user/currentUser`,
    effectiveRoles: roles.map((id) => ({ name: id, self: `${base}/user/roles/${id}`, id })),
    id: userName,
    lastPasswordChange: isoDate(
      principal.kind === 'device' ? principal.device.registeredAt : principal.tenant.createdAt,
    ),
  };
}
