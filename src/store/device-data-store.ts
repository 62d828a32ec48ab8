/**
 * The persistence interface of the device data APIs: inventory, identity,
 * measurements, events, alarms and operations. Part of the one store (the same
 * database and `Store.transaction`); the domain modules in `src/device-data/`
 * talk only to this. Ids are numbers here and strings on the wire; times are
 * milliseconds since the epoch.
 */

/** A document's own properties (fragments), kept as the client sent them. */
export type Fragments = Record<string, unknown>;

export interface ManagedObjectRecord {
  id: number;
  tenantId: string;
  owner: string;
  type: string | null;
  name: string | null;
  creationTime: number;
  lastUpdated: number;
  /** Every other property, e.g. `c8y_IsDevice`, `c8y_SupportedOperations`. */
  fragments: Fragments;
}

export const CHILD_KINDS = ['childDevices', 'childAssets', 'childAdditions'] as const;
export type ChildKind = (typeof CHILD_KINDS)[number];

export interface ChildReferenceRecord {
  parentId: number;
  kind: ChildKind;
  childId: number;
}

export interface ExternalIdRecord {
  tenantId: string;
  type: string;
  externalId: string;
  managedObjectId: number;
}

export interface MeasurementRecord {
  id: number;
  tenantId: string;
  sourceId: number;
  type: string;
  time: number;
  fragments: Fragments;
}

export interface EventRecord {
  id: number;
  tenantId: string;
  sourceId: number;
  type: string;
  text: string;
  time: number;
  creationTime: number;
  lastUpdated: number;
  fragments: Fragments;
}

export const ALARM_SEVERITIES = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING'] as const;
export type AlarmSeverity = (typeof ALARM_SEVERITIES)[number];
export const ALARM_STATUSES = ['ACTIVE', 'ACKNOWLEDGED', 'CLEARED'] as const;
export type AlarmStatus = (typeof ALARM_STATUSES)[number];

export interface AlarmRecord {
  id: number;
  tenantId: string;
  sourceId: number;
  type: string;
  text: string;
  severity: AlarmSeverity;
  status: AlarmStatus;
  count: number;
  time: number;
  /** The time of the first occurrence, once the alarm was raised again. */
  firstOccurrenceTime: number | null;
  creationTime: number;
  lastUpdated: number;
  fragments: Fragments;
}

export const OPERATION_STATUSES = ['PENDING', 'EXECUTING', 'SUCCESSFUL', 'FAILED'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

export interface OperationRecord {
  id: number;
  tenantId: string;
  deviceId: number;
  /** The device's agent: the device itself or the nearest parent with `com_cumulocity_model_Agent`. */
  agentId: number;
  status: OperationStatus;
  failureReason: string | null;
  creationTime: number;
  fragments: Fragments;
}

/** Rows of one query: `limit` after `offset`, in the query's order. */
export interface Window {
  limit: number;
  offset: number;
}

/** A time range, both ends inclusive; either may be open. */
export interface Range {
  from?: number | undefined;
  to?: number | undefined;
}

export interface ManagedObjectQuery {
  tenantId: string;
  ids?: number[] | undefined;
  type?: string | undefined;
  owner?: string | undefined;
  fragmentType?: string | undefined;
}

export interface MeasurementQuery {
  tenantId: string;
  sourceId?: number | undefined;
  type?: string | undefined;
  valueFragmentType?: string | undefined;
  valueFragmentSeries?: string | undefined;
  time?: Range | undefined;
  newestFirst: boolean;
}

export interface EventQuery {
  tenantId: string;
  sourceId?: number | undefined;
  type?: string | undefined;
  fragmentType?: string | undefined;
  /** Only with `fragmentType`: the fragment's value is this string. */
  fragmentValue?: string | undefined;
  time?: Range | undefined;
  creationTime?: Range | undefined;
  lastUpdated?: Range | undefined;
  newestFirst: boolean;
}

export interface AlarmQuery {
  tenantId: string;
  sourceId?: number | undefined;
  /** Only alarms whose source this user owns. */
  sourceOwner?: string | undefined;
  types?: string[] | undefined;
  statuses?: AlarmStatus[] | undefined;
  severities?: AlarmSeverity[] | undefined;
  time?: Range | undefined;
  creationTime?: Range | undefined;
  lastUpdated?: Range | undefined;
  newestFirst: boolean;
}

export interface OperationQuery {
  tenantId: string;
  deviceId?: number | undefined;
  agentId?: number | undefined;
  status?: OperationStatus | undefined;
  fragmentType?: string | undefined;
  creationTime?: Range | undefined;
  newestFirst: boolean;
}

/** The device data tables, for export and import. */
export interface DeviceDataTables {
  managedObjects: ManagedObjectRecord[];
  childReferences: ChildReferenceRecord[];
  externalIds: ExternalIdRecord[];
  measurements: MeasurementRecord[];
  events: EventRecord[];
  alarms: AlarmRecord[];
  operations: OperationRecord[];
}

export const EMPTY_DEVICE_DATA: DeviceDataTables = Object.freeze({
  managedObjects: [],
  childReferences: [],
  externalIds: [],
  measurements: [],
  events: [],
  alarms: [],
  operations: [],
});

export interface DeviceDataStore {
  insertManagedObject(record: Omit<ManagedObjectRecord, 'id'>): number;
  updateManagedObject(record: ManagedObjectRecord): void;
  getManagedObject(id: number): ManagedObjectRecord | undefined;
  /** Removes the object with its references, external IDs and data (measurements, events, alarms, operations). */
  deleteManagedObject(id: number): boolean;
  findManagedObjects(query: ManagedObjectQuery, window?: Window): ManagedObjectRecord[];
  countManagedObjects(query: ManagedObjectQuery): number;

  addChild(reference: ChildReferenceRecord): boolean;
  removeChild(reference: ChildReferenceRecord): boolean;
  /** References from `parentId`, oldest first. */
  children(parentId: number, kind?: ChildKind): ChildReferenceRecord[];
  /** References to `childId`. */
  parents(childId: number, kind?: ChildKind): ChildReferenceRecord[];

  insertExternalId(record: ExternalIdRecord): void;
  getExternalId(tenantId: string, type: string, externalId: string): ExternalIdRecord | undefined;
  externalIdsOf(managedObjectId: number): ExternalIdRecord[];
  deleteExternalId(tenantId: string, type: string, externalId: string): boolean;

  /** Inserts and then keeps at most `keep` measurements: the oldest go first. */
  insertMeasurement(record: Omit<MeasurementRecord, 'id'>, keep: number): number;
  getMeasurement(id: number): MeasurementRecord | undefined;
  findMeasurements(query: MeasurementQuery, window: Window): MeasurementRecord[];
  countMeasurements(query: MeasurementQuery): number;
  deleteMeasurement(id: number): boolean;
  deleteMeasurements(query: MeasurementQuery): number;

  insertEvent(record: Omit<EventRecord, 'id'>, keep: number): number;
  updateEvent(record: EventRecord): void;
  getEvent(id: number): EventRecord | undefined;
  findEvents(query: EventQuery, window: Window): EventRecord[];
  countEvents(query: EventQuery): number;
  deleteEvent(id: number): boolean;
  deleteEvents(query: EventQuery): number;

  insertAlarm(record: Omit<AlarmRecord, 'id'>, keep: number): number;
  updateAlarm(record: AlarmRecord): void;
  getAlarm(id: number): AlarmRecord | undefined;
  /** The ACTIVE or ACKNOWLEDGED alarm of a source and type, which a new one de-duplicates into. */
  openAlarm(sourceId: number, type: string): AlarmRecord | undefined;
  findAlarms(query: AlarmQuery, window?: Window): AlarmRecord[];
  countAlarms(query: AlarmQuery): number;
  deleteAlarms(query: AlarmQuery): number;

  insertOperation(record: Omit<OperationRecord, 'id'>): number;
  updateOperation(record: OperationRecord): void;
  getOperation(id: number): OperationRecord | undefined;
  findOperations(query: OperationQuery, window: Window): OperationRecord[];
  countOperations(query: OperationQuery): number;
  deleteOperations(query: OperationQuery): number;

  exportTables(): DeviceDataTables;
  /** Inserts exported rows, ids kept; the caller has cleared the tables and holds the transaction. */
  importTables(tables: DeviceDataTables): void;
}
