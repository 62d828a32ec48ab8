import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { type Actor, administratorActor, systemActor } from '../device-data/actor.js';
import type { Alarms } from '../device-data/alarms.js';
import type { DeviceObjects } from '../device-data/device-objects.js';
import type { Events } from '../device-data/events.js';
import type { Inventory } from '../device-data/inventory.js';
import type { Measurements } from '../device-data/measurements.js';
import type { Operations } from '../device-data/operations.js';
import { BadRequest, C8yError, NotFound } from '../errors.js';
import {
  alarmJson,
  eventJson,
  managedObjectJson,
  measurementJson,
  operationJson,
} from '../http/data-representations.js';
import { origin } from '../http/links.js';
import { MEDIA } from '../http/media-types.js';
import { deviceUserName } from '../tenants/devices.js';
import type { Tenants } from '../tenants/tenants.js';
import type { UiSessions, Viewer } from './sessions.js';
import { requireSession } from './ui-auth.js';
import { assertCanAct, describeViewer } from './viewer.js';

const RESOURCE = 'dashboard';
/** Rows of each kind the device view shows, newest first. */
export const LATEST = 10;
const LATEST_PAGE = { currentPage: 1, pageSize: LATEST, withTotal: true };
const FRAGMENT = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;

export interface DeviceDataApiOptions {
  clock: Clock;
  tenants: Tenants;
  sessions: UiSessions;
  deviceObjects: DeviceObjects;
  inventory: Inventory;
  measurements: Measurements;
  events: Events;
  alarms: Alarms;
  operations: Operations;
}

type DeviceParams = { Params: { tenantId: string; externalId: string } };

/**
 * The device view's data: a device's managed object, its latest
 * measurements, events, alarms and operations, and the administrator's
 * "create an operation". Read through the domain services as the viewer: the
 * mock administrator acts as the mock itself, a tenant administrator as that
 * administrator, on their own tenant only.
 */
export async function uiDeviceDataRoutes(app: FastifyInstance, options: DeviceDataApiOptions) {
  const { clock, tenants, sessions, deviceObjects, inventory, measurements, events, alarms, operations } =
    options;
  const route = { config: { resource: RESOURCE }, preHandler: requireSession(sessions, tenants) };

  const context = (request: FastifyRequest<DeviceParams>) => {
    const viewer: Viewer = request.uiSession!.viewer;
    const { tenantId, externalId } = request.params;
    assertCanAct(viewer, tenantId);
    const tenant = tenants.get(tenantId);
    if (!tenant) throw new NotFound(RESOURCE, `No tenant ${tenantId}.`);
    const actor: Actor =
      viewer.kind === 'admin' ? systemActor(tenantId) : administratorActor(tenantId, viewer.userName);
    return { viewer, actor, externalId, base: origin(request, tenant.domain) };
  };

  app.get<DeviceParams>('/_mock/ui/api/devices/:tenantId/:externalId/data', route, async (request, reply) => {
    const { actor, externalId, base } = context(request);
    const device = deviceObjects.objectOf(actor.tenantId, externalId);
    const others = deviceObjects
      .ownedBy(actor.tenantId, deviceUserName(externalId))
      .filter((record) => record.id !== device?.id)
      .map((record) => ({ id: String(record.id), name: record.name, type: record.type }));
    if (!device) {
      return reply.type(MEDIA.json).send({ now: clock.now(), managedObject: null, others });
    }
    const source = String(device.id);
    const name = device.name;
    const latest = {
      measurements: measurements.list(actor, { source, revert: true }, LATEST_PAGE),
      events: events.list(actor, { source }, LATEST_PAGE),
      alarms: alarms.list(actor, { source }, LATEST_PAGE),
      operations: operations.list(actor, { deviceId: source, revert: true }, LATEST_PAGE),
    };
    const supported = device.fragments.c8y_SupportedOperations;
    return reply.type(MEDIA.json).send({
      now: clock.now(),
      managedObject: managedObjectJson(base, inventory.view(device)),
      others,
      supportedOperations: Array.isArray(supported) ? supported.filter((op) => typeof op === 'string') : [],
      measurements: {
        total: latest.measurements.total,
        items: latest.measurements.items.map((m) => measurementJson(base, m)),
      },
      events: { total: latest.events.total, items: latest.events.items.map((e) => eventJson(base, e)) },
      alarms: { total: latest.alarms.total, items: latest.alarms.items.map((a) => alarmJson(base, a, name)) },
      operations: {
        total: latest.operations.total,
        items: latest.operations.items.map((o) => operationJson(base, o)),
      },
    });
  });

  app.post<DeviceParams>(
    '/_mock/ui/api/devices/:tenantId/:externalId/operations',
    route,
    async (request, reply) => {
      const { viewer, actor, externalId, base } = context(request);
      const example = '{"fragment": "c8y_Restart", "parameters": {}, "description": "Restart"}';
      const body = request.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new BadRequest(RESOURCE, `Send a JSON object, e.g. ${example}.`);
      }
      const { fragment, parameters = {}, description } = body as Record<string, unknown>;
      if (typeof fragment !== 'string' || !FRAGMENT.test(fragment)) {
        throw new BadRequest(
          RESOURCE,
          `"fragment" must name what to do, such as c8y_Restart (letters, digits, _ . -); got ${JSON.stringify(fragment)?.slice(0, 60)}.`,
        );
      }
      if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
        throw new BadRequest(RESOURCE, `"parameters" must be a JSON object, e.g. {"text": "reboot"}.`);
      }
      if (description !== undefined && typeof description !== 'string') {
        throw new BadRequest(RESOURCE, '"description" must be a string.');
      }
      const device = deviceObjects.objectOf(actor.tenantId, externalId);
      if (!device) {
        throw new NotFound(
          RESOURCE,
          `Device ${externalId} has no managed object yet: it creates one with POST /inventory/managedObjects (or bulk registration does).`,
        );
      }
      try {
        const operation = operations.create(actor, {
          deviceId: String(device.id),
          ...(description ? { description } : {}),
          [fragment]: parameters,
        });
        request.log.info(
          `dashboard: ${describeViewer(viewer)} created operation ${operation.record.id} (${fragment}) for ${externalId} of ${actor.tenantId}`,
        );
        return reply.status(201).type(MEDIA.json).send(operationJson(base, operation));
      } catch (error) {
        // The platform's words, in the dashboard's error type.
        if (error instanceof C8yError && error.status === 422) throw new BadRequest(RESOURCE, error.message);
        throw error;
      }
    },
  );
}
