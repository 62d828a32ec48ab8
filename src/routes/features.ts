import type { FastifyInstance } from 'fastify';
import type { RequestAuth } from '../auth/principal.js';
import { NotFound } from '../errors.js';
import { BodyReader } from '../http/fields.js';
import { MEDIA } from '../http/media-types.js';
import { type ResponseBodyPolicy, sendWritten } from '../http/response-body.js';
import type { FeatureToggles } from '../tenants/feature-toggles.js';

const RESOURCE = 'features';

type Params = { key: string };

export interface FeatureRouteOptions {
  auth: RequestAuth;
  features: FeatureToggles;
  responseBody: ResponseBodyPolicy;
}

/**
 * The platform's Feature Toggles API for the current tenant, as the docs use it for
 * `certificate-authority`: GET /features, GET /features/{key}, PUT /features/{key}/by-tenant.
 * Its one feature here is the device access token: off, the token endpoint answers the
 * documented 404 "This feature is disabled, please contact system administrator."
 */
export async function featureRoutes(
  app: FastifyInstance,
  { auth, features, responseBody }: FeatureRouteOptions,
) {
  const body = new BodyReader(RESOURCE);
  const options = { preHandler: auth.administrator, config: { resource: RESOURCE } };

  const known = (tenantId: string, key: string) => {
    const feature = features.get(tenantId, key);
    if (!feature) {
      throw new NotFound(RESOURCE, `Feature toggle with key ${key} not found`, {
        reason: `the mock knows the features ${features
          .list(tenantId)
          .map((f) => f.key)
          .join(', ')}`,
      });
    }
    return feature;
  };

  app.get('/features', options, async (request, reply) =>
    reply.type(MEDIA.json).send(features.list(request.principal!.tenant.id)),
  );

  app.get<{ Params: Params }>('/features/:key', options, async (request, reply) =>
    reply.type(MEDIA.json).send(known(request.principal!.tenant.id, request.params.key)),
  );

  app.put<{ Params: Params }>('/features/:key/by-tenant', options, async (request, reply) => {
    const tenantId = request.principal!.tenant.id;
    const { key } = request.params;
    known(tenantId, key);
    const active =
      body.boolean(body.object(request.body), 'active') ??
      body.fail('Field active is required: true or false.');
    const feature = features.set(tenantId, key, active)!;
    request.log.info({ tenant: tenantId, feature: key, active }, 'feature switched for the tenant');
    return sendWritten(request, reply, responseBody, { status: 200, type: MEDIA.json, body: () => feature });
  });
}
