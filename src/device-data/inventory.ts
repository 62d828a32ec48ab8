import type { Clock } from '../clock.js';
import { Forbidden } from '../errors.js';
import {
  CHILD_KINDS,
  type ChildKind,
  type DeviceDataStore,
  type ExternalIdRecord,
  type ManagedObjectRecord,
} from '../store/device-data-store.js';
import type { Store } from '../store/store.js';
import { type Actor, hasRole, requireRoleOrOwner } from './actor.js';
import {
  asDocument,
  type Document,
  fragmentsOf,
  isObject,
  mergeFragments,
  parseId,
  stringField,
} from './documents.js';
import { type DataPage, fetchPage, type PageRequest, slicePage } from './page.js';
import { refuse } from './refusals.js';

export type { ChildKind, ManagedObjectRecord } from '../store/device-data-store.js';
export { CHILD_KINDS } from '../store/device-data-store.js';

/** A reference in a managed object's child or parent collections. */
export interface Reference {
  id: number;
  name: string | null;
}

export type ParentKind = 'deviceParents' | 'assetParents' | 'additionParents';
export const PARENT_OF: Record<ChildKind, ParentKind> = {
  childDevices: 'deviceParents',
  childAssets: 'assetParents',
  childAdditions: 'additionParents',
};

/** A managed object with its references, what a response shows. */
export interface ManagedObject {
  record: ManagedObjectRecord;
  references: Record<ChildKind | ParentKind, Reference[]>;
}

export interface ManagedObjectFilter {
  type?: string | undefined;
  owner?: string | undefined;
  fragmentType?: string | undefined;
  ids?: string[] | undefined;
  /** Full-text search over id, type, name, owner and external IDs. */
  text?: string | undefined;
}

/** Properties the platform computes; a client's values for them are ignored. */
const COMPUTED = [
  'id',
  'self',
  'owner',
  'creationTime',
  'lastUpdated',
  ...CHILD_KINDS,
  'deviceParents',
  'assetParents',
  'additionParents',
  'c8y_LatestMeasurements',
  'c8y_PreviousMeasurements',
] as const;
const COLUMNS = ['name', 'type'] as const;
/** Marks a device as an agent: operations of its child devices go to it. */
export const AGENT_FRAGMENT = 'com_cumulocity_model_Agent';
const MAX_BULK = 50;

/**
 * The inventory: managed objects, their child and parent references, and the
 * rule of who may see and change them (a role, or ownership). Also resolves
 * the source of measurements, events and alarms and the device of operations.
 */
export class Inventory {
  readonly #store: Store;
  readonly #data: DeviceDataStore;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#data = store.deviceData;
    this.#clock = clock;
  }

  /** POST /inventory/managedObjects: the creator owns it; `externalIds` are bound in the same step. */
  create(actor: Actor, body: unknown): ManagedObject {
    return this.#store.transaction(() => this.view(this.#create(actor, asDocument(body))));
  }

  /** A managedobjectcollection: all or nothing, at most 50. */
  createMany(actor: Actor, body: unknown): ManagedObject[] {
    const document = asDocument(body);
    const list = document.managedObjects;
    if (!Array.isArray(list)) throw refuse.missing(['managedObjects']);
    if (list.length === 0 || list.length > MAX_BULK) {
      throw refuse.invalid(`managedObjects must hold 1 to ${MAX_BULK} managed objects; got ${list.length}.`);
    }
    return this.#store.transaction(() =>
      list.map((item, i) => this.view(this.#create(actor, asDocument(item, `managedObjects[${i}]`)))),
    );
  }

  #create(actor: Actor, document: Document): ManagedObjectRecord {
    if (!hasRole(actor, 'ROLE_INVENTORY_ADMIN') && !hasRole(actor, 'ROLE_INVENTORY_CREATE')) {
      throw new Forbidden('Access is denied.', {
        reason: `${actor.userName} may not create managed objects`,
      });
    }
    const externalIds = this.#externalIdsToBind(actor, document.externalIds);
    const now = this.#clock.now();
    const owner = stringField(document, 'owner');
    const record: Omit<ManagedObjectRecord, 'id'> = {
      tenantId: actor.tenantId,
      // Only an inventory administrator hands an object to someone else.
      owner: owner && hasRole(actor, 'ROLE_INVENTORY_ADMIN') ? owner : actor.userName,
      name: stringField(document, 'name') ?? null,
      type: stringField(document, 'type') ?? null,
      creationTime: now,
      lastUpdated: now,
      fragments: fragmentsOf(document, [...COMPUTED, ...COLUMNS, 'externalIds']),
    };
    const id = this.#data.insertManagedObject(record);
    for (const { type, externalId } of externalIds) {
      this.#data.insertExternalId({ tenantId: actor.tenantId, type, externalId, managedObjectId: id });
    }
    return { ...record, id };
  }

  #externalIdsToBind(actor: Actor, value: unknown): { type: string; externalId: string }[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value))
      throw refuse.invalid('externalIds must be an array of {"externalId", "type"}.');
    return value.map((item, i) => {
      const document = asDocument(item, `externalIds[${i}]`);
      const type = stringField(document, 'type');
      const externalId = stringField(document, 'externalId');
      if (!type || !externalId) throw refuse.missing(['externalId', 'type'].filter((f) => !document[f]));
      const bound = this.#data.getExternalId(actor.tenantId, type, externalId);
      if (bound) throw refuse.boundElsewhere(type, externalId, bound.managedObjectId);
      return { type, externalId };
    });
  }

  /** GET /inventory/managedObjects/{id}. */
  get(actor: Actor, id: string): ManagedObject {
    const record = this.find(actor, id);
    requireRoleOrOwner(actor, 'ROLE_INVENTORY_READ', record.owner, `managed object ${id}`);
    return this.view(record);
  }

  /** An object of the actor's tenant, or the platform's 404 (another tenant's object is not there). */
  find(actor: Actor, id: string): ManagedObjectRecord {
    const record = this.#record(actor.tenantId, id);
    if (!record) throw refuse.managedObject(id);
    return record;
  }

  #record(tenantId: string, id: string): ManagedObjectRecord | undefined {
    const key = parseId(id);
    const record = key === undefined ? undefined : this.#data.getManagedObject(key);
    return record?.tenantId === tenantId ? record : undefined;
  }

  /**
   * The source of data an actor writes or reads: it must exist in the actor's
   * tenant (404) and the actor needs `role` or to own it (403).
   */
  source(actor: Actor, id: string, role: Parameters<typeof requireRoleOrOwner>[1]): ManagedObjectRecord {
    const record = this.find(actor, id);
    requireRoleOrOwner(actor, role, record.owner, `managed object ${id}`);
    return record;
  }

  /**
   * `source` for an object the caller read itself in the same synchronous call (the MQTT door's
   * device, found for the line it handles): the same checks, without reading it a second time.
   */
  sourceRead(
    actor: Actor,
    record: ManagedObjectRecord,
    role: Parameters<typeof requireRoleOrOwner>[1],
  ): ManagedObjectRecord {
    const id = String(record.id);
    if (record.tenantId !== actor.tenantId) throw refuse.managedObject(id);
    requireRoleOrOwner(actor, role, record.owner, `managed object ${id}`);
    return record;
  }

  /** The object of an id, if the tenant has it (a name for a reference, no permission check). */
  peek(tenantId: string, id: number): ManagedObjectRecord | undefined {
    const record = this.#data.getManagedObject(id);
    return record?.tenantId === tenantId ? record : undefined;
  }

  list(actor: Actor, filter: ManagedObjectFilter, page: PageRequest): DataPage<ManagedObject> {
    const query = {
      tenantId: actor.tenantId,
      type: filter.type,
      fragmentType: filter.fragmentType,
      // Without the read role a user sees what they own.
      owner: hasRole(actor, 'ROLE_INVENTORY_READ') ? filter.owner : actor.userName,
      ids: filter.ids?.map((id) => parseId(id) ?? 0),
    };
    if (filter.owner !== undefined && query.owner !== filter.owner) query.ids = [];
    if (filter.text !== undefined) {
      const matches = textMatcher(filter.text);
      const all = this.#data
        .findManagedObjects(query)
        .filter((record) => matches(searchable(record, this.#data.externalIdsOf(record.id))));
      const sliced = slicePage(page, all);
      return { ...sliced, items: sliced.items.map((record) => this.view(record)) };
    }
    return fetchPage(
      page,
      (window) => this.#data.findManagedObjects(query, window),
      () => this.#data.countManagedObjects(query),
      (record) => this.view(record),
    );
  }

  /**
   * PUT /inventory/managedObjects/{id}: the properties sent replace the stored
   * ones, null removes one. A body with only `id` is the availability
   * heartbeat: nothing changes and the answer is `{id}` only (`heartbeat`).
   */
  update(actor: Actor, id: string, body: unknown): { managedObject: ManagedObject; heartbeat: boolean } {
    const document = asDocument(body);
    const record = this.find(actor, id);
    requireRoleOrOwner(actor, 'ROLE_INVENTORY_ADMIN', record.owner, `managed object ${id}`);
    if (Object.keys(document).every((key) => key === 'id')) {
      return { managedObject: this.view(record), heartbeat: true };
    }
    const owner = stringField(document, 'owner');
    if (owner !== undefined && owner !== record.owner && !hasRole(actor, 'ROLE_INVENTORY_ADMIN')) {
      throw new Forbidden('Access is denied.', {
        reason: `${actor.userName} may not hand managed object ${id} to ${owner}`,
      });
    }
    const updated: ManagedObjectRecord = {
      ...record,
      owner: owner ?? record.owner,
      name: 'name' in document ? (stringField(document, 'name') ?? null) : record.name,
      type: 'type' in document ? (stringField(document, 'type') ?? null) : record.type,
      lastUpdated: this.#clock.now(),
      fragments: mergeFragments(record.fragments, fragmentsOf(document, [...COMPUTED, ...COLUMNS])),
    };
    this.#data.updateManagedObject(updated);
    return { managedObject: this.view(updated), heartbeat: false };
  }

  /** DELETE: its data and references go with it; `cascade` also removes child devices and assets. */
  delete(actor: Actor, id: string, options: { cascade: boolean } = { cascade: false }): void {
    const record = this.find(actor, id);
    requireRoleOrOwner(actor, 'ROLE_INVENTORY_ADMIN', record.owner, `managed object ${id}`);
    this.#store.transaction(() => {
      const doomed = options.cascade ? this.#descendants(record.id) : [record.id];
      for (const each of doomed) this.#data.deleteManagedObject(each);
    });
  }

  #descendants(root: number): number[] {
    const seen = new Set<number>([root]);
    const queue = [root];
    while (queue.length > 0) {
      const next = queue.shift()!;
      for (const kind of ['childDevices', 'childAssets'] as const) {
        for (const { childId } of this.#data.children(next, kind)) {
          if (!seen.has(childId)) {
            seen.add(childId);
            queue.push(childId);
          }
        }
      }
    }
    return [...seen];
  }

  /**
   * POST …/{parent}/{kind} with a reference: links an existing object. The
   * parent's owner or an inventory administrator may; so may a user with
   * ROLE_INVENTORY_CREATE who owns the child ("create" includes linking your
   * object to another, c8y-docs concepts: security).
   */
  addChild(actor: Actor, parentId: string, kind: ChildKind, childId: string): Reference {
    const parent = this.find(actor, parentId);
    const child = this.find(actor, childId);
    const linksOwnChild = hasRole(actor, 'ROLE_INVENTORY_CREATE') && child.owner === actor.userName;
    if (!linksOwnChild)
      requireRoleOrOwner(actor, 'ROLE_INVENTORY_ADMIN', parent.owner, `managed object ${parentId}`);
    if (parent.id === child.id) throw refuse.invalid(`A managed object cannot be its own ${kind} reference.`);
    this.#data.addChild({ parentId: parent.id, kind, childId: child.id });
    return { id: child.id, name: child.name };
  }

  /** POST …/{parent}/{kind} with a managed object: creates it and links it, in one step. */
  createChild(actor: Actor, parentId: string, kind: ChildKind, body: unknown): ManagedObject {
    const document = asDocument(body);
    const parent = this.find(actor, parentId);
    if (!hasRole(actor, 'ROLE_INVENTORY_CREATE')) {
      requireRoleOrOwner(actor, 'ROLE_INVENTORY_ADMIN', parent.owner, `managed object ${parentId}`);
    }
    return this.#store.transaction(() => {
      const child = this.#create(actor, document);
      this.#data.addChild({ parentId: parent.id, kind, childId: child.id });
      return this.view(child);
    });
  }

  removeChild(actor: Actor, parentId: string, kind: ChildKind, childId: string): void {
    const parent = this.find(actor, parentId);
    requireRoleOrOwner(actor, 'ROLE_INVENTORY_ADMIN', parent.owner, `managed object ${parentId}`);
    const child = parseId(childId);
    if (child === undefined || !this.#data.removeChild({ parentId: parent.id, kind, childId: child })) {
      throw refuse.childReference(parentId, kind, childId);
    }
  }

  listChildren(actor: Actor, parentId: string, kind: ChildKind, page: PageRequest): DataPage<Reference> {
    const parent = this.find(actor, parentId);
    requireRoleOrOwner(actor, 'ROLE_INVENTORY_READ', parent.owner, `managed object ${parentId}`);
    return slicePage(
      page,
      this.#references(parent.tenantId, this.#data.children(parent.id, kind), 'childId'),
    );
  }

  /** The device's agent: itself or the nearest device parent marked as an agent; the device when none is. */
  agentOf(device: ManagedObjectRecord): ManagedObjectRecord {
    const seen = new Set<number>();
    let current: ManagedObjectRecord | undefined = device;
    while (current && !seen.has(current.id)) {
      if (isObject(current.fragments[AGENT_FRAGMENT])) return current;
      seen.add(current.id);
      const parent: { parentId: number } | undefined = this.#data.parents(current.id, 'childDevices')[0];
      current = parent && this.peek(device.tenantId, parent.parentId);
    }
    return device;
  }

  externalIdsOf(record: ManagedObjectRecord): ExternalIdRecord[] {
    return this.#data.externalIdsOf(record.id);
  }

  view(record: ManagedObjectRecord): ManagedObject {
    const children = this.#data.children(record.id);
    const parents = this.#data.parents(record.id);
    const references = {} as ManagedObject['references'];
    for (const kind of CHILD_KINDS) {
      references[kind] = this.#references(
        record.tenantId,
        children.filter((c) => c.kind === kind),
        'childId',
      );
      references[PARENT_OF[kind]] = this.#references(
        record.tenantId,
        parents.filter((p) => p.kind === kind),
        'parentId',
      );
    }
    return { record, references };
  }

  #references(tenantId: string, links: { parentId: number; childId: number }[], end: 'parentId' | 'childId') {
    return links.map((link) => ({ id: link[end], name: this.peek(tenantId, link[end])?.name ?? null }));
  }
}

/** Tokens as the platform's text search splits them: at whitespace, `/`, `-` and `.`. */
const tokens = (text: string) =>
  text
    .toLowerCase()
    .split(/[\s/.-]+/)
    .filter((token) => token !== '');

function searchable(record: ManagedObjectRecord, externalIds: ExternalIdRecord[]): string[] {
  return [
    String(record.id),
    record.type ?? '',
    record.name ?? '',
    record.owner,
    ...externalIds.map((e) => e.externalId),
  ];
}

/**
 * Any token of the query starts a token of the object's examined properties;
 * a query in double quotes must appear whole in one of them.
 */
function textMatcher(query: string): (values: string[]) => boolean {
  const phrase = /^"(.*)"$/.exec(query.trim())?.[1];
  if (phrase !== undefined) {
    const wanted = phrase.toLowerCase();
    return (values) => values.some((value) => value.toLowerCase().includes(wanted));
  }
  const wanted = tokens(query);
  return (values) => {
    const have = values.flatMap(tokens);
    return wanted.some((token) => have.some((candidate) => candidate.startsWith(token)));
  };
}
