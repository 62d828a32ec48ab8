import { type Actor, administratorActor, deviceActor } from '../device-data/actor.js';
import type { Principal } from './principal.js';

/**
 * The actor of the device data APIs for an authenticated request: a device
 * token acts with the device user's roles, a tenant administrator's Basic
 * credentials with the administrator's.
 */
export function actorOf(principal: Principal): Actor {
  return principal.kind === 'device'
    ? deviceActor(principal.tenant.id, principal.device.userName)
    : administratorActor(principal.tenant.id, principal.userName);
}
