import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestAuth } from '../auth/principal.js';
import type { CertificateAuthorities } from '../enrollment/certificate-authorities.js';
import { origin } from '../http/links.js';
import { MEDIA } from '../http/media-types.js';
import { trustedCertificateJson } from '../http/representations.js';
import { type ResponseBodyPolicy, sendWritten } from '../http/response-body.js';

/**
 * /certificate-authority: the tenant's own CA, made and renewed here, read,
 * changed and deleted as one of its trusted certificates.
 */
export async function certificateAuthorityRoutes(
  app: FastifyInstance,
  {
    auth,
    authorities,
    responseBody,
  }: { auth: RequestAuth; authorities: CertificateAuthorities; responseBody: ResponseBodyPolicy },
) {
  const options = { preHandler: auth.administrator, config: { resource: 'Certificate Authority (CA)' } };
  const tenantOf = (request: FastifyRequest) => request.principal!.tenant;

  app.post('/certificate-authority', options, async (request, reply) => {
    const tenant = tenantOf(request);
    const created = await authorities.create(tenant);
    request.log.info(
      { tenant: tenant.id, fingerprint: created.record.fingerprint },
      'tenant certificate authority created',
    );
    return sendWritten(request, reply, responseBody, {
      status: 201,
      type: MEDIA.json,
      body: () => trustedCertificateJson(created, origin(request, tenant.domain)),
    });
  });

  app.post('/certificate-authority/renew', options, async (request, reply) => {
    const tenant = tenantOf(request);
    const renewed = await authorities.renew(tenant);
    request.log.info(
      { tenant: tenant.id, fingerprint: renewed.record.fingerprint },
      'tenant certificate authority renewed',
    );
    return sendWritten(request, reply, responseBody, {
      status: 201,
      type: MEDIA.json,
      body: () => trustedCertificateJson(renewed, origin(request, tenant.domain)),
    });
  });
}
