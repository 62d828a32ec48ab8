import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import type { Clock } from '../clock.js';
import { C8yError } from '../errors.js';
import { lazyValidator } from '../lazy-validator.js';
import type { Store } from '../store/store.js';
import { type Devices, externalIdProblem } from '../tenants/devices.js';
import { hashPassword, type ScryptCost } from '../tenants/passwords.js';
import type { TenantOptions } from '../tenants/tenant-options.js';
import type { TrustedCertificates } from '../tenants/trusted-certificates.js';
import { type Static, Type } from '../typebox.js';

const TrustedCertificateSeed = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    certInPemFormat: Type.Optional(Type.String({ minLength: 1 })),
    certFile: Type.Optional(Type.String({ minLength: 1 })),
    status: Type.Optional(
      Type.Unsafe<'ENABLED' | 'DISABLED'>({ type: 'string', enum: ['ENABLED', 'DISABLED'] }),
    ),
    autoRegistrationEnabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const TenantSeed = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' }),
    domain: Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$' }),
    users: Type.Optional(
      Type.Array(
        Type.Object(
          {
            userName: Type.String({ minLength: 1, maxLength: 128 }),
            password: Type.String({ minLength: 1 }),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    options: Type.Optional(
      Type.Array(
        Type.Object(
          {
            category: Type.String({ minLength: 1 }),
            key: Type.String({ minLength: 1 }),
            value: Type.String(),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    trustedCertificates: Type.Optional(Type.Array(TrustedCertificateSeed)),
    devices: Type.Optional(
      Type.Array(Type.Object({ externalId: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
    ),
  },
  { additionalProperties: false },
);

export const SeedSchema = Type.Object({ tenants: Type.Array(TenantSeed) }, { additionalProperties: false });
export type Seed = Static<typeof SeedSchema>;

/** A seed file that cannot be used; the message names the file and the field. */
export class SeedError extends Error {
  override name = 'SeedError';
}

const seedValidator = lazyValidator(SeedSchema, { allErrors: true, strict: true });

/** Reads and validates a seed file; certificate files are read relative to it and inlined. */
export function loadSeedFile(path: string): Seed {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SeedError(
      `cannot read seed file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SeedError(`seed file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const seed = parseSeed(data, path);
  const base = dirname(resolve(path));
  seed.tenants.forEach((tenant, t) => {
    tenant.trustedCertificates?.forEach((certificate, c) => {
      if (certificate.certFile === undefined) return;
      const file = resolve(base, certificate.certFile);
      try {
        certificate.certInPemFormat = readFileSync(file, 'utf8');
      } catch (error) {
        throw new SeedError(
          `${path}: tenants[${t}].trustedCertificates[${c}].certFile: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        );
      }
      delete certificate.certFile;
    });
  });
  return seed;
}

/** Validates seed data (from a file or PUT /_mock/state); `source` prefixes every message. */
export function parseSeed(data: unknown, source: string): Seed {
  const validate = seedValidator();
  if (!validate(data)) throw new SeedError(`${source}: ${formatErrors(validate.errors ?? [])}`);
  const seed = structuredClone(data) as Seed;
  const ids = new Set<string>();
  const domains = new Set<string>();
  seed.tenants.forEach((tenant, t) => {
    const at = `${source}: tenants[${t}]`;
    if (ids.has(tenant.id)) throw new SeedError(`${at}.id: tenant ${tenant.id} appears twice`);
    if (domains.has(tenant.domain.toLowerCase()))
      throw new SeedError(`${at}.domain: domain ${tenant.domain} appears twice`);
    ids.add(tenant.id);
    domains.add(tenant.domain.toLowerCase());
    tenant.trustedCertificates?.forEach((certificate, c) => {
      const has = [certificate.certInPemFormat, certificate.certFile].filter((v) => v !== undefined).length;
      if (has !== 1) {
        throw new SeedError(
          `${at}.trustedCertificates[${c}]: give exactly one of certInPemFormat and certFile`,
        );
      }
    });
    tenant.devices?.forEach((device, d) => {
      const problem = externalIdProblem([device.externalId]);
      if (problem)
        throw new SeedError(
          `${at}.devices[${d}].externalId: ${problem.replace('the leaf certificate CN', 'the external ID')}`,
        );
    });
  });
  return seed;
}

function formatErrors(errors: ErrorObject[]): string {
  const first = errors[0];
  if (!first) return 'invalid';
  const field =
    first.instancePath
      .split('/')
      .slice(1)
      .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
      .join('')
      .replace(/^\./, '') || '(top level)';
  const detail =
    first.keyword === 'additionalProperties'
      ? `unknown field "${(first.params as { additionalProperty: string }).additionalProperty}"`
      : first.keyword === 'required'
        ? `missing field "${(first.params as { missingProperty: string }).missingProperty}"`
        : first.keyword === 'enum'
          ? `must be ${(first.params as { allowedValues: string[] }).allowedValues.map((v) => JSON.stringify(v)).join(' or ')}`
          : (first.message ?? 'invalid');
  return `${field}: ${detail}`;
}

export const SEEDED_META_KEY = 'seeded-from';

/** What a seed is written through: the store, and the services whose rules it passes. */
export interface SeederDeps {
  store: Store;
  clock: Clock;
  options: TenantOptions;
  trust: TrustedCertificates;
  devices: Devices;
  /** How the seed's passwords are hashed (default SCRYPT_COST). */
  passwordCost?: ScryptCost | undefined;
}

/** Writes seeds into the store. */
export class Seeder {
  readonly #deps: SeederDeps;

  constructor(deps: SeederDeps) {
    this.#deps = deps;
  }

  /** Whether the store already holds state (a restart keeps what the APIs changed). */
  isSeeded(): boolean {
    return this.#deps.store.getMeta(SEEDED_META_KEY) !== undefined;
  }

  /** The seed a store was last seeded from, as it was named then. */
  seededFrom(): string | undefined {
    return this.#deps.store.getMeta(SEEDED_META_KEY);
  }

  /**
   * Writes a seed through the same rules as the APIs, so a bad certificate or
   * option in a seed is refused as it would be over HTTP. With `replace`, the
   * current state goes first, but the keys stay (the token key, so issued
   * tokens still verify offline; the CRL key, so downloaded CRLs still
   * verify). All in one transaction: a crash leaves the old state or the new
   * one, never a mix.
   */
  async apply(seed: Seed, source: string, options: { replace?: boolean } = {}): Promise<void> {
    const hashes = new Map<string, string>();
    for (const tenant of seed.tenants) {
      for (const user of tenant.users ?? [])
        hashes.set(
          `${tenant.id}/${user.userName}`,
          await hashPassword(user.password, this.#deps.passwordCost),
        );
    }
    const { store, trust, devices } = this.#deps;
    const putBack = options.replace ? devices.setAsideUnwritten() : undefined;
    try {
      store.transaction(() => {
        if (options.replace) {
          const signingKey = store.getSigningKey();
          const crlSigningKey = store.getCrlSigningKey();
          store.clear();
          if (signingKey) store.putSigningKey(signingKey);
          if (crlSigningKey) store.putCrlSigningKey(crlSigningKey);
        }
        seed.tenants.forEach((tenant, t) => {
          this.#writeTenant(tenant, `${source}: tenants[${t}]`, hashes);
        });
        store.setMeta(SEEDED_META_KEY, source);
      });
    } catch (error) {
      putBack?.();
      throw error;
    } finally {
      // The trusted certificates' index saw writes that may have been rolled back.
      trust.reload();
    }
  }

  #writeTenant(tenant: Seed['tenants'][number], at: string, hashes: Map<string, string>): void {
    const { store, clock, options, trust, devices } = this.#deps;
    store.insertTenant({ id: tenant.id, domain: tenant.domain, createdAt: clock.now() });
    for (const user of tenant.users ?? []) {
      store.putUser({
        tenantId: tenant.id,
        userName: user.userName,
        passwordHash: hashes.get(`${tenant.id}/${user.userName}`)!,
      });
    }
    for (const [o, option] of (tenant.options ?? []).entries()) {
      fieldContext(`${at}.options[${o}].value`, () => options.set({ tenantId: tenant.id, ...option }));
    }
    for (const [c, certificate] of (tenant.trustedCertificates ?? []).entries()) {
      fieldContext(`${at}.trustedCertificates[${c}]`, () =>
        trust.add(tenant.id, {
          name: certificate.name,
          certInPemFormat: certificate.certInPemFormat!,
          status: certificate.status,
          autoRegistrationEnabled: certificate.autoRegistrationEnabled,
        }),
      );
    }
    for (const device of tenant.devices ?? []) devices.register(tenant.id, device.externalId, 'seed');
  }
}

function fieldContext<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof C8yError) throw new SeedError(`${field}: ${error.message}`);
    throw error;
  }
}
