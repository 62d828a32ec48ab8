import { UnprocessableEntity } from '../errors.js';
import { lazyValidator } from '../lazy-validator.js';
import type { StateTables } from '../store/store.js';
import { type Static, type TObject, Type } from '../typebox.js';
import { DeviceDataSnapshot, deviceDataTables } from './device-data-snapshot.js';

export const SNAPSHOT_FORMAT = 'c8y-mtls-mock-state';

const text = Type.String();
const ms = Type.Integer({ minimum: 0 });
const row = <T extends TObject>(schema: T) => Type.Array(schema);

/** The JSON form of the whole state: the store's tables, binary fields in base64. */
const Tables = Type.Object(
  {
    tenants: row(Type.Object({ id: text, domain: text, createdAt: ms }, { additionalProperties: false })),
    users: row(
      Type.Object({ tenantId: text, userName: text, passwordHash: text }, { additionalProperties: false }),
    ),
    options: row(
      Type.Object(
        { tenantId: text, category: text, key: text, value: text },
        { additionalProperties: false },
      ),
    ),
    // Added in schema 6; absent in older exports.
    featureToggles: Type.Optional(
      row(
        Type.Object({ tenantId: text, key: text, active: Type.Boolean() }, { additionalProperties: false }),
      ),
    ),
    trustedCertificates: row(
      Type.Object(
        {
          fingerprint: Type.String({ pattern: '^[0-9a-f]{40}$' }),
          tenantId: text,
          name: text,
          status: Type.Unsafe<'ENABLED' | 'DISABLED'>({ type: 'string', enum: ['ENABLED', 'DISABLED'] }),
          autoRegistrationEnabled: Type.Boolean(),
          certDer: Type.String({ contentEncoding: 'base64' }),
          proofOfPossessionValid: Type.Boolean(),
          proofOfPossessionCode: Type.Union([text, Type.Null()]),
          proofOfPossessionCodeUsableUntil: Type.Union([ms, Type.Null()]),
          createdAt: ms,
        },
        { additionalProperties: false },
      ),
    ),
    crlEntries: row(
      Type.Object({ tenantId: text, serialHex: text, revocationDate: ms }, { additionalProperties: false }),
    ),
    devices: row(
      Type.Object(
        {
          tenantId: text,
          externalId: text,
          userName: text,
          registration: Type.Unsafe<'auto' | 'seed' | 'bulk' | 'request'>({
            type: 'string',
            enum: ['auto', 'seed', 'bulk', 'request'],
          }),
          registeredAt: ms,
          anchorFingerprint: Type.Union([text, Type.Null()]),
          // Added in schema 2; absent in older exports.
          certificateFingerprint: Type.Optional(Type.Union([text, Type.Null()])),
          certificateSubject: Type.Optional(Type.Union([text, Type.Null()])),
          // Added in schema 6; only a disabled device user has it.
          enabled: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    tokens: row(
      Type.Object(
        { hash: text, tenantId: text, userName: text, jwt: text, issuedAtSeconds: ms, expiresAtSeconds: ms },
        { additionalProperties: false },
      ),
    ),
    revocations: row(
      Type.Object(
        { hash: text, tenantId: text, userName: text, revokedAt: ms, expiresAtSeconds: ms },
        { additionalProperties: false },
      ),
    ),
    signingKeys: row(
      Type.Object({ kid: text, privateKeyPem: text, createdAt: ms }, { additionalProperties: false }),
    ),
    // Added in schema 3; absent in older exports.
    crlSigningKeys: Type.Optional(
      row(Type.Object({ privateKeyPem: text, createdAt: ms }, { additionalProperties: false })),
    ),
    // Added in schema 4; absent in older exports.
    ...DeviceDataSnapshot,
    // Added in schema 5; absent in older exports. The CAs' keys are never exported.
    enrollmentRequests: Type.Optional(
      row(
        Type.Object(
          {
            tenantId: text,
            externalId: text,
            otpHash: text,
            type: Type.Union([text, Type.Null()]),
            groupId: Type.Union([text, Type.Null()]),
            owner: text,
            source: Type.Unsafe<'bulk' | 'request'>({ type: 'string', enum: ['bulk', 'request'] }),
            createdAt: ms,
            expiresAt: ms,
          },
          { additionalProperties: false },
        ),
      ),
    ),
    issuedCertificates: Type.Optional(
      row(
        Type.Object(
          {
            tenantId: text,
            serial: ms,
            externalId: text,
            kind: Type.Unsafe<'enroll' | 'reenroll'>({ type: 'string', enum: ['enroll', 'reenroll'] }),
            authorityFingerprint: text,
            fingerprint: text,
            notBefore: ms,
            notAfter: ms,
            certDer: Type.String({ contentEncoding: 'base64' }),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

export const Snapshot = Type.Object(
  {
    format: Type.Literal(SNAPSHOT_FORMAT),
    schemaVersion: Type.Integer(),
    exportedAt: Type.String(),
    tables: Tables,
  },
  { additionalProperties: false },
);
export type Snapshot = Static<typeof Snapshot>;

const snapshotValidator = lazyValidator(Snapshot, { allErrors: false, strict: false });

export function toSnapshot(tables: StateTables, schemaVersion: number, exportedAt: string): Snapshot {
  return {
    format: SNAPSHOT_FORMAT,
    schemaVersion,
    exportedAt,
    tables: {
      ...tables,
      trustedCertificates: tables.trustedCertificates.map((c) => ({
        ...c,
        certDer: c.certDer.toString('base64'),
      })),
      issuedCertificates: tables.issuedCertificates.map((c) => ({
        ...c,
        certDer: c.certDer.toString('base64'),
      })),
    },
  };
}

/** Checks an uploaded snapshot; a bad one is a 422 that names the field. */
export function fromSnapshot(data: unknown, schemaVersion: number): StateTables {
  const validate = snapshotValidator();
  if (!validate(data)) {
    const error = validate.errors?.[0];
    throw new UnprocessableEntity(
      'state/Unprocessable Entity',
      `Invalid state: ${error?.instancePath || '(top level)'} ${error?.message ?? 'is invalid'}`,
    );
  }
  const snapshot = data as Snapshot;
  if (snapshot.schemaVersion > schemaVersion) {
    throw new UnprocessableEntity(
      'state/Unprocessable Entity',
      `Invalid state: schema version ${snapshot.schemaVersion} is newer than this mock's ${schemaVersion}`,
    );
  }
  return {
    ...snapshot.tables,
    crlSigningKeys: snapshot.tables.crlSigningKeys ?? [],
    featureToggles: snapshot.tables.featureToggles ?? [],
    enrollmentRequests: snapshot.tables.enrollmentRequests ?? [],
    issuedCertificates: (snapshot.tables.issuedCertificates ?? []).map((c) => ({
      ...c,
      certDer: Buffer.from(c.certDer, 'base64'),
    })),
    trustedCertificates: snapshot.tables.trustedCertificates.map((c) => ({
      ...c,
      certDer: Buffer.from(c.certDer, 'base64'),
    })),
    devices: snapshot.tables.devices.map((d) => ({
      ...d,
      certificateFingerprint: d.certificateFingerprint ?? null,
      certificateSubject: d.certificateSubject ?? null,
    })),
    ...deviceDataTables(snapshot.tables),
  };
}
