import type Database from 'better-sqlite3';
import type {
  AlarmQuery,
  AlarmRecord,
  ChildKind,
  ChildReferenceRecord,
  DeviceDataStore,
  DeviceDataTables,
  EventQuery,
  EventRecord,
  ExternalIdRecord,
  Fragments,
  ManagedObjectQuery,
  ManagedObjectRecord,
  MeasurementQuery,
  MeasurementRecord,
  OperationQuery,
  OperationRecord,
  Window,
} from './device-data-store.js';
import { importRows } from './import-rows.js';
import type { CacheWrites, RowCache } from './row-cache.js';
import { propertyPath, SqlFilter } from './sql-filter.js';

type Row = Record<string, unknown>;

/** The longest fragments' JSON of a managed object the cache keeps: at most 10,000 of 2 KB. */
export const CACHED_FRAGMENTS = 2048;

const json = (text: unknown): Fragments => JSON.parse(text as string) as Fragments;

const managedObject = (r: Row): ManagedObjectRecord => ({
  id: r.id as number,
  tenantId: r.tenant_id as string,
  owner: r.owner as string,
  type: (r.type as string | null) ?? null,
  name: (r.name as string | null) ?? null,
  creationTime: r.creation_time as number,
  lastUpdated: r.last_updated as number,
  fragments: json(r.fragments),
});
const childReference = (r: Row): ChildReferenceRecord => ({
  parentId: r.parent_id as number,
  kind: r.kind as ChildKind,
  childId: r.child_id as number,
});
const externalId = (r: Row): ExternalIdRecord => ({
  tenantId: r.tenant_id as string,
  type: r.type as string,
  externalId: r.external_id as string,
  managedObjectId: r.managed_object_id as number,
});
const measurement = (r: Row): MeasurementRecord => ({
  id: r.id as number,
  tenantId: r.tenant_id as string,
  sourceId: r.source_id as number,
  type: r.type as string,
  time: r.time as number,
  fragments: json(r.fragments),
});
const event = (r: Row): EventRecord => ({
  id: r.id as number,
  tenantId: r.tenant_id as string,
  sourceId: r.source_id as number,
  type: r.type as string,
  text: r.text as string,
  time: r.time as number,
  creationTime: r.creation_time as number,
  lastUpdated: r.last_updated as number,
  fragments: json(r.fragments),
});
const alarm = (r: Row): AlarmRecord => ({
  id: r.id as number,
  tenantId: r.tenant_id as string,
  sourceId: r.source_id as number,
  type: r.type as string,
  text: r.text as string,
  severity: r.severity as AlarmRecord['severity'],
  status: r.status as AlarmRecord['status'],
  count: r.count as number,
  time: r.time as number,
  firstOccurrenceTime: (r.first_occurrence_time as number | null) ?? null,
  creationTime: r.creation_time as number,
  lastUpdated: r.last_updated as number,
  fragments: json(r.fragments),
});
const operation = (r: Row): OperationRecord => ({
  id: r.id as number,
  tenantId: r.tenant_id as string,
  deviceId: r.device_id as number,
  agentId: r.agent_id as number,
  status: r.status as OperationRecord['status'],
  failureReason: (r.failure_reason as string | null) ?? null,
  creationTime: r.creation_time as number,
  fragments: json(r.fragments),
});

/** `json_type` is not NULL when the document has the property. */
function hasProperty(filter: SqlFilter, column: string, name: string | undefined): void {
  if (name === undefined) return;
  const path = propertyPath(name);
  if (path === null) filter.add('0');
  else filter.add(`json_type(${column}, ?) IS NOT NULL`, path);
}

const limitOf = (window: Window | undefined) =>
  window ? { sql: 'LIMIT ? OFFSET ?', params: [window.limit, window.offset] } : { sql: '', params: [] };

/**
 * The device data tables in the store's SQLite database (same connection, same transactions, and
 * the store's cache of rows: a measurement's source, and the MQTT door's device through its
 * external ID, are read on every message).
 */
export class SqliteDeviceData implements DeviceDataStore {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #cache: RowCache;
  readonly #writes: CacheWrites;

  constructor(db: Database.Database, cache: RowCache, writes: CacheWrites) {
    this.#db = db;
    this.#cache = cache;
    this.#writes = writes;
  }

  #stmt(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #get(sql: string, ...params: unknown[]): Row | undefined {
    return this.#stmt(sql).get(...params) as Row | undefined;
  }

  #all(sql: string, ...params: unknown[]): Row[] {
    return this.#stmt(sql).all(...params) as Row[];
  }

  #run(sql: string, ...params: unknown[]): Database.RunResult {
    return this.#writes.run(this.#stmt(sql), sql, params);
  }

  #count(table: string, filter: SqlFilter): number {
    return this.#get(`SELECT count(*) AS n FROM ${table} ${filter.sql}`, ...filter.params)!.n as number;
  }

  /**
   * Keeps at most `keep` rows of a table whose ids grow with every insert
   * (AUTOINCREMENT): the oldest go first. They go a chunk at a time (1% of
   * `keep`, at most 1000): deleting neighbouring rows together touches a few
   * pages once, where deleting one row per insert dirtied the far end of the
   * table and both indexes on every write (measured with 1,000,000 stored:
   * p50 1.09–1.26× of an empty store one at a time). In between, the DELETE
   * finds nothing and costs one index seek.
   */
  #trim(table: string, newestId: number, keep: number): void {
    if (newestId <= keep) return;
    const chunk = Math.max(1, Math.min(1000, Math.floor(keep / 100)));
    this.#run(`DELETE FROM ${table} WHERE id <= ?`, Math.ceil((newestId - keep) / chunk) * chunk);
  }

  // ---------- inventory ----------

  insertManagedObject(r: Omit<ManagedObjectRecord, 'id'>): number {
    return Number(
      this.#run(
        `INSERT INTO managed_objects (tenant_id, owner, type, name, creation_time, last_updated, fragments)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        r.tenantId,
        r.owner,
        r.type,
        r.name,
        r.creationTime,
        r.lastUpdated,
        JSON.stringify(r.fragments),
      ).lastInsertRowid,
    );
  }

  #insertManagedObjectWithId(r: ManagedObjectRecord): void {
    this.#run(
      `INSERT INTO managed_objects (id, tenant_id, owner, type, name, creation_time, last_updated, fragments)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.tenantId,
      r.owner,
      r.type,
      r.name,
      r.creationTime,
      r.lastUpdated,
      JSON.stringify(r.fragments),
    );
  }

  updateManagedObject(r: ManagedObjectRecord): void {
    this.#run(
      'UPDATE managed_objects SET owner = ?, type = ?, name = ?, last_updated = ?, fragments = ? WHERE id = ?',
      r.owner,
      r.type,
      r.name,
      r.lastUpdated,
      JSON.stringify(r.fragments),
      r.id,
    );
  }

  getManagedObject(id: number): ManagedObjectRecord | undefined {
    let text = 0;
    return this.#cache.read(
      'managed_objects',
      String(id),
      () => {
        const row = this.#get('SELECT * FROM managed_objects WHERE id = ?', id);
        text = row ? (row.fragments as string).length : 0;
        return row && managedObject(row);
      },
      // A device's fragments are a few hundred bytes; an object may hold up to the body limit.
      () => text <= CACHED_FRAGMENTS,
    );
  }

  deleteManagedObject(id: number): boolean {
    // References, external IDs and the object's data go with it (ON DELETE CASCADE).
    return this.#run('DELETE FROM managed_objects WHERE id = ?', id).changes > 0;
  }

  #managedObjectFilter(q: ManagedObjectQuery): SqlFilter {
    const filter = new SqlFilter()
      .add('tenant_id = ?', q.tenantId)
      .in('id', q.ids)
      .add('type = ?', q.type)
      .add('owner = ?', q.owner);
    hasProperty(filter, 'fragments', q.fragmentType);
    return filter;
  }

  findManagedObjects(q: ManagedObjectQuery, window?: Window): ManagedObjectRecord[] {
    const filter = this.#managedObjectFilter(q);
    const limit = limitOf(window);
    return this.#all(
      `SELECT * FROM managed_objects ${filter.sql} ORDER BY id ${limit.sql}`,
      ...filter.params,
      ...limit.params,
    ).map(managedObject);
  }

  countManagedObjects(q: ManagedObjectQuery): number {
    return this.#count('managed_objects', this.#managedObjectFilter(q));
  }

  addChild(r: ChildReferenceRecord): boolean {
    return (
      this.#run(
        'INSERT INTO managed_object_children (parent_id, kind, child_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
        r.parentId,
        r.kind,
        r.childId,
      ).changes > 0
    );
  }

  removeChild(r: ChildReferenceRecord): boolean {
    return (
      this.#run(
        'DELETE FROM managed_object_children WHERE parent_id = ? AND kind = ? AND child_id = ?',
        r.parentId,
        r.kind,
        r.childId,
      ).changes > 0
    );
  }

  children(parentId: number, kind?: ChildKind): ChildReferenceRecord[] {
    return (
      kind === undefined
        ? this.#all('SELECT * FROM managed_object_children WHERE parent_id = ? ORDER BY rowid', parentId)
        : this.#all(
            'SELECT * FROM managed_object_children WHERE parent_id = ? AND kind = ? ORDER BY rowid',
            parentId,
            kind,
          )
    ).map(childReference);
  }

  parents(childId: number, kind?: ChildKind): ChildReferenceRecord[] {
    return (
      kind === undefined
        ? this.#all('SELECT * FROM managed_object_children WHERE child_id = ? ORDER BY rowid', childId)
        : this.#all(
            'SELECT * FROM managed_object_children WHERE child_id = ? AND kind = ? ORDER BY rowid',
            childId,
            kind,
          )
    ).map(childReference);
  }

  // ---------- identity ----------

  insertExternalId(r: ExternalIdRecord): void {
    this.#run(
      'INSERT INTO external_ids (tenant_id, type, external_id, managed_object_id) VALUES (?, ?, ?, ?)',
      r.tenantId,
      r.type,
      r.externalId,
      r.managedObjectId,
    );
  }

  getExternalId(tenantId: string, type: string, id: string): ExternalIdRecord | undefined {
    return this.#cache.read('external_ids', `${tenantId}\0${type}\0${id}`, () => {
      const row = this.#get(
        'SELECT * FROM external_ids WHERE tenant_id = ? AND type = ? AND external_id = ?',
        tenantId,
        type,
        id,
      );
      return row && externalId(row);
    });
  }

  externalIdsOf(managedObjectId: number): ExternalIdRecord[] {
    return this.#all(
      'SELECT * FROM external_ids WHERE managed_object_id = ? ORDER BY rowid',
      managedObjectId,
    ).map(externalId);
  }

  deleteExternalId(tenantId: string, type: string, id: string): boolean {
    return (
      this.#run(
        'DELETE FROM external_ids WHERE tenant_id = ? AND type = ? AND external_id = ?',
        tenantId,
        type,
        id,
      ).changes > 0
    );
  }

  // ---------- measurements ----------

  insertMeasurement(r: Omit<MeasurementRecord, 'id'>, keep: number): number {
    const id = Number(
      this.#run(
        'INSERT INTO measurements (tenant_id, source_id, type, time, fragments) VALUES (?, ?, ?, ?, ?)',
        r.tenantId,
        r.sourceId,
        r.type,
        r.time,
        JSON.stringify(r.fragments),
      ).lastInsertRowid,
    );
    this.#trim('measurements', id, keep);
    return id;
  }

  getMeasurement(id: number): MeasurementRecord | undefined {
    const row = this.#get('SELECT * FROM measurements WHERE id = ?', id);
    return row && measurement(row);
  }

  #measurementFilter(q: MeasurementQuery): SqlFilter {
    const filter = new SqlFilter()
      .add('tenant_id = ?', q.tenantId)
      .add('source_id = ?', q.sourceId)
      .add('type = ?', q.type)
      .range('time', q.time);
    const fragment = q.valueFragmentType === undefined ? undefined : propertyPath(q.valueFragmentType);
    const series = q.valueFragmentSeries === undefined ? undefined : propertyPath(q.valueFragmentSeries);
    if (fragment === null || series === null) return filter.add('0');
    if (fragment !== undefined && series !== undefined) {
      filter.add(`json_type(fragments, ?) = 'object'`, `${fragment}${series.slice(1)}`);
    } else if (fragment !== undefined) {
      filter.add(`json_type(fragments, ?) = 'object'`, fragment);
    } else if (series !== undefined) {
      filter.add(
        `EXISTS (SELECT 1 FROM json_each(fragments) f WHERE f.type = 'object' AND json_type(f.value, ?) = 'object')`,
        series,
      );
    }
    return filter;
  }

  findMeasurements(q: MeasurementQuery, window: Window): MeasurementRecord[] {
    const filter = this.#measurementFilter(q);
    const order = q.newestFirst ? 'time DESC, id DESC' : 'time, id';
    return this.#all(
      `SELECT * FROM measurements ${filter.sql} ORDER BY ${order} LIMIT ? OFFSET ?`,
      ...filter.params,
      window.limit,
      window.offset,
    ).map(measurement);
  }

  countMeasurements(q: MeasurementQuery): number {
    return this.#count('measurements', this.#measurementFilter(q));
  }

  deleteMeasurement(id: number): boolean {
    return this.#run('DELETE FROM measurements WHERE id = ?', id).changes > 0;
  }

  deleteMeasurements(q: MeasurementQuery): number {
    const filter = this.#measurementFilter(q);
    return this.#run(`DELETE FROM measurements ${filter.sql}`, ...filter.params).changes;
  }

  // ---------- events ----------

  insertEvent(r: Omit<EventRecord, 'id'>, keep: number): number {
    const id = Number(
      this.#run(
        `INSERT INTO events (tenant_id, source_id, type, text, time, creation_time, last_updated, fragments)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        r.tenantId,
        r.sourceId,
        r.type,
        r.text,
        r.time,
        r.creationTime,
        r.lastUpdated,
        JSON.stringify(r.fragments),
      ).lastInsertRowid,
    );
    this.#trim('events', id, keep);
    return id;
  }

  updateEvent(r: EventRecord): void {
    this.#run(
      'UPDATE events SET text = ?, last_updated = ?, fragments = ? WHERE id = ?',
      r.text,
      r.lastUpdated,
      JSON.stringify(r.fragments),
      r.id,
    );
  }

  getEvent(id: number): EventRecord | undefined {
    const row = this.#get('SELECT * FROM events WHERE id = ?', id);
    return row && event(row);
  }

  #eventFilter(q: EventQuery): SqlFilter {
    const filter = new SqlFilter()
      .add('tenant_id = ?', q.tenantId)
      .add('source_id = ?', q.sourceId)
      .add('type = ?', q.type)
      .range('time', q.time)
      .range('creation_time', q.creationTime)
      .range('last_updated', q.lastUpdated);
    hasProperty(filter, 'fragments', q.fragmentType);
    if (q.fragmentType !== undefined && q.fragmentValue !== undefined) {
      const path = propertyPath(q.fragmentType);
      if (path !== null) filter.add(`json_extract(fragments, ?) = ?`, path, q.fragmentValue);
    }
    return filter;
  }

  findEvents(q: EventQuery, window: Window): EventRecord[] {
    const filter = this.#eventFilter(q);
    const order = q.newestFirst ? 'time DESC, id DESC' : 'time, id';
    return this.#all(
      `SELECT * FROM events ${filter.sql} ORDER BY ${order} LIMIT ? OFFSET ?`,
      ...filter.params,
      window.limit,
      window.offset,
    ).map(event);
  }

  countEvents(q: EventQuery): number {
    return this.#count('events', this.#eventFilter(q));
  }

  deleteEvent(id: number): boolean {
    return this.#run('DELETE FROM events WHERE id = ?', id).changes > 0;
  }

  deleteEvents(q: EventQuery): number {
    const filter = this.#eventFilter(q);
    return this.#run(`DELETE FROM events ${filter.sql}`, ...filter.params).changes;
  }

  // ---------- alarms ----------

  insertAlarm(r: Omit<AlarmRecord, 'id'>, keep: number): number {
    const id = Number(
      this.#run(
        `INSERT INTO alarms (tenant_id, source_id, type, text, severity, status, count, time,
           first_occurrence_time, creation_time, last_updated, fragments)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r.tenantId,
        r.sourceId,
        r.type,
        r.text,
        r.severity,
        r.status,
        r.count,
        r.time,
        r.firstOccurrenceTime,
        r.creationTime,
        r.lastUpdated,
        JSON.stringify(r.fragments),
      ).lastInsertRowid,
    );
    this.#trim('alarms', id, keep);
    return id;
  }

  updateAlarm(r: AlarmRecord): void {
    this.#run(
      `UPDATE alarms SET text = ?, severity = ?, status = ?, count = ?, time = ?, first_occurrence_time = ?,
         last_updated = ?, fragments = ? WHERE id = ?`,
      r.text,
      r.severity,
      r.status,
      r.count,
      r.time,
      r.firstOccurrenceTime,
      r.lastUpdated,
      JSON.stringify(r.fragments),
      r.id,
    );
  }

  getAlarm(id: number): AlarmRecord | undefined {
    const row = this.#get('SELECT * FROM alarms WHERE id = ?', id);
    return row && alarm(row);
  }

  openAlarm(sourceId: number, type: string): AlarmRecord | undefined {
    const row = this.#get(
      `SELECT * FROM alarms WHERE source_id = ? AND type = ? AND status IN ('ACTIVE', 'ACKNOWLEDGED')
       ORDER BY id DESC LIMIT 1`,
      sourceId,
      type,
    );
    return row && alarm(row);
  }

  #alarmFilter(q: AlarmQuery): SqlFilter {
    return new SqlFilter()
      .add('tenant_id = ?', q.tenantId)
      .add('source_id = ?', q.sourceId)
      .add('source_id IN (SELECT id FROM managed_objects WHERE tenant_id = ? AND owner = ?)', ...ownedBy(q))
      .in('type', q.types)
      .in('status', q.statuses)
      .in('severity', q.severities)
      .range('time', q.time)
      .range('creation_time', q.creationTime)
      .range('last_updated', q.lastUpdated);
  }

  findAlarms(q: AlarmQuery, window?: Window): AlarmRecord[] {
    const filter = this.#alarmFilter(q);
    const order = q.newestFirst ? 'time DESC, id DESC' : 'time, id';
    const limit = limitOf(window);
    return this.#all(
      `SELECT * FROM alarms ${filter.sql} ORDER BY ${order} ${limit.sql}`,
      ...filter.params,
      ...limit.params,
    ).map(alarm);
  }

  countAlarms(q: AlarmQuery): number {
    return this.#count('alarms', this.#alarmFilter(q));
  }

  deleteAlarms(q: AlarmQuery): number {
    const filter = this.#alarmFilter(q);
    return this.#run(`DELETE FROM alarms ${filter.sql}`, ...filter.params).changes;
  }

  // ---------- operations ----------

  insertOperation(r: Omit<OperationRecord, 'id'>): number {
    return Number(
      this.#run(
        `INSERT INTO operations (tenant_id, device_id, agent_id, status, failure_reason, creation_time, fragments)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        r.tenantId,
        r.deviceId,
        r.agentId,
        r.status,
        r.failureReason,
        r.creationTime,
        JSON.stringify(r.fragments),
      ).lastInsertRowid,
    );
  }

  updateOperation(r: OperationRecord): void {
    this.#run(
      'UPDATE operations SET status = ?, failure_reason = ?, fragments = ? WHERE id = ?',
      r.status,
      r.failureReason,
      JSON.stringify(r.fragments),
      r.id,
    );
  }

  getOperation(id: number): OperationRecord | undefined {
    const row = this.#get('SELECT * FROM operations WHERE id = ?', id);
    return row && operation(row);
  }

  #operationFilter(q: OperationQuery): SqlFilter {
    const filter = new SqlFilter()
      .add('tenant_id = ?', q.tenantId)
      .add('device_id = ?', q.deviceId)
      .add('agent_id = ?', q.agentId)
      .add('status = ?', q.status)
      .range('creation_time', q.creationTime);
    hasProperty(filter, 'fragments', q.fragmentType);
    return filter;
  }

  findOperations(q: OperationQuery, window: Window): OperationRecord[] {
    const filter = this.#operationFilter(q);
    return this.#all(
      `SELECT * FROM operations ${filter.sql} ORDER BY id ${q.newestFirst ? 'DESC' : ''} LIMIT ? OFFSET ?`,
      ...filter.params,
      window.limit,
      window.offset,
    ).map(operation);
  }

  countOperations(q: OperationQuery): number {
    return this.#count('operations', this.#operationFilter(q));
  }

  deleteOperations(q: OperationQuery): number {
    const filter = this.#operationFilter(q);
    return this.#run(`DELETE FROM operations ${filter.sql}`, ...filter.params).changes;
  }

  // ---------- state ----------

  exportTables(): DeviceDataTables {
    return {
      managedObjects: this.#all('SELECT * FROM managed_objects ORDER BY id').map(managedObject),
      childReferences: this.#all('SELECT * FROM managed_object_children ORDER BY rowid').map(childReference),
      externalIds: this.#all('SELECT * FROM external_ids ORDER BY rowid').map(externalId),
      measurements: this.#all('SELECT * FROM measurements ORDER BY id').map(measurement),
      events: this.#all('SELECT * FROM events ORDER BY id').map(event),
      alarms: this.#all('SELECT * FROM alarms ORDER BY id').map(alarm),
      operations: this.#all('SELECT * FROM operations ORDER BY id').map(operation),
    };
  }

  importTables(tables: DeviceDataTables): void {
    importRows('managedObjects', tables.managedObjects, (r) => this.#insertManagedObjectWithId(r));
    importRows('childReferences', tables.childReferences, (r) => this.addChild(r));
    importRows('externalIds', tables.externalIds, (r) => this.insertExternalId(r));
    importRows('measurements', tables.measurements, (r) => {
      this.#run(
        'INSERT INTO measurements (id, tenant_id, source_id, type, time, fragments) VALUES (?, ?, ?, ?, ?, ?)',
        r.id,
        r.tenantId,
        r.sourceId,
        r.type,
        r.time,
        JSON.stringify(r.fragments),
      );
    });
    importRows('events', tables.events, (r) => {
      this.#run(
        `INSERT INTO events (id, tenant_id, source_id, type, text, time, creation_time, last_updated, fragments)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r.id,
        r.tenantId,
        r.sourceId,
        r.type,
        r.text,
        r.time,
        r.creationTime,
        r.lastUpdated,
        JSON.stringify(r.fragments),
      );
    });
    importRows('alarms', tables.alarms, (r) => {
      this.#run(
        `INSERT INTO alarms (id, tenant_id, source_id, type, text, severity, status, count, time,
           first_occurrence_time, creation_time, last_updated, fragments)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r.id,
        r.tenantId,
        r.sourceId,
        r.type,
        r.text,
        r.severity,
        r.status,
        r.count,
        r.time,
        r.firstOccurrenceTime,
        r.creationTime,
        r.lastUpdated,
        JSON.stringify(r.fragments),
      );
    });
    importRows('operations', tables.operations, (r) => {
      this.#run(
        `INSERT INTO operations (id, tenant_id, device_id, agent_id, status, failure_reason, creation_time, fragments)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        r.id,
        r.tenantId,
        r.deviceId,
        r.agentId,
        r.status,
        r.failureReason,
        r.creationTime,
        JSON.stringify(r.fragments),
      );
    });
  }
}

const ownedBy = (q: AlarmQuery) =>
  q.sourceOwner === undefined ? [undefined] : ([q.tenantId, q.sourceOwner] as const);

/** Tables of the device data in the order their rows can be inserted (parents first). */
export const DEVICE_DATA_TABLES = [
  'managed_objects',
  'managed_object_children',
  'external_ids',
  'measurements',
  'events',
  'alarms',
  'operations',
] as const;
