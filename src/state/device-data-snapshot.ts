import {
  ALARM_SEVERITIES,
  ALARM_STATUSES,
  CHILD_KINDS,
  type DeviceDataTables,
  OPERATION_STATUSES,
} from '../store/device-data-store.js';
import { type Static, type TSchema, Type } from '../typebox.js';

const text = Type.String();
const ms = Type.Integer({ minimum: 0 });
const id = Type.Integer({ minimum: 1 });
const oneOf = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });
const fragments = Type.Record(Type.String(), Type.Unknown());
const rows = <T extends TSchema>(schema: T) => Type.Optional(Type.Array(schema));
const strict = { additionalProperties: false } as const;

/** The device data tables in a state snapshot; each is optional, as exports before schema 4 lack them. */
export const DeviceDataSnapshot = {
  managedObjects: rows(
    Type.Object(
      {
        id,
        tenantId: text,
        owner: text,
        type: Type.Union([text, Type.Null()]),
        name: Type.Union([text, Type.Null()]),
        creationTime: ms,
        lastUpdated: ms,
        fragments,
      },
      strict,
    ),
  ),
  childReferences: rows(Type.Object({ parentId: id, kind: oneOf(CHILD_KINDS), childId: id }, strict)),
  externalIds: rows(
    Type.Object({ tenantId: text, type: text, externalId: text, managedObjectId: id }, strict),
  ),
  measurements: rows(
    Type.Object({ id, tenantId: text, sourceId: id, type: text, time: ms, fragments }, strict),
  ),
  events: rows(
    Type.Object(
      {
        id,
        tenantId: text,
        sourceId: id,
        type: text,
        text,
        time: ms,
        creationTime: ms,
        lastUpdated: ms,
        fragments,
      },
      strict,
    ),
  ),
  alarms: rows(
    Type.Object(
      {
        id,
        tenantId: text,
        sourceId: id,
        type: text,
        text,
        severity: oneOf(ALARM_SEVERITIES),
        status: oneOf(ALARM_STATUSES),
        count: Type.Integer({ minimum: 1 }),
        time: ms,
        firstOccurrenceTime: Type.Union([ms, Type.Null()]),
        creationTime: ms,
        lastUpdated: ms,
        fragments,
      },
      strict,
    ),
  ),
  operations: rows(
    Type.Object(
      {
        id,
        tenantId: text,
        deviceId: id,
        agentId: id,
        status: oneOf(OPERATION_STATUSES),
        failureReason: Type.Union([text, Type.Null()]),
        creationTime: ms,
        fragments,
      },
      strict,
    ),
  ),
};

type Snapshotted = { [K in keyof typeof DeviceDataSnapshot]?: Static<(typeof DeviceDataSnapshot)[K]> };

/** The device data of a validated snapshot, with the tables an older export lacks as empty ones. */
export function deviceDataTables(tables: Snapshotted): DeviceDataTables {
  return {
    managedObjects: tables.managedObjects ?? [],
    childReferences: tables.childReferences ?? [],
    externalIds: tables.externalIds ?? [],
    measurements: tables.measurements ?? [],
    events: tables.events ?? [],
    alarms: tables.alarms ?? [],
    operations: tables.operations ?? [],
  };
}
