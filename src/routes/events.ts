import type { FastifyInstance } from 'fastify';
import type { EventFilter, Events } from '../device-data/events.js';
import { collectionJson, type DataQuery, readDataQuery } from '../http/data-query.js';
import { eventJson } from '../http/data-representations.js';
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

const RESOURCE = 'event';
const COLLECTION = '/event/events';

export interface EventRouteOptions extends DataRouteOptions {
  events: Events;
}

const filterOf = (query: DataQuery): EventFilter => ({
  source: query.text('source'),
  type: query.text('type'),
  fragmentType: query.text('fragmentType'),
  fragmentValue: query.text('fragmentValue'),
  time: query.range('dateFrom', 'dateTo'),
  creationTime: query.range('createdFrom', 'createdTo'),
  lastUpdated: query.range('lastUpdatedFrom', 'lastUpdatedTo'),
  revert: query.boolean('revert'),
});

/** /event/events, also with a trailing slash (thin-edge posts there). */
export async function eventRoutes(app: FastifyInstance, options: EventRouteOptions) {
  const { events, responseBody } = options;
  const route = routeOptions(options, RESOURCE);
  unknownPathsUnder(app, '/event', options);

  for (const path of bothForms(COLLECTION)) {
    app.post<Params<never>>(path, route, async (request, reply) => {
      const { actor, base } = callerOf(request);
      const record = events.create(actor, request.body);
      request.log.debug(
        { tenant: actor.tenantId, id: record.id },
        `${actor.userName} sent event ${record.type}`,
      );
      return sendWritten(request, reply, responseBody, {
        status: 201,
        type: MEDIA.event,
        location: `${base}${COLLECTION}/${record.id}`,
        body: () => eventJson(base, record),
      });
    });

    app.get<Params<never>>(path, route, async (request, reply) => {
      const { actor, base } = callerOf(request);
      const query = readDataQuery(request.query, RESOURCE);
      const page = events.list(actor, filterOf(query), query.page);
      return reply.type(MEDIA.eventCollection).send(
        collectionJson(
          'events',
          page.items.map((record) => eventJson(base, record)),
          page,
          query.paging,
          `${base}${COLLECTION}`,
          request.query,
        ),
      );
    });

    app.delete<Params<never>>(path, route, async (request, reply) => {
      const { actor } = callerOf(request);
      const removed = events.deleteMany(actor, filterOf(readDataQuery(request.query, RESOURCE)));
      request.log.info({ tenant: actor.tenantId, removed }, `${actor.userName} deleted events`);
      return reply.status(204).send();
    });
  }

  const single = `${COLLECTION}/:id`;
  app.get<Params<'id'>>(single, route, async (request, reply) => {
    const { actor, base } = callerOf(request);
    return reply.type(MEDIA.event).send(eventJson(base, events.get(actor, request.params.id)));
  });

  app.put<Params<'id'>>(single, route, async (request, reply) => {
    const { actor, base } = callerOf(request);
    const record = events.update(actor, request.params.id, request.body);
    return sendWritten(request, reply, responseBody, {
      status: 200,
      type: MEDIA.event,
      body: () => eventJson(base, record),
    });
  });

  app.delete<Params<'id'>>(single, route, async (request, reply) => {
    const { actor } = callerOf(request);
    events.delete(actor, request.params.id);
    return reply.status(204).send();
  });
}
