import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import { Alarms } from './alarms.js';
import { DeviceObjects } from './device-objects.js';
import { Events } from './events.js';
import { Identity } from './identity.js';
import { Inventory } from './inventory.js';
import { Measurements } from './measurements.js';
import { Operations } from './operations.js';

/** How many of each a store keeps; beyond it the oldest go first. */
export interface RetentionLimits {
  maxMeasurements: number;
  maxEvents: number;
  maxAlarms: number;
}

/** The services of the device data APIs, over one store. */
export interface DeviceDataServices {
  inventory: Inventory;
  identity: Identity;
  measurements: Measurements;
  events: Events;
  alarms: Alarms;
  operations: Operations;
  deviceObjects: DeviceObjects;
}

export function createDeviceDataServices(
  store: Store,
  clock: Clock,
  limits: RetentionLimits,
): DeviceDataServices {
  const inventory = new Inventory(store, clock);
  return {
    inventory,
    identity: new Identity(store, inventory),
    measurements: new Measurements(store, inventory, { keep: limits.maxMeasurements }),
    events: new Events(store, inventory, clock, { keep: limits.maxEvents }),
    alarms: new Alarms(store, inventory, clock, { keep: limits.maxAlarms }),
    operations: new Operations(store, inventory, clock),
    deviceObjects: new DeviceObjects(store, inventory),
  };
}
