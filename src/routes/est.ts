import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestAuth } from '../auth/principal.js';
import type { Enrolled, Enrollment } from '../enrollment/enrollment.js';
import { Forbidden, UNAUTHORIZED, Unauthorized, UnsupportedMediaType } from '../errors.js';
import { MEDIA } from '../http/media-types.js';
import { base64Lines } from '../pki/pkcs7.js';
import { splitLogin, type TenantRecord, type Tenants } from '../tenants/tenants.js';

const PKCS10 = /^application\/(x-)?pkcs10$/i;

declare module 'fastify' {
  interface FastifyRequest {
    /** simpleenroll: the tenant, device ID and one-time password of the Basic credentials. */
    enrollee?: { tenant: TenantRecord; externalId: string; otp: string };
  }
}

/**
 * EST (RFC 7030) as the platform serves it: `simpleenroll` with Basic
 * `<id>:<one-time password>`, `simplereenroll` with the device's token. No
 * client certificate is needed or read. The body is the CSR in base64 (with or
 * without Content-Transfer-Encoding; tedge's PEM without its armour too); the
 * answer is a certs-only PKCS#7 in base64, 200. Errors are `{message}` alone,
 * as the platform's EST answers.
 */
export async function estRoutes(
  app: FastifyInstance,
  { auth, tenants, enrollment }: { auth: RequestAuth; tenants: Tenants; enrollment: Enrollment },
) {
  // The CSR as bytes: base64 or PEM text, or DER.
  app.addContentTypeParser(PKCS10, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const config = { resource: 'est', errorBody: 'message' as const };
  /** Credentials first (401 before 415 or 400), then the media type, both before the body is read. */
  const pkcs10 = async (request: FastifyRequest) => {
    const type = request.headers['content-type']?.split(';')[0]?.trim() ?? '';
    if (!PKCS10.test(type)) {
      throw new UnsupportedMediaType(
        `Send the certificate signing request as Content-Type: application/pkcs10 (base64 DER); got ${type === '' ? 'none' : JSON.stringify(type)}.`,
      );
    }
  };
  const bodyOf = (request: FastifyRequest) =>
    Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);

  const answer = (reply: import('fastify').FastifyReply, enrolled: Enrolled) =>
    reply
      .status(200)
      .type(MEDIA.pkcs7CertsOnly)
      .header('content-transfer-encoding', 'base64')
      .send(base64Lines(enrolled.pkcs7));

  app.post(
    '/.well-known/est/simpleenroll',
    {
      config,
      onRequest: [
        async (request) => {
          request.enrollee = enrollee(request, tenants);
        },
        pkcs10,
      ],
    },
    async (request, reply) => {
      const { tenant, externalId, otp } = request.enrollee!;
      const enrolled = await enrollment.enroll({
        tenant,
        externalId,
        otp,
        body: bodyOf(request),
        remoteAddress: request.ip,
      });
      request.log.info(
        { tenant: tenant.id, device: externalId, serial: enrolled.certificate.serialHex },
        'EST: certificate issued',
      );
      return answer(reply, enrolled);
    },
  );

  app.post(
    '/.well-known/est/simplereenroll',
    {
      config,
      onRequest: [
        async (request) => {
          const principal = await auth.authenticate(request);
          // ROLE_DEVICE: a device's token (the mock has no device passwords).
          if (principal.kind !== 'device') {
            throw new Forbidden('Access is denied.', {
              reason: `${principal.userName} of tenant ${principal.tenant.id} is no device`,
            });
          }
          request.principal = principal;
        },
        pkcs10,
      ],
    },
    async (request, reply) => {
      const principal = request.principal!;
      if (principal.kind !== 'device') throw new Forbidden('Access is denied.');
      const enrolled = await enrollment.reenroll({
        tenant: principal.tenant,
        device: principal.device,
        body: bodyOf(request),
        remoteAddress: request.ip,
      });
      request.log.info(
        {
          tenant: principal.tenant.id,
          device: principal.device.externalId,
          serial: enrolled.certificate.serialHex,
        },
        'EST: certificate renewed',
      );
      return answer(reply, enrolled);
    },
  );
}

/**
 * Who enrolls: Basic `<id>:<one-time password>`, the tenant the one whose
 * domain the request was sent to, or named as `<tenantId>/<id>` (the docs call
 * the tenant the Basic realm; clients send none).
 */
function enrollee(request: FastifyRequest, tenants: Tenants) {
  const [scheme, param = ''] = (request.headers.authorization ?? '').trim().split(/\s+/, 2);
  if (!/^basic$/i.test(scheme ?? '')) {
    throw new Unauthorized(UNAUTHORIZED.missing, {
      rule: 'enrollment-request',
      reason: scheme ? `simpleenroll needs Basic credentials, got ${scheme}` : 'no Authorization header',
    });
  }
  const decoded = Buffer.from(param, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    throw new Unauthorized(UNAUTHORIZED.credentials, { reason: 'Basic credentials without a colon' });
  }
  const { tenantId, userName } = splitLogin(decoded.slice(0, colon));
  const tenant = tenantId === undefined ? tenants.byHost(request.host) : tenants.get(tenantId);
  if (!tenant) {
    throw new Unauthorized(
      tenantId === undefined
        ? `Cannot tell the tenant: the host ${JSON.stringify(request.host)} is no tenant's domain. Send the request to the tenant's domain, or name the tenant in the user: <tenantId>/${userName}.`
        : UNAUTHORIZED.credentials,
      {
        reason:
          tenantId === undefined ? `host ${request.host} is no tenant's domain` : `no tenant ${tenantId}`,
      },
    );
  }
  return { tenant, externalId: userName, otp: decoded.slice(colon + 1) };
}
