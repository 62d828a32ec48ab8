import type { FastifyInstance } from 'fastify';
import type { Identity } from '../device-data/identity.js';
import { externalIdJson, externalIdsJson, externalIdUrl } from '../http/data-representations.js';
import { MEDIA } from '../http/media-types.js';
import { sendWritten } from '../http/response-body.js';
import {
  callerOf,
  type DataRouteOptions,
  type Params,
  routeOptions,
  unknownPathsUnder,
} from './data-context.js';

const RESOURCE = 'identity';

export interface IdentityRouteOptions extends DataRouteOptions {
  identity: Identity;
}

/** /identity: external IDs (a device's serial) and the managed objects they name. */
export async function identityRoutes(app: FastifyInstance, options: IdentityRouteOptions) {
  const { identity, responseBody } = options;
  const route = routeOptions(options, RESOURCE);
  unknownPathsUnder(app, '/identity', options);
  const ofObject = '/identity/globalIds/:id/externalIds';
  const single = '/identity/externalIds/:type/:externalId';

  app.post<Params<'id'>>(ofObject, route, async (request, reply) => {
    const { actor, base } = callerOf(request);
    const record = identity.bind(actor, request.params.id, request.body);
    request.log.info(
      { tenant: actor.tenantId, id: record.managedObjectId, type: record.type },
      `${actor.userName} bound external ID ${record.type}/${record.externalId} to ${record.managedObjectId}`,
    );
    return sendWritten(request, reply, responseBody, {
      status: 201,
      type: MEDIA.externalId,
      location: externalIdUrl(base, record.type, record.externalId),
      body: () => externalIdJson(base, record),
    });
  });

  app.get<Params<'id'>>(ofObject, route, async (request, reply) => {
    const { actor, base } = callerOf(request);
    const records = identity.ofObject(actor, request.params.id);
    return reply
      .type(MEDIA.externalIdCollection)
      .send(externalIdsJson(base, records[0]?.managedObjectId ?? Number(request.params.id), records));
  });

  app.get<Params<'type' | 'externalId'>>(single, route, async (request, reply) => {
    const { actor, base } = callerOf(request);
    const record = identity.get(actor, request.params.type, request.params.externalId);
    return reply.type(MEDIA.externalId).send(externalIdJson(base, record));
  });

  app.delete<Params<'type' | 'externalId'>>(single, route, async (request, reply) => {
    const { actor } = callerOf(request);
    identity.delete(actor, request.params.type, request.params.externalId);
    request.log.info(
      { tenant: actor.tenantId, type: request.params.type },
      `${actor.userName} deleted external ID ${request.params.type}/${request.params.externalId}`,
    );
    return reply.status(204).send();
  });
}
