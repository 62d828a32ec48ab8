import type { FastifyInstance } from 'fastify';
import { requirePrincipal } from '../auth/principal.js';
import { origin } from '../http/links.js';
import { MEDIA } from '../http/media-types.js';
import type { Services } from '../services.js';

/** GET/HEAD /tenant/currentTenant: thin-edge probes a token's validity with HEAD here. */
export async function currentTenantRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.get<{ Querystring: { withParent?: string } }>(
    '/tenant/currentTenant',
    { preHandler: requirePrincipal(services), config: { resource: 'tenants' } },
    async (request, reply) => {
      const { tenant } = request.principal!;
      const base = origin(request, tenant.domain);
      return reply.type(MEDIA.currentTenant).send({
        allowCreateTenants: false,
        customProperties: {},
        domainName: tenant.domain,
        name: tenant.id,
        ...(request.query.withParent === 'true' ? { parent: 'management' } : {}),
        self: `${base}/tenant/currentTenant`,
        applications: { references: [], self: `${base}/tenant/tenants/${tenant.id}/applications` },
      });
    },
  );
}
