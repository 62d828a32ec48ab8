import type { FastifyInstance } from 'fastify';
import { OPERATION_STATUSES, type OperationFilter, type Operations } from '../device-data/operations.js';
import { collectionJson, type DataQuery, readDataQuery } from '../http/data-query.js';
import { operationJson } from '../http/data-representations.js';
import { MEDIA } from '../http/media-types.js';
import { sendWritten } from '../http/response-body.js';
import {
  bothForms,
  callerOf,
  type DataRouteOptions,
  type Params,
  routeOptions,
  unknownPathsUnder,
} from './data-context.js';

const RESOURCE = 'devicecontrol';
const COLLECTION = '/devicecontrol/operations';

export interface OperationRouteOptions extends DataRouteOptions {
  operations: Operations;
}

const filterOf = (query: DataQuery): OperationFilter => ({
  deviceId: query.text('deviceId'),
  agentId: query.text('agentId'),
  status: query.oneOf('status', OPERATION_STATUSES),
  fragmentType: query.text('fragmentType'),
  creationTime: query.range('dateFrom', 'dateTo'),
  revert: query.boolean('revert'),
});

/** /devicecontrol/operations: created for a device, picked up and finished by it. */
export async function operationRoutes(app: FastifyInstance, options: OperationRouteOptions) {
  const { operations, responseBody } = options;
  const route = routeOptions(options, RESOURCE);
  unknownPathsUnder(app, '/devicecontrol/operations', options);

  for (const path of bothForms(COLLECTION)) {
    app.post<Params<never>>(path, route, async (request, reply) => {
      const { actor, base } = callerOf(request);
      const operation = operations.create(actor, request.body);
      request.log.info(
        { tenant: actor.tenantId, id: operation.record.id, device: operation.record.deviceId },
        `${actor.userName} created operation ${operation.record.id} for device ${operation.record.deviceId}`,
      );
      return sendWritten(request, reply, responseBody, {
        status: 201,
        type: MEDIA.operation,
        location: `${base}${COLLECTION}/${operation.record.id}`,
        body: () => operationJson(base, operation),
      });
    });

    app.get<Params<never>>(path, route, async (request, reply) => {
      const { actor, base } = callerOf(request);
      const query = readDataQuery(request.query, RESOURCE);
      const page = operations.list(actor, filterOf(query), query.page);
      return reply.type(MEDIA.operationCollection).send(
        collectionJson(
          'operations',
          page.items.map((operation) => operationJson(base, operation)),
          page,
          query.paging,
          `${base}${COLLECTION}`,
          request.query,
        ),
      );
    });

    app.delete<Params<never>>(path, route, async (request, reply) => {
      const { actor } = callerOf(request);
      const removed = operations.deleteMany(actor, filterOf(readDataQuery(request.query, RESOURCE)));
      request.log.info({ tenant: actor.tenantId, removed }, `${actor.userName} deleted operations`);
      return reply.status(204).send();
    });
  }

  const single = `${COLLECTION}/:id`;
  app.get<Params<'id'>>(single, route, async (request, reply) => {
    const { actor, base } = callerOf(request);
    return reply.type(MEDIA.operation).send(operationJson(base, operations.get(actor, request.params.id)));
  });

  app.put<Params<'id'>>(single, route, async (request, reply) => {
    const { actor, base } = callerOf(request);
    const operation = operations.update(actor, request.params.id, request.body);
    request.log.info(
      { tenant: actor.tenantId, id: operation.record.id, status: operation.record.status },
      `${actor.userName} set operation ${operation.record.id} to ${operation.record.status}`,
    );
    return sendWritten(request, reply, responseBody, {
      status: 200,
      type: MEDIA.operation,
      body: () => operationJson(base, operation),
    });
  });
}
