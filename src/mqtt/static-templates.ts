import { type Clock, isoDate } from '../clock.js';
import { type Actor, administratorActor, deviceActor } from '../device-data/actor.js';
import type { Alarms } from '../device-data/alarms.js';
import type { DeviceObjects } from '../device-data/device-objects.js';
import type { Events } from '../device-data/events.js';
import { AGENT_FRAGMENT, type Inventory, type ManagedObjectRecord } from '../device-data/inventory.js';
import type { Measurements } from '../device-data/measurements.js';
import type { OperationRecord, Operations } from '../device-data/operations.js';
import { parseDateTime } from '../device-data/time.js';
import { operationLine } from './operation-lines.js';
import type { SessionIdentity } from './sessions.js';
import { SmartRestError, type TemplateContext, type TemplateSpec, Templates } from './templates.js';

/** What the templates write to: the device data services, without HTTP. */
export interface TemplateServices {
  inventory: Inventory;
  deviceObjects: DeviceObjects;
  measurements: Measurements;
  events: Events;
  alarms: Alarms;
  operations: Operations;
  clock: Clock;
}

/** The external ID type of devices that create themselves over MQTT (reference A4). */
const SERIAL = 'c8y_Serial';
const ONE = { currentPage: 1, pageSize: 1, withTotal: false };
/** How many pending operations one `500` hands out again. */
const PENDING_PAGE = { currentPage: 1, pageSize: 200, withTotal: false };
const SEVERITY: Record<string, string> = {
  '301': 'CRITICAL',
  '302': 'MAJOR',
  '303': 'MINOR',
  '304': 'WARNING',
};

/** Who acts for a session: a certificate device as its device user, a password session as its user. */
export const actorOf = (session: SessionIdentity): Actor =>
  session.auth === 'certificate'
    ? deviceActor(session.tenantId, session.userName)
    : administratorActor(session.tenantId, session.userName);

/** The external ID a SmartREST line acts on: the child of `s/us/<child>`, else the session's device. */
const targetId = ({ session, child }: TemplateContext) => child || session.externalId;

/** A device's first external ID of type c8y_Serial (else its first): how `s/ds` names it. */
export function externalIdOf(inventory: Inventory, record: ManagedObjectRecord): string | undefined {
  const ids = inventory.externalIdsOf(record);
  return (ids.find((id) => id.type === SERIAL) ?? ids[0])?.externalId;
}

/**
 * The static templates of core MQTT the mock understands (reference A6, A8;
 * the platform's list of MQTT static templates), each written to the tenant's
 * device data as the REST APIs would store it. A device that sends data
 * before `100` is created first, as the platform does ("automatic device
 * creation"), also a first-level child on `s/us/<child>`.
 */
export function staticTemplates(services: TemplateServices): Templates {
  const { inventory, deviceObjects, measurements, events, alarms, operations, clock } = services;

  /** A line's time in milliseconds; now when it has none. */
  const instant = (template: string, value: string | undefined): number => {
    if (!value) return clock.now();
    const ms = parseDateTime(value);
    if (ms === undefined) throw new SmartRestError(45, template, `Value is not a date: ${value}`);
    return ms;
  };
  /** A line's time as a document (an event's, an alarm's) carries it: as sent, once checked. */
  const time = (template: string, value: string | undefined): string => {
    if (!value) return isoDate(clock.now());
    instant(template, value);
    return value;
  };
  const number = (template: string, value: string | undefined): number => {
    const parsed = value === undefined || value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(parsed))
      throw new SmartRestError(45, template, `Value is not a number: ${value ?? ''}`);
    return parsed;
  };
  const optionalNumber = (template: string, value: string | undefined) =>
    value === undefined || value === '' ? undefined : number(template, value);
  const compact = (fields: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== ''));

  /** Creates the device (or, with a parent, the child device) as `100`/`101` do. */
  const create = (
    actor: Actor,
    externalId: string,
    name?: string,
    type?: string,
    parent?: ManagedObjectRecord,
  ) => {
    const body = {
      name: name || `MQTT Device ${externalId}`,
      type: type || 'c8y_MQTTDevice',
      c8y_IsDevice: {},
      // Operations of its children go to it, as to a thin-edge gateway.
      ...(parent ? {} : { [AGENT_FRAGMENT]: {} }),
      externalIds: [{ type: SERIAL, externalId }],
    };
    const created = parent
      ? inventory.createChild(actor, String(parent.id), 'childDevices', body)
      : inventory.create(actor, body);
    return created.record;
  };

  /** The session's device, created first if it does not exist yet. */
  const ownDevice = (context: TemplateContext): ManagedObjectRecord => {
    const { session } = context;
    return (
      deviceObjects.objectOf(session.tenantId, session.externalId) ??
      create(actorOf(session), session.externalId)
    );
  };

  /** The device a line acts on: the session's, or a child (created under it when new). */
  const device = (context: TemplateContext): ManagedObjectRecord => {
    if (!context.child) return ownDevice(context);
    const { session, child } = context;
    return (
      deviceObjects.objectOf(session.tenantId, child) ??
      create(actorOf(session), child, child, undefined, ownDevice(context))
    );
  };

  const update = (context: TemplateContext, fragments: Record<string, unknown>) => {
    const target = device(context);
    inventory.update(actorOf(context.session), String(target.id), fragments);
  };

  /** A measurement of the line's device at `time`, the instant of `sent` (the line's time) or now. */
  const measure = (
    context: TemplateContext,
    type: string,
    time: number,
    sent: string | undefined,
    fragments: Record<string, unknown>,
  ) => {
    // Made here, and of the device read just now: no document to read, no source to read again.
    measurements.createMade(actorOf(context.session), device(context), {
      type,
      time,
      sentTime: sent || undefined,
      fragments,
    });
  };

  const series = (value: number, unit: string | undefined) => (unit ? { value, unit } : { value });

  /** The oldest operation of the device with the fragment, in one of the statuses (in that order). */
  const oldest = (
    context: TemplateContext,
    template: string,
    fragment: string,
    statuses: OperationRecord['status'][],
  ) => {
    const target = device(context);
    for (const status of statuses) {
      const [found] = operations.list(
        actorOf(context.session),
        { deviceId: String(target.id), status, fragmentType: fragment },
        ONE,
      ).items;
      if (found) return found.record;
    }
    throw new SmartRestError(41, template, `No ${statuses.join(' or ')} operation with fragment ${fragment}`);
  };

  const setStatus = (
    context: TemplateContext,
    operation: OperationRecord,
    status: OperationRecord['status'],
    extra: Record<string, unknown> = {},
  ) => {
    operations.update(actorOf(context.session), String(operation.id), { status, ...extra });
  };

  /** What `503`/`506` parameters set: the result of a shell command; other operations keep theirs. */
  const results = (operation: OperationRecord, parameters: string[]): Record<string, unknown> => {
    const command = operation.fragments.c8y_Command;
    return parameters.length > 0 && typeof command === 'object' && command !== null
      ? { c8y_Command: { ...command, result: parameters.join(',') } }
      : {};
  };

  const byId = (context: TemplateContext, template: string, id: string) => {
    if (!/^\d+$/.test(id)) throw new SmartRestError(45, template, `Value is not a number: ${id}`);
    return operations.get(actorOf(context.session), id).record;
  };

  const specs: [string, TemplateSpec][] = [
    // Inventory
    [
      '100',
      {
        min: 0,
        max: 2,
        handler: (context, [name, type]) => {
          const { session } = context;
          const id = targetId(context);
          if (deviceObjects.objectOf(session.tenantId, id)) {
            throw new SmartRestError(41, '100', 'Device already existing');
          }
          if (context.child) create(actorOf(session), id, name, type, ownDevice(context));
          else create(actorOf(session), id, name, type);
          return undefined;
        },
      },
    ],
    [
      '101',
      {
        min: 1,
        max: 3,
        handler: (context, [childId, name, type]) => {
          const { session } = context;
          const parent = device(context);
          if (deviceObjects.objectOf(session.tenantId, childId!)) {
            throw new SmartRestError(41, '101', 'Device already existing');
          }
          create(actorOf(session), childId!, name || childId, type, parent);
          return undefined;
        },
      },
    ],
    [
      '107',
      {
        min: 1,
        max: 100,
        handler: (context, fragments) => {
          update(context, Object.fromEntries(fragments.map((fragment) => [fragment, null])));
          return undefined;
        },
      },
    ],
    [
      '110',
      {
        min: 0,
        max: 3,
        handler: (context, [serialNumber, model, revision]) => {
          update(context, { c8y_Hardware: compact({ serialNumber, model, revision }) });
          return undefined;
        },
      },
    ],
    [
      '111',
      {
        min: 0,
        max: 7,
        handler: (context, [imei, iccid, imsi, mcc, mnc, lac, cellId]) => {
          update(context, { c8y_Mobile: compact({ imei, iccid, imsi, mcc, mnc, lac, cellId }) });
          return undefined;
        },
      },
    ],
    [
      '112',
      {
        min: 2,
        max: 4,
        handler: (context, [lat, lng, alt, accuracy]) => {
          update(context, {
            c8y_Position: compact({
              lat: number('112', lat),
              lng: number('112', lng),
              alt: optionalNumber('112', alt),
              accuracy: optionalNumber('112', accuracy),
            }),
          });
          return undefined;
        },
      },
    ],
    [
      '113',
      {
        min: 1,
        max: 1,
        handler: (context, [config]) => {
          update(context, { c8y_Configuration: { config } });
          return undefined;
        },
      },
    ],
    [
      '114',
      {
        min: 0,
        max: 1000,
        handler: (context, supported) => {
          update(context, { c8y_SupportedOperations: supported });
          return undefined;
        },
      },
    ],
    [
      '115',
      {
        min: 1,
        max: 3,
        handler: (context, [name, version, url]) => {
          update(context, { c8y_Firmware: compact({ name, version, url }) });
          return undefined;
        },
      },
    ],
    [
      '117',
      {
        min: 1,
        max: 1,
        handler: (context, [interval]) => {
          const minutes = number('117', interval);
          if (!Number.isInteger(minutes))
            throw new SmartRestError(45, '117', `Value is not an integer: ${interval}`);
          update(context, { c8y_RequiredAvailability: { responseInterval: minutes } });
          return undefined;
        },
      },
    ],
    [
      '122',
      {
        min: 1,
        max: 4,
        handler: (context, [name, version, url, maintainer]) => {
          update(context, { c8y_Agent: compact({ name, version, url, maintainer }) });
          return undefined;
        },
      },
    ],
    ['123', { min: 0, max: 0, handler: (context) => [`124,${device(context).id}`] }],

    // Measurements
    [
      '200',
      {
        min: 3,
        max: 5,
        handler: (context, [fragment, seriesName, value, unit, when]) => {
          const reading = number('200', value);
          measure(context, fragment!, instant('200', when), when, {
            [fragment!]: { [seriesName!]: series(reading, unit) },
          });
          return undefined;
        },
      },
    ],
    [
      '201',
      {
        min: 5,
        max: 2 + 4 * 100,
        handler: (context, [type, when, ...values]) => {
          const fragments: Record<string, Record<string, unknown>> = {};
          for (let i = 0; i < values.length; i += 4) {
            const [fragment, seriesName, value, unit] = values.slice(i, i + 4);
            if (!fragment || !seriesName || value === undefined) {
              throw new SmartRestError(45, '201', 'Wrong number of arguments');
            }
            fragments[fragment] = {
              ...fragments[fragment],
              [seriesName]: series(number('201', value), unit),
            };
          }
          measure(context, type!, instant('201', when), when, fragments);
          return undefined;
        },
      },
    ],
    [
      '210',
      {
        min: 1,
        max: 3,
        handler: (context, [rssi, ber, when]) => {
          measure(context, 'c8y_SignalStrength', instant('210', when), when, {
            c8y_SignalStrength: compact({
              rssi: series(number('210', rssi), 'dBm'),
              ber: ber ? series(number('210', ber), '%') : undefined,
            }),
          });
          return undefined;
        },
      },
    ],
    [
      '211',
      {
        min: 1,
        max: 2,
        handler: (context, [temperature, when]) => {
          measure(context, 'c8y_TemperatureMeasurement', instant('211', when), when, {
            c8y_TemperatureMeasurement: { T: series(number('211', temperature), 'C') },
          });
          return undefined;
        },
      },
    ],
    [
      '212',
      {
        min: 1,
        max: 2,
        handler: (context, [level, when]) => {
          measure(context, 'c8y_Battery', instant('212', when), when, {
            c8y_Battery: { level: series(number('212', level), '%') },
          });
          return undefined;
        },
      },
    ],

    // Alarms
    ...(['301', '302', '303', '304'] as const).map((id): [string, TemplateSpec] => [
      id,
      {
        min: 1,
        max: 3,
        handler: (context, [type, text, when]) => {
          const source = device(context);
          alarms.create(actorOf(context.session), {
            source: { id: String(source.id) },
            type,
            // The platform requires a text; a device that sends none gets its type.
            text: text || type,
            severity: SEVERITY[id],
            time: time(id, when),
          });
          return undefined;
        },
      },
    ]),
    [
      '305',
      {
        min: 2,
        max: 2,
        handler: (context, [type, severity]) => {
          const source = device(context);
          const actor = actorOf(context.session);
          const [open] = alarms.list(
            actor,
            { source: String(source.id), types: [type!], resolved: false },
            ONE,
          ).items;
          if (!open) throw new SmartRestError(41, '305', `No active alarm of type ${type}`);
          alarms.update(actor, String(open.id), { severity });
          return undefined;
        },
      },
    ],
    [
      '306',
      {
        min: 1,
        max: 1,
        handler: (context, [type]) => {
          const source = device(context);
          const actor = actorOf(context.session);
          // One by one: a device may change its own alarms (ownership), not alarms at large (updateMany).
          const open = alarms.list(
            actor,
            { source: String(source.id), types: [type!], resolved: false },
            PENDING_PAGE,
          ).items;
          for (const alarm of open) alarms.update(actor, String(alarm.id), { status: 'CLEARED' });
          return undefined;
        },
      },
    ],

    // Events
    [
      '400',
      {
        min: 2,
        max: 3,
        handler: (context, [type, text, when]) => {
          const source = device(context);
          events.create(actorOf(context.session), {
            source: { id: String(source.id) },
            type,
            text,
            time: time('400', when),
          });
          return undefined;
        },
      },
    ],
    ...(['401', '402'] as const).map((id): [string, TemplateSpec] => [
      id,
      {
        min: 2,
        max: 5,
        handler: (context, [lat, lng, alt, accuracy, when]) => {
          const position = compact({
            lat: number(id, lat),
            lng: number(id, lng),
            alt: optionalNumber(id, alt),
            accuracy: optionalNumber(id, accuracy),
          });
          const source = device(context);
          events.create(actorOf(context.session), {
            source: { id: String(source.id) },
            type: 'c8y_LocationUpdate',
            text: 'Location updated',
            time: time(id, when),
            c8y_Position: position,
          });
          if (id === '402') update(context, { c8y_Position: position });
          return undefined;
        },
      },
    ]),

    // Operations
    [
      '500',
      {
        min: 0,
        max: 0,
        handler: (context) => {
          const agent = device(context);
          const pending = operations.list(
            actorOf(context.session),
            { agentId: String(agent.id), status: 'PENDING' },
            PENDING_PAGE,
          ).items;
          return pending.flatMap(({ record }) => {
            const target = inventory.peek(record.tenantId, record.deviceId);
            const id = target && externalIdOf(inventory, target);
            const line = id === undefined ? undefined : operationLine(record.fragments, id);
            return line === undefined ? [] : [line];
          });
        },
      },
    ],
    [
      '501',
      {
        min: 1,
        max: 1,
        handler: (context, [fragment]) => {
          setStatus(context, oldest(context, '501', fragment!, ['PENDING']), 'EXECUTING');
          return undefined;
        },
      },
    ],
    [
      '502',
      {
        min: 1,
        max: 2,
        handler: (context, [fragment, reason]) => {
          const operation = oldest(context, '502', fragment!, ['EXECUTING', 'PENDING']);
          setStatus(context, operation, 'FAILED', reason ? { failureReason: reason } : {});
          return undefined;
        },
      },
    ],
    [
      '503',
      {
        min: 1,
        max: 1000,
        handler: (context, [fragment, ...parameters]) => {
          const operation = oldest(context, '503', fragment!, ['EXECUTING', 'PENDING']);
          setStatus(context, operation, 'SUCCESSFUL', results(operation, parameters));
          return undefined;
        },
      },
    ],
    [
      '504',
      {
        min: 1,
        max: 1,
        handler: (context, [id]) => {
          setStatus(context, byId(context, '504', id!), 'EXECUTING');
          return undefined;
        },
      },
    ],
    [
      '505',
      {
        min: 1,
        max: 2,
        handler: (context, [id, reason]) => {
          setStatus(context, byId(context, '505', id!), 'FAILED', reason ? { failureReason: reason } : {});
          return undefined;
        },
      },
    ],
    [
      '506',
      {
        min: 1,
        max: 1000,
        handler: (context, [id, ...parameters]) => {
          const operation = byId(context, '506', id!);
          setStatus(context, operation, 'SUCCESSFUL', results(operation, parameters));
          return undefined;
        },
      },
    ],
  ];
  return new Templates(new Map(specs));
}
