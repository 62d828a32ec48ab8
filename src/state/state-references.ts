import type { StateTables } from '../store/store.js';

/** The tables whose `tenantId` the store holds to a tenant of the state (a foreign key). */
const OF_A_TENANT = [
  'users',
  'options',
  'featureToggles',
  'trustedCertificates',
  'crlEntries',
  'devices',
  'enrollmentRequests',
  'issuedCertificates',
  'managedObjects',
  'externalIds',
] as const satisfies readonly (keyof StateTables)[];

/** The fields that name a managed object of the state (foreign keys too). */
const TO_A_MANAGED_OBJECT = [
  ['childReferences', 'parentId'],
  ['childReferences', 'childId'],
  ['externalIds', 'managedObjectId'],
  ['measurements', 'sourceId'],
  ['events', 'sourceId'],
  ['alarms', 'sourceId'],
  ['operations', 'deviceId'],
] as const satisfies readonly [keyof StateTables, string][];

/**
 * Why a state's records do not fit together (a record of a tenant that is not in it, two tenants
 * with one domain), as `tables.<table>[i].<field>: …`, or undefined. Checked before anything is
 * written, so the refusal names the record instead of quoting SQLite's constraint.
 */
export function referenceProblem(tables: StateTables): string | undefined {
  const ids = new Map<string, number>();
  const domains = new Map<string, number>();
  for (const [i, tenant] of tables.tenants.entries()) {
    const sameId = ids.get(tenant.id);
    if (sameId !== undefined)
      return `tables.tenants[${i}].id: ${tenant.id} is tables.tenants[${sameId}]'s too`;
    const sameDomain = domains.get(tenant.domain);
    if (sameDomain !== undefined) {
      return `tables.tenants[${i}].domain: ${tenant.domain} is the domain of tables.tenants[${sameDomain}] too`;
    }
    ids.set(tenant.id, i);
    domains.set(tenant.domain, i);
  }
  for (const table of OF_A_TENANT) {
    for (const [i, row] of (tables[table] as { tenantId: string }[]).entries()) {
      if (!ids.has(row.tenantId)) {
        return `tables.${table}[${i}].tenantId: no tenant ${row.tenantId} in tables.tenants`;
      }
    }
  }
  const objects = new Set(tables.managedObjects.map((o) => o.id));
  for (const [table, field] of TO_A_MANAGED_OBJECT) {
    for (const [i, row] of (tables[table] as unknown as Record<string, number>[]).entries()) {
      if (!objects.has(row[field]!)) {
        return `tables.${table}[${i}].${field}: no managed object ${row[field]} in tables.managedObjects`;
      }
    }
  }
  return undefined;
}
