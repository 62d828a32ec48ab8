import { isoDate } from '../clock.js';
import type { AlarmRecord } from '../device-data/alarms.js';
import type { EventRecord } from '../device-data/events.js';
import type { ExternalIdRecord } from '../device-data/identity.js';
import { CHILD_KINDS, type ManagedObject, PARENT_OF, type Reference } from '../device-data/inventory.js';
import type { MeasurementRecord } from '../device-data/measurements.js';
import type { Operation } from '../device-data/operations.js';

/**
 * The device data as the platform writes it: ids as strings, times in UTC
 * with milliseconds, `self` links under `base` (see links.ts), custom
 * fragments as they were sent.
 */
export const managedObjectUrl = (base: string, id: number) => `${base}/inventory/managedObjects/${id}`;

export function referenceJson(base: string, reference: Reference, self: string) {
  return {
    managedObject: {
      id: String(reference.id),
      ...(reference.name !== null ? { name: reference.name } : {}),
      self: managedObjectUrl(base, reference.id),
    },
    self,
  };
}

export function managedObjectJson(
  base: string,
  { record, references }: ManagedObject,
  withChildrenCount = false,
) {
  const self = managedObjectUrl(base, record.id);
  const collections: Record<string, unknown> = {};
  for (const kind of CHILD_KINDS) {
    const children = references[kind];
    collections[kind] = {
      ...(withChildrenCount && children.length > 0 ? { count: children.length } : {}),
      references: children.map((child) => referenceJson(base, child, `${self}/${kind}/${child.id}`)),
      self: `${self}/${kind}`,
    };
    const parentKind = PARENT_OF[kind];
    collections[parentKind] = {
      references: references[parentKind].map((parent) =>
        referenceJson(base, parent, `${managedObjectUrl(base, parent.id)}/${kind}/${record.id}`),
      ),
      self: `${self}/${parentKind}`,
    };
  }
  return {
    id: String(record.id),
    ...(record.type !== null ? { type: record.type } : {}),
    ...(record.name !== null ? { name: record.name } : {}),
    owner: record.owner,
    creationTime: isoDate(record.creationTime),
    lastUpdated: isoDate(record.lastUpdated),
    self,
    ...record.fragments,
    ...collections,
  };
}

export const externalIdUrl = (base: string, type: string, externalId: string) =>
  `${base}/identity/externalIds/${encodeURIComponent(type)}/${encodeURIComponent(externalId)}`;

export function externalIdJson(base: string, record: ExternalIdRecord) {
  return {
    externalId: record.externalId,
    managedObject: {
      id: String(record.managedObjectId),
      self: managedObjectUrl(base, record.managedObjectId),
    },
    self: externalIdUrl(base, record.type, record.externalId),
    type: record.type,
  };
}

export function externalIdsJson(base: string, managedObjectId: number, records: ExternalIdRecord[]) {
  return {
    externalIds: records.map((record) => externalIdJson(base, record)),
    self: `${base}/identity/globalIds/${managedObjectId}/externalIds`,
  };
}

const source = (base: string, id: number, name?: string | null) => ({
  id: String(id),
  ...(name ? { name } : {}),
  self: managedObjectUrl(base, id),
});

export function measurementJson(base: string, record: MeasurementRecord) {
  return {
    id: String(record.id),
    self: `${base}/measurement/measurements/${record.id}`,
    source: source(base, record.sourceId),
    time: isoDate(record.time),
    type: record.type,
    ...record.fragments,
  };
}

export function eventJson(base: string, record: EventRecord) {
  return {
    id: String(record.id),
    self: `${base}/event/events/${record.id}`,
    creationTime: isoDate(record.creationTime),
    lastUpdated: isoDate(record.lastUpdated),
    source: source(base, record.sourceId),
    text: record.text,
    time: isoDate(record.time),
    type: record.type,
    ...record.fragments,
  };
}

export function alarmJson(base: string, record: AlarmRecord, sourceName: string | null) {
  return {
    id: String(record.id),
    self: `${base}/alarm/alarms/${record.id}`,
    count: record.count,
    creationTime: isoDate(record.creationTime),
    ...(record.firstOccurrenceTime !== null && record.count > 1
      ? { firstOccurrenceTime: isoDate(record.firstOccurrenceTime) }
      : {}),
    lastUpdated: isoDate(record.lastUpdated),
    severity: record.severity,
    source: source(base, record.sourceId, sourceName),
    status: record.status,
    text: record.text,
    time: isoDate(record.time),
    type: record.type,
    ...record.fragments,
  };
}

export function operationJson(base: string, { record, deviceName, externalIds }: Operation) {
  return {
    id: String(record.id),
    self: `${base}/devicecontrol/operations/${record.id}`,
    creationTime: isoDate(record.creationTime),
    deviceId: String(record.deviceId),
    ...(deviceName ? { deviceName } : {}),
    ...(externalIds ? { deviceExternalIDs: externalIdsJson(base, record.deviceId, externalIds) } : {}),
    status: record.status,
    ...(record.failureReason !== null ? { failureReason: record.failureReason } : {}),
    ...record.fragments,
  };
}
