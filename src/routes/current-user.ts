import type { FastifyInstance } from 'fastify';
import type { Principal, RequestAuth } from '../auth/principal.js';
import { isoDate } from '../clock.js';
import { origin } from '../http/links.js';
import { MEDIA } from '../http/media-types.js';
import type { TokenAuthenticator } from '../tokens/token-authenticator.js';

/** The roles of a device user, as a real device token's /user/currentUser lists them. */
export const DEVICE_ROLES = [
  'ROLE_IDENTITY_ADMIN',
  'ROLE_EVENT_READ',
  'ROLE_IDENTITY_READ',
  'ROLE_INVENTORY_READ',
  'ROLE_DEVICE_CONTROL_READ',
  'ROLE_MEASUREMENT_READ',
  'ROLE_AUDIT_READ',
  'ROLE_USER_MANAGEMENT_OWN_ADMIN',
  'ROLE_ALARM_READ',
  'ROLE_DEVICE',
  'ROLE_USER_MANAGEMENT_OWN_READ',
  'ROLE_INVENTORY_CREATE',
] as const;

/** What the mock lets a seeded tenant administrator do. */
export const ADMIN_ROLES = [
  'ROLE_TENANT_ADMIN',
  'ROLE_TENANT_MANAGEMENT_ADMIN',
  'ROLE_TENANT_MANAGEMENT_READ',
  'ROLE_OPTION_MANAGEMENT_ADMIN',
  'ROLE_OPTION_MANAGEMENT_READ',
  'ROLE_DEVICE_CONTROL_ADMIN',
  'ROLE_DEVICE_CONTROL_READ',
  'ROLE_USER_MANAGEMENT_OWN_ADMIN',
  'ROLE_USER_MANAGEMENT_OWN_READ',
] as const;

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
