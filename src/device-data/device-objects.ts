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
