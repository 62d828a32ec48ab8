import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestAuth } from '../auth/principal.js';
import { BodyReader, type JsonObject } from '../http/fields.js';
import { origin } from '../http/links.js';
import { MEDIA } from '../http/media-types.js';
import { booleanQuery, pageOf, parsePaging } from '../http/paging.js';
import { trustedCertificateJson } from '../http/representations.js';
import { type ResponseBodyPolicy, sendWritten } from '../http/response-body.js';
import {
  CERTIFICATE_STATUSES,
  type TrustedCertificateInput,
  type TrustedCertificatePatch,
  type TrustedCertificates,
} from '../tenants/trusted-certificates.js';

const RESOURCE = 'tenants';

type TenantParams = { tenantId: string };
type CertificateParams = { tenantId: string; fingerprint: string };
type Query = Record<string, string | string[] | undefined>;

/** /tenant/tenants/{tenantId}/trusted-certificates: whom a tenant trusts. */
export async function trustedCertificateRoutes(
  app: FastifyInstance,
  {
    auth,
    trust,
    responseBody,
  }: { auth: RequestAuth; trust: TrustedCertificates; responseBody: ResponseBodyPolicy },
) {
  const body = new BodyReader(RESOURCE);
  const options = { preHandler: auth.administrator, config: { resource: RESOURCE } };
  const collection = '/tenant/tenants/:tenantId/trusted-certificates';
  const single = `${collection}/:fingerprint`;

  /** The tenant in the path, after the access check, and the origin for links. */
  const tenantOf = (request: FastifyRequest<{ Params: TenantParams }>) => {
    const { tenantId } = request.params;
    const tenant = auth.assertTenantAccess(request.principal, tenantId);
    return { tenantId, base: origin(request, tenant.domain) };
  };

  app.get<{ Params: TenantParams; Querystring: Query }>(collection, options, async (request, reply) => {
    const { tenantId, base } = tenantOf(request);
    const paging = parsePaging(request.query, RESOURCE);
    const authorityOnly = booleanQuery(request.query, 'certificateAuthority', RESOURCE);
    // `certificateAuthority=true` keeps the tenant's own CA (go-c8y reads the CA so); false filters nothing.
    const all = trust.list(tenantId).filter((c) => !authorityOnly || c.tenantCertificateAuthority);
    const filters: Record<string, string> = {};
    for (const name of ['certificateAuthority', 'withTotalElements', 'withTotalPages']) {
      const value = request.query[name];
      if (typeof value === 'string') filters[name] = value;
    }
    const page = pageOf(all, paging, `${base}/tenant/tenants/${tenantId}/trusted-certificates`, filters);
    return reply.type(MEDIA.json).send({
      certificates: page.items.map((certificate) => trustedCertificateJson(certificate, base)),
      ...(page.next ? { next: page.next } : {}),
      ...(page.prev ? { prev: page.prev } : {}),
      self: page.self,
      statistics: page.statistics,
    });
  });

  app.post<{ Params: TenantParams; Querystring: Query }>(collection, options, async (request, reply) => {
    const { tenantId, base } = tenantOf(request);
    // Every trusted certificate is in the mock's trust store; the flag is read only to refuse a bad value.
    booleanQuery(request.query, 'addToTrustStore', RESOURCE);
    const added = trust.add(tenantId, uploadInput(body.object(request.body)));
    request.log.info(
      { tenant: tenantId, fingerprint: added.record.fingerprint },
      'trusted certificate added',
    );
    return sendWritten(request, reply, responseBody, {
      status: 201,
      type: MEDIA.json,
      body: () => trustedCertificateJson(added, base),
    });
  });

  app.post<{ Params: TenantParams; Querystring: Query }>(
    `${collection}/bulk`,
    options,
    async (request, reply) => {
      const { tenantId, base } = tenantOf(request);
      booleanQuery(request.query, 'addToTrustStore', RESOURCE);
      const items = body.array(body.object(request.body), 'certificates');
      const inputs = items.map((item, i) => uploadInput(body.object(item, `certificates[${i}]`)));
      const added = trust.addAll(tenantId, inputs);
      request.log.info({ tenant: tenantId, count: added.length }, 'trusted certificates added in bulk');
      return sendWritten(request, reply, responseBody, {
        status: 201,
        type: MEDIA.json,
        body: () => ({ certificates: added.map((certificate) => trustedCertificateJson(certificate, base)) }),
      });
    },
  );

  app.get<{ Params: CertificateParams }>(single, options, async (request, reply) => {
    const { tenantId, base } = tenantOf(request);
    return reply
      .type(MEDIA.json)
      .send(trustedCertificateJson(trust.get(tenantId, request.params.fingerprint), base));
  });

  app.put<{ Params: CertificateParams }>(single, options, async (request, reply) => {
    const { tenantId, base } = tenantOf(request);
    trust.get(tenantId, request.params.fingerprint); // an unknown certificate is a 404 before any payload error
    const updated = trust.update(tenantId, request.params.fingerprint, patchInput(body.object(request.body)));
    request.log.info(
      { tenant: tenantId, fingerprint: updated.record.fingerprint, status: updated.record.status },
      'trusted certificate updated',
    );
    return sendWritten(request, reply, responseBody, {
      status: 200,
      type: MEDIA.json,
      body: () => trustedCertificateJson(updated, base),
    });
  });

  app.delete<{ Params: CertificateParams }>(single, options, async (request, reply) => {
    const { tenantId } = tenantOf(request);
    trust.remove(tenantId, request.params.fingerprint);
    request.log.info(
      { tenant: tenantId, fingerprint: request.params.fingerprint },
      'trusted certificate removed',
    );
    return reply.status(204).send();
  });

  function uploadInput(object: JsonObject): TrustedCertificateInput {
    return {
      certInPemFormat: body.string(object, 'certInPemFormat', { required: true, nonEmpty: true })!,
      name: body.string(object, 'name', { nonEmpty: true }),
      // Required in the OpenAPI (UploadedTrustedCertificate: certInPemFormat and status).
      status: body.oneOf(object, 'status', CERTIFICATE_STATUSES, { required: true }),
      autoRegistrationEnabled: body.boolean(object, 'autoRegistrationEnabled'),
    };
  }

  /** Name, status and auto-registration change; the read-only fields a client echoes back are ignored. */
  function patchInput(object: JsonObject): TrustedCertificatePatch {
    return {
      name: body.string(object, 'name', { nonEmpty: true }),
      status: body.oneOf(object, 'status', CERTIFICATE_STATUSES),
      autoRegistrationEnabled: body.boolean(object, 'autoRegistrationEnabled'),
    };
  }
}
