import type { FastifyInstance, FastifyRequest } from 'fastify';
import { assertTenantAccess, requireAdministrator } from '../auth/principal.js';
import { Forbidden } from '../errors.js';
import { origin } from '../http/links.js';
import { MEDIA } from '../http/media-types.js';
import { trustedCertificateJson } from '../http/representations.js';
import type { Services } from '../services.js';
import { ProofOfPossession } from '../tenants/proof-of-possession.js';

const RESOURCE = 'tenants';

type Params = { tenantId: string; fingerprint: string };

/** /tenant/tenants/{tenantId}/trusted-certificates-pop/{fingerprint}/…: proof of possession. */
export async function proofOfPossessionRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const pop = new ProofOfPossession(services.trust, services.clock);
  const options = { preHandler: requireAdministrator(services), config: { resource: RESOURCE } };
  const path = '/tenant/tenants/:tenantId/trusted-certificates-pop/:fingerprint';

  const access = (request: FastifyRequest<{ Params: Params }>) => {
    const { tenantId, fingerprint } = request.params;
    assertTenantAccess(services, request.principal, tenantId);
    return { tenantId, fingerprint, base: origin(request, services.tenants.get(tenantId)!.domain) };
  };

  app.post<{ Params: Params }>(`${path}/verification-code`, options, async (request, reply) => {
    const { tenantId, fingerprint, base } = access(request);
    const certificate = pop.issueCode(tenantId, fingerprint);
    request.log.info({ tenant: tenantId, fingerprint }, 'proof-of-possession verification code issued');
    return reply.type(MEDIA.json).send(trustedCertificateJson(certificate, base));
  });

  app.post<{ Params: Params }>(`${path}/pop`, options, async (request, reply) => {
    const { tenantId, fingerprint, base } = access(request);
    services.trust.get(tenantId, fingerprint); // an unknown certificate is a 404 before any payload error
    const payload = request.body;
    // Any unusable payload gets the platform's documented 422, which names the certificate.
    const signed =
      typeof payload === 'object' && payload !== null
        ? (payload as Record<string, unknown>).proofOfPossessionSignedVerificationCode
        : undefined;
    const certificate = pop.prove(tenantId, fingerprint, signed);
    request.log.info({ tenant: tenantId, fingerprint }, 'proof of possession accepted');
    return reply.type(MEDIA.json).send(trustedCertificateJson(certificate, base));
  });

  app.post<{ Params: Params }>(`${path}/confirmed`, options, async (request) => {
    const { tenantId, fingerprint } = access(request);
    services.trust.get(tenantId, fingerprint);
    // Only the management tenant may confirm a certificate without a proof; the mock's tenants are all ordinary.
    throw new Forbidden('Access is denied', {
      reason: `confirming a certificate is for the management tenant; ${tenantId} is an ordinary tenant (use verification-code and pop)`,
    });
  });
}
