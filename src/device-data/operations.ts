import type { Clock } from '../clock.js';
import {
  type DeviceDataStore,
  type ExternalIdRecord,
  type ManagedObjectRecord,
  OPERATION_STATUSES,
  type OperationQuery,
  type OperationRecord,
  type OperationStatus,
  type Range,
} from '../store/device-data-store.js';
import type { Store } from '../store/store.js';
import { type Actor, requireRole, requireRoleOrOwner } from './actor.js';
import {
  asDocument,
  fragmentsOf,
  mergeFragments,
  oneOfField,
  parseId,
  requireFields,
  stringField,
} from './documents.js';
import type { Inventory } from './inventory.js';
import { type DataPage, fetchPage, type PageRequest } from './page.js';
import { refuse } from './refusals.js';

export type { OperationRecord, OperationStatus } from '../store/device-data-store.js';
export { OPERATION_STATUSES } from '../store/device-data-store.js';

export interface OperationFilter {
  deviceId?: string | undefined;
  agentId?: string | undefined;
  status?: OperationStatus | undefined;
  fragmentType?: string | undefined;
  creationTime?: Range | undefined;
  /** Newest first; the default is ascending ids (oldest first). */
  revert?: boolean | undefined;
}

/** An operation as responses show it. */
export interface Operation {
  record: OperationRecord;
  /** In collections only, as on the platform. */
  deviceName?: string | null;
  /** When listed by `agentId`, as on the platform. */
  externalIds?: ExternalIdRecord[];
}

/** What a listener hears: a new operation for a device, and the agent that should run it. */
export interface OperationCreated {
  tenantId: string;
  operation: OperationRecord;
  device: ManagedObjectRecord;
  agent: ManagedObjectRecord;
}

export type OperationListener = (created: OperationCreated) => void;

const COMPUTED = [
  'id',
  'self',
  'deviceId',
  'deviceName',
  'deviceExternalIDs',
  'status',
  'failureReason',
  'creationTime',
  'bulkOperationId',
] as const;

/**
 * Operations: what the tenant asks a device to do (a fragment such as
 * `c8y_Restart`), PENDING until the device takes it (EXECUTING) and reports
 * SUCCESSFUL or FAILED with a `failureReason`. Listeners hear every new one
 * (the MQTT door delivers it to a connected device).
 */
export class Operations {
  readonly #data: DeviceDataStore;
  readonly #inventory: Inventory;
  readonly #clock: Clock;
  readonly #listeners = new Set<OperationListener>();

  constructor(store: Store, inventory: Inventory, clock: Clock) {
    this.#data = store.deviceData;
    this.#inventory = inventory;
    this.#clock = clock;
  }

  /** Called after each operation is stored; returns the unsubscribe function. */
  onCreated(listener: OperationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** POST /devicecontrol/operations: `deviceId` and the fragments that say what to do. */
  create(actor: Actor, body: unknown): Operation {
    const document = asDocument(body);
    requireFields(document, ['deviceId']);
    const deviceId = document.deviceId;
    if (typeof deviceId !== 'string' && typeof deviceId !== 'number') {
      throw refuse.invalid(`deviceId must be the id of a managed object; got ${JSON.stringify(deviceId)}.`);
    }
    const device = this.#inventory.find(actor, String(deviceId));
    requireRoleOrOwner(actor, 'ROLE_DEVICE_CONTROL_ADMIN', device.owner, `device ${deviceId}`);
    const agent = this.#inventory.agentOf(device);
    const record = {
      tenantId: actor.tenantId,
      deviceId: device.id,
      agentId: agent.id,
      status: 'PENDING' as const,
      failureReason: null,
      creationTime: this.#clock.now(),
      fragments: fragmentsOf(document, COMPUTED),
    };
    const operation = { ...record, id: this.#data.insertOperation(record) };
    for (const listener of this.#listeners) {
      // A listener's failure (a device that went away) is the listener's; the operation stands.
      try {
        listener({ tenantId: actor.tenantId, operation, device, agent });
      } catch {}
    }
    return { record: operation };
  }

  get(actor: Actor, id: string): Operation {
    const record = this.#find(actor, id);
    requireRoleOrOwner(actor, 'ROLE_DEVICE_CONTROL_READ', this.#ownerOf(record), `device ${record.deviceId}`);
    return { record };
  }

  list(actor: Actor, filter: OperationFilter, page: PageRequest): DataPage<Operation> {
    requireRole(actor, 'ROLE_DEVICE_CONTROL_READ', 'list operations');
    const query = this.#query(actor, filter);
    const withExternalIds = filter.agentId !== undefined;
    return fetchPage(
      page,
      (window) => this.#data.findOperations(query, window),
      () => this.#data.countOperations(query),
      (record) => {
        const device = this.#inventory.peek(actor.tenantId, record.deviceId);
        return {
          record,
          deviceName: device?.name ?? null,
          ...(withExternalIds && device ? { externalIds: this.#inventory.externalIdsOf(device) } : {}),
        };
      },
    );
  }

  /** PUT: the status (required), a `failureReason`, and result fragments; nothing else changes. */
  update(actor: Actor, id: string, body: unknown): Operation {
    const document = asDocument(body);
    const record = this.#find(actor, id);
    requireRoleOrOwner(
      actor,
      'ROLE_DEVICE_CONTROL_ADMIN',
      this.#ownerOf(record),
      `device ${record.deviceId}`,
    );
    requireFields(document, ['status']);
    const status = oneOfField(document, 'status', OPERATION_STATUSES)!;
    const updated: OperationRecord = {
      ...record,
      status,
      failureReason: stringField(document, 'failureReason') ?? record.failureReason,
      fragments: mergeFragments(record.fragments, fragmentsOf(document, COMPUTED)),
    };
    this.#data.updateOperation(updated);
    return { record: updated };
  }

  /** DELETE /devicecontrol/operations: at least one filter, so a typo cannot empty the tenant. */
  deleteMany(actor: Actor, filter: OperationFilter): number {
    requireRole(actor, 'ROLE_DEVICE_CONTROL_ADMIN', 'delete operations');
    const narrowed = [
      filter.deviceId,
      filter.agentId,
      filter.status,
      filter.creationTime?.from,
      filter.creationTime?.to,
    ];
    if (narrowed.every((value) => value === undefined)) {
      throw refuse.unfiltered('operation', ['deviceId', 'agentId', 'status', 'dateFrom', 'dateTo']);
    }
    return this.#data.deleteOperations(this.#query(actor, filter));
  }

  #query(actor: Actor, filter: OperationFilter): OperationQuery {
    const id = (text: string | undefined) => (text === undefined ? undefined : (parseId(text) ?? 0));
    return {
      tenantId: actor.tenantId,
      deviceId: id(filter.deviceId),
      agentId: id(filter.agentId),
      status: filter.status,
      fragmentType: filter.fragmentType,
      creationTime: filter.creationTime,
      newestFirst: filter.revert === true,
    };
  }

  #ownerOf(record: OperationRecord): string | undefined {
    return this.#inventory.peek(record.tenantId, record.deviceId)?.owner;
  }

  #find(actor: Actor, id: string): OperationRecord {
    const key = parseId(id);
    const record = key === undefined ? undefined : this.#data.getOperation(key);
    if (!record || record.tenantId !== actor.tenantId) throw refuse.operation(id);
    return record;
  }
}
