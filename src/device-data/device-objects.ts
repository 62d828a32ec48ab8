import type { Store } from '../store/store.js';
import { deviceUserName } from '../tenants/devices.js';
import { systemActor } from './actor.js';
import type { Inventory, ManagedObjectRecord } from './inventory.js';

export interface DeviceObjectOptions {
  name?: string | undefined;
  type?: string | undefined;
  /** The external ID's type; the platform's default is `c8y_Serial`. */
  idType?: string | undefined;
}

export const DEFAULT_ID_TYPE = 'c8y_Serial';

/**
 * The "elementary representation" the platform gives a registered device
 * (OpenAPI, bulkNewDeviceRequests): a managed object with `c8y_IsDevice`,
 * owned by the device user `device_<id>`, and the external ID that names it.
 * Registration paths (bulk registration, certificate auto-registration with
 * --auto-registration-inventory, later EST and MQTT) call this without HTTP.
 */
export class DeviceObjects {
  readonly #store: Store;
  readonly #inventory: Inventory;

  constructor(store: Store, inventory: Inventory) {
    this.#store = store;
    this.#inventory = inventory;
  }

  /**
   * The managed object that stands for a registered device: the one its
   * `c8y_Serial` names, else the first device object its user owns, else the
   * first object its user owns (a device that never bound its serial).
   */
  objectOf(tenantId: string, externalId: string): ManagedObjectRecord | undefined {
    const data = this.#store.deviceData;
    const bound = data.getExternalId(tenantId, DEFAULT_ID_TYPE, externalId);
    const named = bound && this.#inventory.peek(tenantId, bound.managedObjectId);
    if (named) return named;
    const owned = this.ownedBy(tenantId, deviceUserName(externalId));
    return owned.find((record) => 'c8y_IsDevice' in record.fragments) ?? owned[0];
  }

  /** Everything a user owns (a device user: its device, child devices, additions). */
  ownedBy(tenantId: string, userName: string): ManagedObjectRecord[] {
    return this.#store.deviceData.findManagedObjects(
      { tenantId, owner: userName },
      { limit: 200, offset: 0 },
    );
  }

  /** The device's managed object: the one its external ID names, or a new one. Idempotent. */
  ensure(
    tenantId: string,
    externalId: string,
    options: DeviceObjectOptions = {},
  ): { managedObject: ManagedObjectRecord; created: boolean } {
    const idType = options.idType || DEFAULT_ID_TYPE;
    return this.#store.transaction(() => {
      const bound = this.#store.deviceData.getExternalId(tenantId, idType, externalId);
      const existing = bound && this.#inventory.peek(tenantId, bound.managedObjectId);
      if (existing) return { managedObject: existing, created: false };
      const { record } = this.#inventory.create(systemActor(tenantId), {
        name: options.name || externalId,
        ...(options.type ? { type: options.type } : {}),
        owner: deviceUserName(externalId),
        c8y_IsDevice: {},
        externalIds: [{ type: idType, externalId }],
      });
      return { managedObject: record, created: true };
    });
  }
}
