import type { FastifyInstance } from 'fastify';
import { LRUCache } from 'lru-cache';
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
  // The body, serialised once per user and origin: the checks of the token (preHandler) still run
  // on every request; only the 1.9 KB of roles and links are not built again (issue 19).
  const bodies = new LRUCache<string, string>({ max: 2_000 });
  const body = (principal: Principal, base: string): string => {
    const key = `${principal.kind}\0${base}\0${userName(principal)}\0${passwordChangedAt(principal)}`;
    let json = bodies.get(key);
    if (json === undefined) {
      json = JSON.stringify(currentUser(principal, base));
      bodies.set(key, json);
    }
    return json;
  };

  app.get(
    '/user/currentUser',
    { preHandler: authenticated, config: { resource: 'user' } },
    async (request, reply) => {
      const principal = request.principal!;
      const base = origin(request, principal.tenant.domain);
      return reply.type(MEDIA.currentUser).send(body(principal, base));
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

const userName = (principal: Principal) =>
  principal.kind === 'device' ? principal.device.userName : principal.userName;
const passwordChangedAt = (principal: Principal) =>
  principal.kind === 'device' ? principal.device.registeredAt : principal.tenant.createdAt;

function currentUser(principal: Principal, base: string) {
  const name = userName(principal);
  const roles = principal.kind === 'device' ? DEVICE_ROLES : ADMIN_ROLES;
  return {
    shouldResetPassword: false,
    userName: name,
    self: `${base}/user/currentUser`,
    effectiveRoles: roles.map((id) => ({ name: id, self: `${base}/user/roles/${id}`, id })),
    id: name,
    lastPasswordChange: isoDate(passwordChangedAt(principal)),
  };
}
