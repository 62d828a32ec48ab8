import { Forbidden } from '../errors.js';
import type { TenantRecord, Tenants } from '../tenants/tenants.js';
import type { Viewer } from './sessions.js';

/** The tenants a viewer may see: all for the mock administrator, their own for a tenant administrator. */
export function visibleTenants(tenants: Tenants, viewer: Viewer): TenantRecord[] {
  const all = tenants.list();
  return viewer.kind === 'admin' ? all : all.filter((tenant) => tenant.id === viewer.tenantId);
}

export function canSee(viewer: Viewer, tenantId: string | undefined): boolean {
  return viewer.kind === 'admin' || (tenantId !== undefined && tenantId === viewer.tenantId);
}

/** A tenant administrator acts on their own tenant only: anything else is 403. */
export function assertCanAct(viewer: Viewer, tenantId: string): void {
  if (!canSee(viewer, tenantId)) {
    throw new Forbidden('Access is denied.', {
      reason: `dashboard user ${describeViewer(viewer)} acted on tenant ${tenantId}`,
    });
  }
}

export function assertAdmin(viewer: Viewer, action: string): void {
  if (viewer.kind !== 'admin') {
    throw new Forbidden(`Access is denied: only the mock administrator can ${action}.`, {
      reason: `dashboard user ${describeViewer(viewer)} tried to ${action}`,
    });
  }
}

export function describeViewer(viewer: Viewer): string {
  return viewer.kind === 'admin' ? 'mock administrator' : `${viewer.tenantId}/${viewer.userName}`;
}
