import { isoDate } from '../clock.js';
import type {
  DeviceDataStore,
  Fragments,
  MeasurementQuery,
  MeasurementRecord,
  Range,
} from '../store/device-data-store.js';
import type { Store } from '../store/store.js';
import { type Actor, requireRole, requireRoleOrOwner } from './actor.js';
import {
  asDocument,
  type Document,
  dateTimeField,
  fragmentsOf,
  isObject,
  parseId,
  referenceId,
  requireFields,
  stringField,
} from './documents.js';
import type { Inventory, ManagedObjectRecord } from './inventory.js';
import { type DataPage, fetchPage, type PageRequest } from './page.js';
import { refuse } from './refusals.js';

export type { MeasurementRecord } from '../store/device-data-store.js';

export interface MeasurementFilter {
  source?: string | undefined;
  type?: string | undefined;
  valueFragmentType?: string | undefined;
  valueFragmentSeries?: string | undefined;
  time?: Range | undefined;
  /** Newest first; the default is oldest first (legacy measurements, as the mock keeps them). */
  revert?: boolean | undefined;
}

const COMPUTED = ['id', 'self', 'source', 'time', 'type'] as const;
const MAX_BULK = 2000;

/** A measurement as `createMade` takes it: its time in milliseconds, its value fragments. */
export interface MadeMeasurement {
  type: string;
  time: number;
  /** The time as the device sent it, when it sent one (else `time` is now). */
  sentTime?: string | undefined;
  fragments: Fragments;
}

/**
 * Measurements: a value fragment per kind of reading, a series per value
 * (`{"c8y_Temperature": {"T": {"value": 21.5, "unit": "C"}}}`). At most
 * `keep` are stored; the oldest go first.
 */
export class Measurements {
  readonly #store: Store;
  readonly #data: DeviceDataStore;
  readonly #inventory: Inventory;
  readonly #keep: number;

  constructor(store: Store, inventory: Inventory, options: { keep: number }) {
    this.#store = store;
    this.#data = store.deviceData;
    this.#inventory = inventory;
    this.#keep = options.keep;
  }

  /** POST /measurement/measurements (one measurement). */
  create(actor: Actor, body: unknown): MeasurementRecord {
    return this.#create(actor, asDocument(body));
  }

  /** A measurementcollection: `{"measurements": [...]}`, all or nothing. */
  createMany(actor: Actor, body: unknown): MeasurementRecord[] {
    const list = asDocument(body).measurements;
    if (!Array.isArray(list)) throw refuse.missing(['measurements']);
    if (list.length > MAX_BULK)
      throw refuse.invalid(`measurements may hold at most ${MAX_BULK}; got ${list.length}.`);
    return this.#store.transaction(() =>
      list.map((item, i) => this.#create(actor, asDocument(item, `measurements[${i}]`))),
    );
  }

  /**
   * A measurement of `source`, an object the caller read in this same synchronous call (the MQTT
   * door's device, through `createMade`): checked as `create` checks its source, not read from the
   * store again. `body` is the rest of the document; a `source` in it (a fragment of that name)
   * wins, as in `create`.
   */
  createOf(actor: Actor, source: ManagedObjectRecord, body: Record<string, unknown>): MeasurementRecord {
    return this.#create(actor, asDocument({ source: { id: String(source.id) }, ...body }), source);
  }

  /**
   * A measurement the caller made itself (the MQTT templates: a type, an instant and series made
   * of a SmartREST line) of `source`, an object it read in this same synchronous call. There is no
   * document to read: the source's tenant, the actor's right to it and the series' rule are
   * checked. A fragment named like a property a measurement computes (`time`, `source`, …) takes
   * `createOf`'s way, with the time as the device sent it, so the answer does not depend on which
   * way a measurement came.
   */
  createMade(actor: Actor, source: ManagedObjectRecord, made: MadeMeasurement): MeasurementRecord {
    for (const name of COMPUTED) {
      if (name in made.fragments) {
        return this.createOf(actor, source, {
          type: made.type,
          time: made.sentTime ?? isoDate(made.time),
          ...made.fragments,
        });
      }
    }
    this.#inventory.sourceRead(actor, source, 'ROLE_MEASUREMENT_ADMIN');
    return this.#insert(actor, source, made.type, made.time, validSeries(made.fragments));
  }

  #create(actor: Actor, document: Document, known?: ManagedObjectRecord): MeasurementRecord {
    requireFields(document, ['source.id', 'time', 'type']);
    const time = dateTimeField(document, 'time')!;
    const type = stringField(document, 'type')!;
    const id = referenceId(document, 'source')!;
    const source =
      known !== undefined && id === String(known.id)
        ? this.#inventory.sourceRead(actor, known, 'ROLE_MEASUREMENT_ADMIN')
        : this.#inventory.source(actor, id, 'ROLE_MEASUREMENT_ADMIN');
    return this.#insert(actor, source, type, time, validSeries(fragmentsOf(document, COMPUTED)));
  }

  #insert(
    actor: Actor,
    source: ManagedObjectRecord,
    type: string,
    time: number,
    fragments: Fragments,
  ): MeasurementRecord {
    const record = { id: 0, tenantId: actor.tenantId, sourceId: source.id, type, time, fragments };
    record.id = this.#data.insertMeasurement(record, this.#keep);
    return record;
  }

  get(actor: Actor, id: string): MeasurementRecord {
    const record = this.#find(actor, id);
    const source = this.#inventory.peek(actor.tenantId, record.sourceId);
    requireRoleOrOwner(actor, 'ROLE_MEASUREMENT_READ', source?.owner, `the source of measurement ${id}`);
    return record;
  }

  list(actor: Actor, filter: MeasurementFilter, page: PageRequest): DataPage<MeasurementRecord> {
    requireRole(actor, 'ROLE_MEASUREMENT_READ', 'list measurements');
    const query = this.#query(actor, filter);
    return fetchPage(
      page,
      (window) => this.#data.findMeasurements(query, window),
      () => this.#data.countMeasurements(query),
      (record) => record,
    );
  }

  delete(actor: Actor, id: string): void {
    const record = this.#find(actor, id);
    const source = this.#inventory.peek(actor.tenantId, record.sourceId);
    requireRoleOrOwner(actor, 'ROLE_MEASUREMENT_ADMIN', source?.owner, `the source of measurement ${id}`);
    this.#data.deleteMeasurement(record.id);
  }

  /** DELETE /measurement/measurements: needs `source`, `dateFrom` or `dateTo`, as on the platform. */
  deleteMany(actor: Actor, filter: MeasurementFilter): number {
    requireRole(actor, 'ROLE_MEASUREMENT_ADMIN', 'delete measurements');
    if (filter.source === undefined && filter.time?.from === undefined && filter.time?.to === undefined) {
      throw refuse.unfiltered('measurement', ['source', 'dateFrom', 'dateTo']);
    }
    return this.#data.deleteMeasurements(this.#query(actor, filter));
  }

  #query(actor: Actor, filter: MeasurementFilter): MeasurementQuery {
    return {
      tenantId: actor.tenantId,
      sourceId: filter.source === undefined ? undefined : (parseId(filter.source) ?? 0),
      type: filter.type,
      valueFragmentType: filter.valueFragmentType,
      valueFragmentSeries: filter.valueFragmentSeries,
      time: filter.time,
      newestFirst: filter.revert === true,
    };
  }

  #find(actor: Actor, id: string): MeasurementRecord {
    const key = parseId(id);
    const record = key === undefined ? undefined : this.#data.getMeasurement(key);
    if (!record || record.tenantId !== actor.tenantId) throw refuse.measurement(id);
    return record;
  }
}

/**
 * The platform's rule for value fragments (OpenAPI, "Legacy compatibility"):
 * in a fragment with at least one valid series (an object whose `value` is a
 * number), everything that is not a valid series is dropped; a fragment
 * without one is kept as a plain property. A valid series' `unit`, when sent,
 * is a non-empty string.
 */
export function validSeries(fragments: Fragments): Fragments {
  // What a device sends is almost always series only, which the rule keeps as they are.
  if (onlySeries(fragments)) return fragments;
  const result: Fragments = {};
  for (const [name, fragment] of Object.entries(fragments)) {
    if (!isObject(fragment)) {
      result[name] = fragment;
      continue;
    }
    const series = Object.entries(fragment).filter(
      ([, value]) => isObject(value) && typeof value.value === 'number' && Number.isFinite(value.value),
    ) as [string, Document][];
    if (series.length === 0) {
      result[name] = fragment;
      continue;
    }
    for (const [seriesName, value] of series) {
      if ('unit' in value && (typeof value.unit !== 'string' || value.unit === '')) {
        throw refuse.invalid(
          `${name}.${seriesName}.unit must be a non-empty string when given; got ${JSON.stringify(value.unit)}.`,
        );
      }
    }
    result[name] = Object.fromEntries(series);
  }
  return result;
}

/** Whether every fragment is an object of valid series only, each `unit` a non-empty string when given. */
function onlySeries(fragments: Fragments): boolean {
  for (const name in fragments) {
    // Where the rule builds its result, a `__proto__` key sets the prototype: it is not kept.
    if (name === '__proto__') return false;
    const fragment = fragments[name];
    if (!isObject(fragment)) return false;
    // An empty fragment passes: the rule keeps it whole, as a fragment without a series.
    for (const seriesName in fragment) {
      const value = fragment[seriesName];
      if (!isObject(value) || typeof value.value !== 'number' || !Number.isFinite(value.value)) return false;
      if ('unit' in value && (typeof value.unit !== 'string' || value.unit === '')) return false;
    }
  }
  return true;
}
