import type { DeviceDataStore, ExternalIdRecord } from '../store/device-data-store.js';
import type { Store } from '../store/store.js';
import { type Actor, requireRoleOrOwner } from './actor.js';
import { asDocument, requireFields, stringField } from './documents.js';
import type { Inventory } from './inventory.js';
import { refuse } from './refusals.js';

export type { ExternalIdRecord } from '../store/device-data-store.js';

/**
 * External IDs: names a device has outside the platform (its serial,
 * `c8y_Serial`), each bound to one managed object of a tenant.
 */
export class Identity {
  readonly #data: DeviceDataStore;
  readonly #inventory: Inventory;

  constructor(store: Store, inventory: Inventory) {
    this.#data = store.deviceData;
    this.#inventory = inventory;
  }

  /**
   * POST /identity/globalIds/{id}/externalIds. Binding an external ID to the
   * object it already names is a no-op; to another object, the platform's 409.
   */
  bind(actor: Actor, globalId: string, body: unknown): ExternalIdRecord {
    const document = asDocument(body);
    requireFields(document, ['externalId', 'type']);
    const type = stringField(document, 'type')!;
    const externalId = stringField(document, 'externalId')!;
    if (type === '' || externalId === '') throw refuse.invalid('type and externalId must not be empty.');
    const target = this.#globalObject(actor, globalId);
    requireRoleOrOwner(actor, 'ROLE_IDENTITY_ADMIN', target.owner, `managed object ${globalId}`);
    const bound = this.#data.getExternalId(actor.tenantId, type, externalId);
    if (bound) {
      if (bound.managedObjectId !== target.id)
        throw refuse.boundElsewhere(type, externalId, bound.managedObjectId);
      return bound;
    }
    const record = { tenantId: actor.tenantId, type, externalId, managedObjectId: target.id };
    this.#data.insertExternalId(record);
    return record;
  }

  /** GET /identity/globalIds/{id}/externalIds. */
  ofObject(actor: Actor, globalId: string): ExternalIdRecord[] {
    const target = this.#globalObject(actor, globalId);
    requireRoleOrOwner(actor, 'ROLE_IDENTITY_READ', target.owner, `managed object ${globalId}`);
    return this.#data.externalIdsOf(target.id);
  }

  /** GET /identity/externalIds/{type}/{externalId}: the documented 404 when unknown. */
  get(actor: Actor, type: string, externalId: string): ExternalIdRecord {
    const record = this.#data.getExternalId(actor.tenantId, type, externalId);
    if (!record) throw refuse.externalId(type, externalId);
    const target = this.#inventory.peek(actor.tenantId, record.managedObjectId);
    requireRoleOrOwner(actor, 'ROLE_IDENTITY_READ', target?.owner, `external ID ${type}/${externalId}`);
    return record;
  }

  delete(actor: Actor, type: string, externalId: string): void {
    const record = this.#data.getExternalId(actor.tenantId, type, externalId);
    if (!record) throw refuse.externalId(type, externalId);
    const target = this.#inventory.peek(actor.tenantId, record.managedObjectId);
    requireRoleOrOwner(actor, 'ROLE_IDENTITY_ADMIN', target?.owner, `external ID ${type}/${externalId}`);
    this.#data.deleteExternalId(actor.tenantId, type, externalId);
  }

  #globalObject(actor: Actor, globalId: string) {
    try {
      return this.#inventory.find(actor, globalId);
    } catch {
      throw refuse.globalId(globalId);
    }
  }
}
