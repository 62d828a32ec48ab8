import type { FastifyInstance } from 'fastify';
import type { MeasurementFilter, Measurements } from '../device-data/measurements.js';
import type { GroupCommit } from '../group-commit.js';
import { collectionJson, type DataQuery, readDataQuery } from '../http/data-query.js';
import { measurementJson } from '../http/data-representations.js';
import { cumulocityMediaName, MEDIA } from '../http/media-types.js';
import { sendWritten } from '../http/response-body.js';
import {
  bothForms,
  callerOf,
  type DataRouteOptions,
  type Params,
  routeOptions,
  unknownPathsUnder,
} from './data-context.js';

const RESOURCE = 'measurement';
const COLLECTION = '/measurement/measurements';

export interface MeasurementRouteOptions extends DataRouteOptions {
  measurements: Measurements;
  /** Stores the measurements of concurrent POSTs in one transaction; each answers after it. */
  commit: GroupCommit;
}

const filterOf = (query: DataQuery): MeasurementFilter => ({
  source: query.text('source'),
  type: query.text('type'),
  valueFragmentType: query.text('valueFragmentType'),
  valueFragmentSeries: query.text('valueFragmentSeries'),
  time: query.range('dateFrom', 'dateTo'),
  revert: query.boolean('revert'),
});

/** /measurement/measurements: one measurement, or a measurementcollection, per POST. */
export async function measurementRoutes(app: FastifyInstance, options: MeasurementRouteOptions) {
  const { measurements, responseBody, commit } = options;
  const route = routeOptions(options, RESOURCE);
  unknownPathsUnder(app, '/measurement', options);

  for (const path of bothForms(COLLECTION)) {
    app.post<Params<never>>(path, route, async (request, reply) => {
      const { actor, base } = callerOf(request);
      if (cumulocityMediaName(request) === 'measurementcollection') {
        const created = await commit.run(() => measurements.createMany(actor, request.body));
        request.log.debug(
          { tenant: actor.tenantId, count: created.length },
          `${actor.userName} sent measurements`,
        );
        return sendWritten(request, reply, responseBody, {
          status: 201,
          type: MEDIA.measurementCollection,
          body: () => ({ measurements: created.map((record) => measurementJson(base, record)) }),
        });
      }
      const record = await commit.run(() => measurements.create(actor, request.body));
      request.log.debug({ tenant: actor.tenantId, id: record.id }, `${actor.userName} sent a measurement`);
      return sendWritten(request, reply, responseBody, {
        status: 201,
        type: MEDIA.measurement,
        location: `${base}${COLLECTION}/${record.id}`,
        body: () => measurementJson(base, record),
      });
    });

    app.get<Params<never>>(path, route, async (request, reply) => {
      const { actor, base } = callerOf(request);
      const query = readDataQuery(request.query, RESOURCE);
      const page = measurements.list(actor, filterOf(query), query.page);
      return reply.type(MEDIA.measurementCollection).send(
        collectionJson(
          'measurements',
          page.items.map((record) => measurementJson(base, record)),
          page,
          query.paging,
          `${base}${COLLECTION}`,
          request.query,
        ),
      );
    });

    app.delete<Params<never>>(path, route, async (request, reply) => {
      const { actor } = callerOf(request);
      const removed = measurements.deleteMany(actor, filterOf(readDataQuery(request.query, RESOURCE)));
      request.log.info({ tenant: actor.tenantId, removed }, `${actor.userName} deleted measurements`);
      return reply.status(204).send();
    });
  }

  app.get<Params<'id'>>(`${COLLECTION}/:id`, route, async (request, reply) => {
    const { actor, base } = callerOf(request);
    return reply
      .type(MEDIA.measurement)
      .send(measurementJson(base, measurements.get(actor, request.params.id)));
  });

  app.delete<Params<'id'>>(`${COLLECTION}/:id`, route, async (request, reply) => {
    const { actor } = callerOf(request);
    measurements.delete(actor, request.params.id);
    return reply.status(204).send();
  });
}
