import type { Seed } from '../../src/seed/seed.js';

export const ADMIN_PASSWORD = 'admin-password';

/** `Authorization: Basic` for `<tenantId>/<user>` or `<user>` (tenant by host). */
export const basic = (login: string, password = ADMIN_PASSWORD): string =>
  `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

export interface TenantSpec {
  id: string;
  domain?: string;
  trusted?: { name?: string; pem: string; status?: 'ENABLED' | 'DISABLED'; auto?: boolean }[];
  devices?: string[];
  options?: { category: string; key: string; value: string }[];
}

/** Tenants with one administrator each, `admin` / ADMIN_PASSWORD. */
export function adminSeed(tenants: TenantSpec[]): Seed {
  return {
    tenants: tenants.map((tenant) => ({
      id: tenant.id,
      domain: tenant.domain ?? `${tenant.id}.example.test`,
      users: [{ userName: 'admin', password: ADMIN_PASSWORD }],
      options: tenant.options ?? [],
      trustedCertificates: (tenant.trusted ?? []).map((c) => ({
        name: c.name ?? `${tenant.id} CA`,
        certInPemFormat: c.pem,
        status: c.status ?? 'ENABLED',
        autoRegistrationEnabled: c.auto ?? true,
      })),
      devices: (tenant.devices ?? []).map((externalId) => ({ externalId })),
    })),
  };
}

/** Shorthand: tenants that each trust one CA, optionally with a token lifespan option. */
export function seedWith(
  tenants: {
    id: string;
    domain: string;
    pem: string;
    auto?: boolean;
    status?: 'ENABLED' | 'DISABLED';
    devices?: string[];
    lifespan?: string;
  }[],
): Seed {
  return adminSeed(
    tenants.map((t) => ({
      id: t.id,
      domain: t.domain,
      trusted: [
        {
          pem: t.pem,
          ...(t.status ? { status: t.status } : {}),
          ...(t.auto === undefined ? {} : { auto: t.auto }),
        },
      ],
      devices: t.devices ?? [],
      options: t.lifespan
        ? [{ category: 'oauth.internal', key: 'device-token.lifespan.seconds', value: t.lifespan }]
        : [],
    })),
  );
}
