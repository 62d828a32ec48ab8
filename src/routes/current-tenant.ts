import type { FastifyInstance } from 'fastify';
import type { RequestAuth } from '../auth/principal.js';
import { origin } from '../http/links.js';
import { MEDIA } from '../http/media-types.js';

/** GET/HEAD /tenant/currentTenant: thin-edge probes a token's validity with HEAD here. */
export async function currentTenantRoutes(app: FastifyInstance, { auth }: { auth: RequestAuth }) {
  app.get<{ Querystring: { withParent?: string } }>(
    '/tenant/currentTenant',
    { preHandler: auth.principal, config: { resource: 'tenants' } },
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
