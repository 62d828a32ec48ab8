import { Forbidden } from '../errors.js';
import { ADMIN_ROLES, DEVICE_ROLES, type Role } from '../tenants/roles.js';

/**
 * Who acts on the device data: a user of one tenant and their global roles.
 * The platform's rule is "a role, or ownership": a user may read and change
 * the objects they own, and the data of those objects, whatever their roles
 * (c8y-docs, concepts: security, "Permissions and ownership"). Callers without
 * HTTP (the MQTT door, registration) make one with `deviceActor` or `systemActor`.
 */
export interface Actor {
  tenantId: string;
  userName: string;
  roles: ReadonlySet<string>;
}

const DEVICE_ROLE_SET: ReadonlySet<string> = new Set(DEVICE_ROLES);
const ADMIN_ROLE_SET: ReadonlySet<string> = new Set(ADMIN_ROLES);

export const deviceActor = (tenantId: string, userName: string): Actor => ({
  tenantId,
  userName,
  roles: DEVICE_ROLE_SET,
});

export const administratorActor = (tenantId: string, userName: string): Actor => ({
  tenantId,
  userName,
  roles: ADMIN_ROLE_SET,
});

/** The mock itself acting for a tenant (registration, the dashboard's mock administrator). */
export const systemActor = (tenantId: string): Actor => administratorActor(tenantId, 'service_c8y-mtls-mock');

export const hasRole = (actor: Actor, role: Role): boolean => actor.roles.has(role);

/** Allowed when the actor has `role` or owns what is acted on; otherwise the platform's 403. */
export function requireRoleOrOwner(actor: Actor, role: Role, owner: string | undefined, what: string): void {
  if (hasRole(actor, role) || (owner !== undefined && owner === actor.userName)) return;
  throw new Forbidden('Access is denied.', {
    reason: `${actor.userName} of ${actor.tenantId} has no ${role} and does not own ${what}${owner ? ` (owner ${owner})` : ''}`,
  });
}

export function requireRole(actor: Actor, role: Role, action: string): void {
  if (hasRole(actor, role)) return;
  throw new Forbidden('Access is denied.', {
    reason: `${actor.userName} of ${actor.tenantId} has no ${role} to ${action}`,
  });
}
