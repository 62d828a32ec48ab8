import type { Seed } from '../../src/seed/seed.js';

export interface TenantSpec {
  id: string;
  domain: string;
  /** PEM of the trusted CA. */
  pem: string;
  auto?: boolean;
  status?: 'ENABLED' | 'DISABLED';
  devices?: string[];
  lifespan?: string;
  password?: string;
}

/** A seed of tenants that each trust one CA and have an administrator `admin`. */
export function seedWith(tenants: TenantSpec[]): Seed {
  return {
    tenants: tenants.map((tenant) => ({
      id: tenant.id,
      domain: tenant.domain,
      users: [{ userName: 'admin', password: tenant.password ?? 'admin-password' }],
      options: tenant.lifespan
        ? [{ category: 'oauth.internal', key: 'device-token.lifespan.seconds', value: tenant.lifespan }]
        : [],
      trustedCertificates: [
        {
          name: `${tenant.id} CA`,
          certInPemFormat: tenant.pem,
          status: tenant.status ?? 'ENABLED',
          autoRegistrationEnabled: tenant.auto ?? true,
        },
      ],
      devices: (tenant.devices ?? []).map((externalId) => ({ externalId })),
    })),
  };
}

export const basic = (tenantId: string, user = 'admin', password = 'admin-password') =>
  `Basic ${Buffer.from(`${tenantId}/${user}:${password}`).toString('base64')}`;
