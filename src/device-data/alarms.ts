import type { Clock } from '../clock.js';
import {
  ALARM_SEVERITIES,
  ALARM_STATUSES,
  type AlarmQuery,
  type AlarmRecord,
  type AlarmSeverity,
  type AlarmStatus,
  type DeviceDataStore,
  type Range,
} from '../store/device-data-store.js';
import type { Store } from '../store/store.js';
import { type Actor, hasRole, requireRole, requireRoleOrOwner } from './actor.js';
import {
  asDocument,
  dateTimeField,
  fragmentsOf,
  mergeFragments,
  oneOfField,
  parseId,
  referenceId,
  requireFields,
  stringField,
} from './documents.js';
import type { Inventory } from './inventory.js';
import { type DataPage, fetchPage, type PageRequest } from './page.js';
import { refuseChangesTo } from './read-only.js';
import { refuse } from './refusals.js';

export type { AlarmRecord, AlarmSeverity, AlarmStatus } from '../store/device-data-store.js';
export { ALARM_SEVERITIES, ALARM_STATUSES } from '../store/device-data-store.js';

export interface AlarmFilter {
  source?: string | undefined;
  types?: string[] | undefined;
  statuses?: AlarmStatus[] | undefined;
  severities?: AlarmSeverity[] | undefined;
  /** true: CLEARED only; false: ACTIVE and ACKNOWLEDGED. Takes precedence over `statuses`. */
  resolved?: boolean | undefined;
  time?: Range | undefined;
  creationTime?: Range | undefined;
  lastUpdated?: Range | undefined;
}

const COMPUTED = [
  'id',
  'self',
  'source',
  'time',
  'type',
  'text',
  'severity',
  'status',
  'count',
  'firstOccurrenceTime',
  'creationTime',
  'lastUpdated',
] as const;

/**
 * Alarms, with the platform's de-duplication: while an ACTIVE or ACKNOWLEDGED
 * alarm of the same source and type exists, a new one only raises its `count`
 * and moves its `time` (the first time is kept in `firstOccurrenceTime`);
 * anything else the new one says is ignored. CLEARED alarms are not
 * de-duplicated. At most `keep` are stored; the oldest go first.
 */
export class Alarms {
  readonly #data: DeviceDataStore;
  readonly #store: Store;
  readonly #inventory: Inventory;
  readonly #clock: Clock;
  readonly #keep: number;

  constructor(store: Store, inventory: Inventory, clock: Clock, options: { keep: number }) {
    this.#store = store;
    this.#data = store.deviceData;
    this.#inventory = inventory;
    this.#clock = clock;
    this.#keep = options.keep;
  }

  /** POST /alarm/alarms; `deduplicated` when an open alarm was raised again instead. */
  create(actor: Actor, body: unknown): { alarm: AlarmRecord; deduplicated: boolean } {
    const document = asDocument(body);
    requireFields(document, ['severity', 'source.id', 'text', 'time', 'type']);
    const time = dateTimeField(document, 'time')!;
    const type = stringField(document, 'type')!;
    const text = stringField(document, 'text')!;
    const severity = oneOfField(document, 'severity', ALARM_SEVERITIES)!;
    const status = oneOfField(document, 'status', ALARM_STATUSES) ?? 'ACTIVE';
    const source = this.#inventory.source(actor, referenceId(document, 'source')!, 'ROLE_ALARM_ADMIN');
    const now = this.#clock.now();
    return this.#store.transaction(() => {
      const open = this.#data.openAlarm(source.id, type);
      if (open) {
        const raised: AlarmRecord = {
          ...open,
          count: open.count + 1,
          firstOccurrenceTime: open.firstOccurrenceTime ?? open.time,
          time,
          lastUpdated: now,
        };
        this.#data.updateAlarm(raised);
        return { alarm: raised, deduplicated: true };
      }
      const record = {
        tenantId: actor.tenantId,
        sourceId: source.id,
        type,
        text,
        severity,
        status,
        count: 1,
        time,
        firstOccurrenceTime: null,
        creationTime: now,
        lastUpdated: now,
        fragments: fragmentsOf(document, COMPUTED),
      };
      return { alarm: { ...record, id: this.#data.insertAlarm(record, this.#keep) }, deduplicated: false };
    });
  }

  get(actor: Actor, id: string): AlarmRecord {
    const record = this.#find(actor, id);
    requireRoleOrOwner(actor, 'ROLE_ALARM_READ', this.#ownerOf(record), `the source of alarm ${id}`);
    return record;
  }

  /** Newest first. Without ROLE_ALARM_READ a user sees the alarms of what they own, as on the platform. */
  list(actor: Actor, filter: AlarmFilter, page: PageRequest): DataPage<AlarmRecord> {
    const query = this.#query(actor, filter);
    return fetchPage(
      page,
      (window) => this.#data.findAlarms(query, window),
      () => this.#data.countAlarms(query),
      (record) => record,
    );
  }

  /** PUT /alarm/alarms/{id}: text, status, severity and custom fragments change; source, type and time do not. */
  update(actor: Actor, id: string, body: unknown): AlarmRecord {
    const document = asDocument(body);
    const record = this.#find(actor, id);
    requireRoleOrOwner(actor, 'ROLE_ALARM_ADMIN', this.#ownerOf(record), `the source of alarm ${id}`);
    refuseChangesTo(document, record, ['source', 'type', 'time']);
    const updated: AlarmRecord = {
      ...record,
      text: stringField(document, 'text') ?? record.text,
      status: oneOfField(document, 'status', ALARM_STATUSES) ?? record.status,
      severity: oneOfField(document, 'severity', ALARM_SEVERITIES) ?? record.severity,
      lastUpdated: this.#clock.now(),
      fragments: mergeFragments(record.fragments, fragmentsOf(document, COMPUTED)),
    };
    this.#data.updateAlarm(updated);
    return updated;
  }

  /** PUT /alarm/alarms?…: the status of every alarm the filter selects; at least one filter. */
  updateMany(actor: Actor, filter: AlarmFilter, body: unknown): number {
    requireRole(actor, 'ROLE_ALARM_ADMIN', 'update alarms');
    const document = asDocument(body);
    const narrowed = [filter.statuses, filter.severities, filter.types, filter.resolved].some(
      (v) => v !== undefined,
    );
    if (isUnfiltered(filter) && !narrowed) {
      throw refuse.unfiltered('alarm', [
        'source',
        'status',
        'severity',
        'resolved',
        'dateFrom',
        'dateTo',
        'createdFrom',
        'createdTo',
      ]);
    }
    requireFields(document, ['status']);
    const status = oneOfField(document, 'status', ALARM_STATUSES)!;
    const now = this.#clock.now();
    return this.#store.transaction(() => {
      const selected = this.#data.findAlarms(this.#query(actor, filter));
      for (const alarm of selected) this.#data.updateAlarm({ ...alarm, status, lastUpdated: now });
      return selected.length;
    });
  }

  /** DELETE /alarm/alarms: needs a source or a date range, as on the platform. */
  deleteMany(actor: Actor, filter: AlarmFilter): number {
    requireRole(actor, 'ROLE_ALARM_ADMIN', 'delete alarms');
    if (isUnfiltered(filter)) {
      throw refuse.unfiltered('alarm', ['source', 'dateFrom', 'dateTo', 'createdFrom', 'createdTo']);
    }
    return this.#data.deleteAlarms(this.#query(actor, filter));
  }

  #query(actor: Actor, filter: AlarmFilter): AlarmQuery {
    const statuses =
      filter.resolved === undefined
        ? filter.statuses
        : filter.resolved
          ? (['CLEARED'] as AlarmStatus[])
          : (['ACTIVE', 'ACKNOWLEDGED'] as AlarmStatus[]);
    return {
      tenantId: actor.tenantId,
      sourceId: filter.source === undefined ? undefined : (parseId(filter.source) ?? 0),
      sourceOwner: hasRole(actor, 'ROLE_ALARM_READ') ? undefined : actor.userName,
      types: filter.types,
      statuses,
      severities: filter.severities,
      time: filter.time,
      creationTime: filter.creationTime,
      lastUpdated: filter.lastUpdated,
      newestFirst: true,
    };
  }

  #ownerOf(record: AlarmRecord): string | undefined {
    return this.#inventory.peek(record.tenantId, record.sourceId)?.owner;
  }

  #find(actor: Actor, id: string): AlarmRecord {
    const key = parseId(id);
    const record = key === undefined ? undefined : this.#data.getAlarm(key);
    if (!record || record.tenantId !== actor.tenantId) throw refuse.alarm(id);
    return record;
  }
}

const isUnfiltered = (filter: AlarmFilter) =>
  filter.source === undefined &&
  [filter.time?.from, filter.time?.to, filter.creationTime?.from, filter.creationTime?.to].every(
    (value) => value === undefined,
  );
