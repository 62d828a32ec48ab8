import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestAuth } from '../auth/principal.js';
import { Forbidden } from '../errors.js';
import { origin } from '../http/links.js';
import { MEDIA } from '../http/media-types.js';
import { trustedCertificateJson } from '../http/representations.js';
import { type ResponseBodyPolicy, sendWritten } from '../http/response-body.js';
import type { ProofOfPossession } from '../tenants/proof-of-possession.js';
import type { TrustedCertificates } from '../tenants/trusted-certificates.js';

const RESOURCE = 'tenants';

type Params = { tenantId: string; fingerprint: string };

export interface ProofOfPossessionOptions {
  auth: RequestAuth;
  trust: TrustedCertificates;
  proofOfPossession: ProofOfPossession;
  responseBody: ResponseBodyPolicy;
}

/** /tenant/tenants/{tenantId}/trusted-certificates-pop/{fingerprint}/…: proof of possession. */
export async function proofOfPossessionRoutes(
  app: FastifyInstance,
  { auth, trust, proofOfPossession: pop, responseBody }: ProofOfPossessionOptions,
) {
  const options = { preHandler: auth.administrator, config: { resource: RESOURCE } };
  const path = '/tenant/tenants/:tenantId/trusted-certificates-pop/:fingerprint';

  const access = (request: FastifyRequest<{ Params: Params }>) => {
    const { tenantId, fingerprint } = request.params;
    const tenant = auth.assertTenantAccess(request.principal, tenantId);
    return { tenantId, fingerprint, base: origin(request, tenant.domain) };
  };

  app.post<{ Params: Params }>(`${path}/verification-code`, options, async (request, reply) => {
    const { tenantId, fingerprint, base } = access(request);
    const certificate = pop.issueCode(tenantId, fingerprint);
    request.log.info({ tenant: tenantId, fingerprint }, 'proof-of-possession verification code issued');
    return sendWritten(request, reply, responseBody, {
      status: 200,
      type: MEDIA.json,
      body: () => trustedCertificateJson(certificate, base),
    });
  });

  app.post<{ Params: Params }>(`${path}/pop`, options, async (request, reply) => {
    const { tenantId, fingerprint, base } = access(request);
    trust.get(tenantId, fingerprint); // an unknown certificate is a 404 before any payload error
    const payload = request.body;
    // Any unusable payload gets the platform's documented 422, which names the certificate.
    const signed =
      typeof payload === 'object' && payload !== null
        ? (payload as Record<string, unknown>).proofOfPossessionSignedVerificationCode
        : undefined;
    const certificate = pop.prove(tenantId, fingerprint, signed);
    request.log.info({ tenant: tenantId, fingerprint }, 'proof of possession accepted');
    return sendWritten(request, reply, responseBody, {
      status: 200,
      type: MEDIA.json,
      body: () => trustedCertificateJson(certificate, base),
    });
  });

  app.post<{ Params: Params }>(`${path}/confirmed`, options, async (request) => {
    const { tenantId, fingerprint } = access(request);
    trust.get(tenantId, fingerprint);
    // Only the management tenant may confirm a certificate without a proof; the mock's tenants are all ordinary.
    throw new Forbidden('Access is denied.', {
      reason: `confirming a certificate is for the management tenant; ${tenantId} is an ordinary tenant (use verification-code and pop)`,
    });
  });
}
