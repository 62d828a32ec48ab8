import type { Clock } from '../clock.js';
import type { DeviceDataStore, EventQuery, EventRecord, Range } from '../store/device-data-store.js';
import type { Store } from '../store/store.js';
import { type Actor, requireRole, requireRoleOrOwner } from './actor.js';
import {
  asDocument,
  dateTimeField,
  fragmentsOf,
  mergeFragments,
  parseId,
  referenceId,
  requireFields,
  stringField,
} from './documents.js';
import type { Inventory } from './inventory.js';
import { type DataPage, fetchPage, type PageRequest } from './page.js';
import { refuseChangesTo } from './read-only.js';
import { refuse } from './refusals.js';

export type { EventRecord } from '../store/device-data-store.js';

export interface EventFilter {
  source?: string | undefined;
  type?: string | undefined;
  fragmentType?: string | undefined;
  fragmentValue?: string | undefined;
  time?: Range | undefined;
  creationTime?: Range | undefined;
  lastUpdated?: Range | undefined;
  /** Oldest first; the default is newest first. */
  revert?: boolean | undefined;
}

const COMPUTED = ['id', 'self', 'source', 'time', 'type', 'text', 'creationTime', 'lastUpdated'] as const;

/** Events: something that happened on a device, with a text. At most `keep` are stored; the oldest go first. */
export class Events {
  readonly #data: DeviceDataStore;
  readonly #inventory: Inventory;
  readonly #clock: Clock;
  readonly #keep: number;

  constructor(store: Store, inventory: Inventory, clock: Clock, options: { keep: number }) {
    this.#data = store.deviceData;
    this.#inventory = inventory;
    this.#clock = clock;
    this.#keep = options.keep;
  }

  create(actor: Actor, body: unknown): EventRecord {
    const document = asDocument(body);
    requireFields(document, ['source.id', 'text', 'time', 'type']);
    const time = dateTimeField(document, 'time')!;
    const type = stringField(document, 'type')!;
    const text = stringField(document, 'text')!;
    const source = this.#inventory.source(actor, referenceId(document, 'source')!, 'ROLE_EVENT_ADMIN');
    const now = this.#clock.now();
    const record = {
      tenantId: actor.tenantId,
      sourceId: source.id,
      type,
      text,
      time,
      creationTime: now,
      lastUpdated: now,
      fragments: fragmentsOf(document, COMPUTED),
    };
    return { ...record, id: this.#data.insertEvent(record, this.#keep) };
  }

  get(actor: Actor, id: string): EventRecord {
    const record = this.#find(actor, id);
    requireRoleOrOwner(actor, 'ROLE_EVENT_READ', this.#ownerOf(record), `the source of event ${id}`);
    return record;
  }

  list(actor: Actor, filter: EventFilter, page: PageRequest): DataPage<EventRecord> {
    requireRole(actor, 'ROLE_EVENT_READ', 'list events');
    const query = this.#query(actor, filter);
    return fetchPage(
      page,
      (window) => this.#data.findEvents(query, window),
      () => this.#data.countEvents(query),
      (record) => record,
    );
  }

  /** PUT: only the text and custom fragments change; `source`, `type` and `time` may only repeat the stored values. */
  update(actor: Actor, id: string, body: unknown): EventRecord {
    const document = asDocument(body);
    const record = this.#find(actor, id);
    requireRoleOrOwner(actor, 'ROLE_EVENT_ADMIN', this.#ownerOf(record), `the source of event ${id}`);
    refuseChangesTo(document, record, ['source', 'type', 'time']);
    const updated: EventRecord = {
      ...record,
      text: stringField(document, 'text') ?? record.text,
      lastUpdated: this.#clock.now(),
      fragments: mergeFragments(record.fragments, fragmentsOf(document, COMPUTED)),
    };
    this.#data.updateEvent(updated);
    return updated;
  }

  delete(actor: Actor, id: string): void {
    const record = this.#find(actor, id);
    requireRoleOrOwner(actor, 'ROLE_EVENT_ADMIN', this.#ownerOf(record), `the source of event ${id}`);
    this.#data.deleteEvent(record.id);
  }

  /** DELETE /event/events: needs a source or a date range, as on the platform. */
  deleteMany(actor: Actor, filter: EventFilter): number {
    requireRole(actor, 'ROLE_EVENT_ADMIN', 'delete events');
    const bounded = [filter.time?.from, filter.time?.to, filter.creationTime?.from, filter.creationTime?.to];
    if (filter.source === undefined && bounded.every((value) => value === undefined)) {
      throw refuse.unfiltered('event', ['source', 'dateFrom', 'dateTo', 'createdFrom', 'createdTo']);
    }
    return this.#data.deleteEvents(this.#query(actor, filter));
  }

  #query(actor: Actor, filter: EventFilter): EventQuery {
    return {
      tenantId: actor.tenantId,
      sourceId: filter.source === undefined ? undefined : (parseId(filter.source) ?? 0),
      type: filter.type,
      fragmentType: filter.fragmentType,
      fragmentValue: filter.fragmentValue,
      time: filter.time,
      creationTime: filter.creationTime,
      lastUpdated: filter.lastUpdated,
      newestFirst: filter.revert !== true,
    };
  }

  #ownerOf(record: EventRecord): string | undefined {
    return this.#inventory.peek(record.tenantId, record.sourceId)?.owner;
  }

  #find(actor: Actor, id: string): EventRecord {
    const key = parseId(id);
    const record = key === undefined ? undefined : this.#data.getEvent(key);
    if (!record || record.tenantId !== actor.tenantId) throw refuse.event(id);
    return record;
  }
}
