import type { FastifyInstance } from 'fastify';
import {
  ALARM_SEVERITIES,
  ALARM_STATUSES,
  type AlarmFilter,
  type AlarmRecord,
  type Alarms,
} from '../device-data/alarms.js';
import type { Inventory } from '../device-data/inventory.js';
import { collectionJson, type DataQuery, readDataQuery } from '../http/data-query.js';
import { alarmJson } from '../http/data-representations.js';
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

const RESOURCE = 'alarm';
const COLLECTION = '/alarm/alarms';

export interface AlarmRouteOptions extends DataRouteOptions {
  alarms: Alarms;
  /** For the source's name in each alarm. */
  inventory: Inventory;
}

const filterOf = (query: DataQuery): AlarmFilter => ({
  source: query.text('source'),
  types: query.list('type'),
  statuses: query.listOf('status', ALARM_STATUSES),
  severities: query.listOf('severity', ALARM_SEVERITIES),
  resolved: query.boolean('resolved'),
  time: query.range('dateFrom', 'dateTo'),
  creationTime: query.range('createdFrom', 'createdTo'),
  lastUpdated: query.range('lastUpdatedFrom', 'lastUpdatedTo'),
});

/** /alarm/alarms: raised, de-duplicated, acknowledged and cleared. */
export async function alarmRoutes(app: FastifyInstance, options: AlarmRouteOptions) {
  const { alarms, inventory, responseBody } = options;
  const route = routeOptions(options, RESOURCE);
  unknownPathsUnder(app, '/alarm', options);
  const json = (base: string, record: AlarmRecord) =>
    alarmJson(base, record, inventory.peek(record.tenantId, record.sourceId)?.name ?? null);

  for (const path of bothForms(COLLECTION)) {
    app.post<Params<never>>(path, route, async (request, reply) => {
      const { actor, base } = callerOf(request);
      const { alarm, deduplicated } = alarms.create(actor, request.body);
      request.log.info(
        { tenant: actor.tenantId, id: alarm.id, count: alarm.count },
        deduplicated
          ? `${actor.userName} raised alarm ${alarm.id} (${alarm.type}) again: count ${alarm.count}`
          : `${actor.userName} raised alarm ${alarm.id} (${alarm.type}, ${alarm.severity})`,
      );
      return sendWritten(request, reply, responseBody, {
        status: 201,
        type: MEDIA.alarm,
        location: `${base}${COLLECTION}/${alarm.id}`,
        body: () => json(base, alarm),
      });
    });

    app.get<Params<never>>(path, route, async (request, reply) => {
      const { actor, base } = callerOf(request);
      const query = readDataQuery(request.query, RESOURCE);
      const page = alarms.list(actor, filterOf(query), query.page);
      return reply.type(MEDIA.alarmCollection).send(
        collectionJson(
          'alarms',
          page.items.map((record) => json(base, record)),
          page,
          query.paging,
          `${base}${COLLECTION}`,
          request.query,
        ),
      );
    });

    app.put<Params<never>>(path, route, async (request, reply) => {
      const { actor } = callerOf(request);
      const changed = alarms.updateMany(
        actor,
        filterOf(readDataQuery(request.query, RESOURCE)),
        request.body,
      );
      request.log.info({ tenant: actor.tenantId, changed }, `${actor.userName} updated alarms`);
      return reply.status(200).send();
    });

    app.delete<Params<never>>(path, route, async (request, reply) => {
      const { actor } = callerOf(request);
      const removed = alarms.deleteMany(actor, filterOf(readDataQuery(request.query, RESOURCE)));
      request.log.info({ tenant: actor.tenantId, removed }, `${actor.userName} deleted alarms`);
      return reply.status(204).send();
    });
  }

  const single = `${COLLECTION}/:id`;
  app.get<Params<'id'>>(single, route, async (request, reply) => {
    const { actor, base } = callerOf(request);
    return reply.type(MEDIA.alarm).send(json(base, alarms.get(actor, request.params.id)));
  });

  app.put<Params<'id'>>(single, route, async (request, reply) => {
    const { actor, base } = callerOf(request);
    const record = alarms.update(actor, request.params.id, request.body);
    request.log.info(
      { tenant: actor.tenantId, id: record.id, status: record.status },
      `${actor.userName} set alarm ${record.id} to ${record.status}`,
    );
    return sendWritten(request, reply, responseBody, {
      status: 200,
      type: MEDIA.alarm,
      body: () => json(base, record),
    });
  });
}
