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
   * door's device): checked as `create` checks its source, not read from the store again. `body`
   * is the rest of the document; a `source` in it (a fragment of that name) wins, as in `create`.
   */
  createOf(actor: Actor, source: ManagedObjectRecord, body: Record<string, unknown>): MeasurementRecord {
    return this.#create(actor, asDocument({ source: { id: String(source.id) }, ...body }), source);
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
    const record = {
      tenantId: actor.tenantId,
      sourceId: source.id,
      type,
      time,
      fragments: validSeries(fragmentsOf(document, COMPUTED)),
    };
    return { ...record, id: this.#data.insertMeasurement(record, this.#keep) };
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
