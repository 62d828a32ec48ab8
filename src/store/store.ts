import type { DeviceDataStore, DeviceDataTables } from './device-data-store.js';

/**
 * The persistence interface. The domain code talks only to this; the embedded
 * SQLite implementation keeps it on disk (or in memory with --ephemeral).
 * Every method is synchronous and a write is durable when it returns.
 * Times are milliseconds since the epoch unless a name says seconds.
 */
export interface TenantRecord {
  id: string;
  domain: string;
  createdAt: number;
}

export interface UserRecord {
  tenantId: string;
  userName: string;
  /** `scrypt$<N>$<r>$<p>$<salt>$<hash>`, base64 parts. */
  passwordHash: string;
}

export interface OptionRecord {
  tenantId: string;
  category: string;
  key: string;
  value: string;
}

export type CertificateStatus = 'ENABLED' | 'DISABLED';

export interface TrustedCertificateRecord {
  fingerprint: string;
  tenantId: string;
  name: string;
  status: CertificateStatus;
  autoRegistrationEnabled: boolean;
  certDer: Buffer;
  proofOfPossessionValid: boolean;
  proofOfPossessionCode: string | null;
  proofOfPossessionCodeUsableUntil: number | null;
  createdAt: number;
}

export interface CrlEntryRecord {
  tenantId: string;
  /** Lowercase hex without leading zeros. */
  serialHex: string;
  revocationDate: number;
}

/** How a device came to be known: its first token, a seed, a bulk file, a newDeviceRequest. */
export type Registration = 'auto' | 'seed' | 'bulk' | 'request';

export interface DeviceRecord {
  tenantId: string;
  externalId: string;
  userName: string;
  registration: Registration;
  registeredAt: number;
  /** The trusted certificate its last token was issued under. */
  anchorFingerprint: string | null;
  /** The leaf certificate it last authenticated with. */
  certificateFingerprint: string | null;
  certificateSubject: string | null;
  /** The device user's `enabled` flag (the platform's user API); absent means enabled. */
  enabled?: boolean | undefined;
}

/** A feature switched for one tenant (the platform's /features API); absent: the feature's default. */
export interface FeatureToggleRecord {
  tenantId: string;
  key: string;
  active: boolean;
}

export interface TokenRecord {
  /** base64url SHA-256 of the compact JWT: real device tokens carry no jti. */
  hash: string;
  tenantId: string;
  userName: string;
  jwt: string;
  issuedAtSeconds: number;
  expiresAtSeconds: number;
}

export interface RevocationRecord {
  hash: string;
  tenantId: string;
  userName: string;
  revokedAt: number;
  expiresAtSeconds: number;
}

export interface SigningKeyRecord {
  kid: string;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  createdAt: number;
}

/** The key that signs the offline CRLs of every tenant (ECDSA P-256). */
export interface CrlSigningKeyRecord {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  createdAt: number;
}

/**
 * The private key of a tenant's certificate authority, beside its trusted
 * certificate (deleting the certificate deletes it). Never part of an export.
 */
export interface CertificateAuthorityKeyRecord {
  fingerprint: string;
  tenantId: string;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  createdAt: number;
}

/** A device registered for enrollment: its one-time password, until it enrolls or the password expires. */
export interface EnrollmentRequestRecord {
  tenantId: string;
  externalId: string;
  /** `sha256$<salt>$<hash>`, base64 parts: the store never holds the password. */
  otpHash: string;
  type: string | null;
  groupId: string | null;
  /** The administrator who registered it. */
  owner: string;
  source: 'bulk' | 'request';
  createdAt: number;
  expiresAt: number;
}

/** A certificate the tenant's CA signed at an EST request. */
export interface IssuedCertificateRecord {
  tenantId: string;
  /** The serial number: the issuance time in epoch milliseconds, unique in the tenant. */
  serial: number;
  externalId: string;
  kind: 'enroll' | 'reenroll';
  /** The CA's trusted certificate at the time. */
  authorityFingerprint: string;
  fingerprint: string;
  notBefore: number;
  notAfter: number;
  certDer: Buffer;
}

/** The whole state, table by table: what GET /_mock/state exports and PUT imports. */
export interface StateTables extends DeviceDataTables {
  tenants: TenantRecord[];
  users: UserRecord[];
  options: OptionRecord[];
  featureToggles: FeatureToggleRecord[];
  trustedCertificates: TrustedCertificateRecord[];
  crlEntries: CrlEntryRecord[];
  devices: DeviceRecord[];
  tokens: TokenRecord[];
  revocations: RevocationRecord[];
  signingKeys: SigningKeyRecord[];
  crlSigningKeys: CrlSigningKeyRecord[];
  enrollmentRequests: EnrollmentRequestRecord[];
  issuedCertificates: IssuedCertificateRecord[];
}

/** What an import keeps from the store it replaces: never exported, so never in `StateTables`. */
export interface RetainedRows {
  /** Keys of certificate authorities whose certificates the import holds too. */
  certificateAuthorityKeys: CertificateAuthorityKeyRecord[];
}

/** A row of an import the database refused (a constraint): its table, position and SQLite's reason. */
export class ImportRowError extends Error {
  override name = 'ImportRowError';
  readonly table: string;
  readonly index: number;

  constructor(table: string, index: number, reason: string) {
    super(reason);
    this.table = table;
    this.index = index;
  }

  /** The fields a UNIQUE constraint names (`UNIQUE constraint failed: tenants.domain`), as the export spells them. */
  get fields(): string[] {
    const columns = /^UNIQUE constraint failed: (.+)$/.exec(this.message)?.[1];
    if (!columns) return [];
    return columns
      .split(', ')
      .map((c) =>
        c.slice(c.indexOf('.') + 1).replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()),
      );
  }
}

export interface Store {
  /** Runs `fn` atomically: all of its writes land, or none. */
  transaction<T>(fn: () => T): T;
  /**
   * How many writes this store has begun: each statement that may change a row outside
   * `deviceData`, and each `clear`, counted before it runs, rolled back or not. Whatever was read
   * from those tables still holds while the count is unchanged.
   */
  readonly writes: number;
  readonly schemaVersion: number;

  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;

  listTenants(): TenantRecord[];
  getTenant(id: string): TenantRecord | undefined;
  getTenantByDomain(domain: string): TenantRecord | undefined;
  insertTenant(tenant: TenantRecord): void;

  getUser(tenantId: string, userName: string): UserRecord | undefined;
  listUsers(tenantId: string): UserRecord[];
  putUser(user: UserRecord): void;

  listOptions(tenantId: string): OptionRecord[];
  getOption(tenantId: string, category: string, key: string): OptionRecord | undefined;
  putOption(option: OptionRecord): void;
  deleteOption(tenantId: string, category: string, key: string): boolean;

  listFeatureToggles(tenantId: string): FeatureToggleRecord[];
  putFeatureToggle(toggle: FeatureToggleRecord): void;

  listTrustedCertificates(tenantId?: string): TrustedCertificateRecord[];
  getTrustedCertificate(fingerprint: string): TrustedCertificateRecord | undefined;
  insertTrustedCertificate(record: TrustedCertificateRecord): void;
  updateTrustedCertificate(record: TrustedCertificateRecord): void;
  deleteTrustedCertificate(fingerprint: string): boolean;

  listCrlEntries(tenantId: string): CrlEntryRecord[];
  getCrlEntry(tenantId: string, serialHex: string): CrlEntryRecord | undefined;
  putCrlEntry(entry: CrlEntryRecord): void;

  getDevice(tenantId: string, externalId: string): DeviceRecord | undefined;
  listDevices(tenantId: string): DeviceRecord[];
  putDevice(device: DeviceRecord): void;

  insertToken(token: TokenRecord): void;
  getToken(hash: string): TokenRecord | undefined;
  /** The newest token of a device user. */
  latestToken(tenantId: string, userName: string): TokenRecord | undefined;
  listTokens(tenantId: string, limit: number): TokenRecord[];
  insertRevocation(revocation: RevocationRecord): void;
  getRevocation(hash: string): RevocationRecord | undefined;
  listRevocations(tenantId: string, limit: number): RevocationRecord[];
  /** Deletes tokens and revocations that expired before `nowSeconds`; returns how many rows went. */
  pruneExpired(nowSeconds: number): number;

  getSigningKey(): SigningKeyRecord | undefined;
  putSigningKey(key: SigningKeyRecord): void;

  getCrlSigningKey(): CrlSigningKeyRecord | undefined;
  putCrlSigningKey(key: CrlSigningKeyRecord): void;

  listCertificateAuthorityKeys(tenantId?: string): CertificateAuthorityKeyRecord[];
  getCertificateAuthorityKey(fingerprint: string): CertificateAuthorityKeyRecord | undefined;
  /** Inserts a key for a trusted certificate; a tenant has at most one. */
  insertCertificateAuthorityKey(key: CertificateAuthorityKeyRecord): void;
  /** Points the devices last authenticated under one trusted certificate at another (a renewed CA). */
  repointDeviceAnchors(tenantId: string, from: string, to: string): number;

  getEnrollmentRequest(tenantId: string, externalId: string): EnrollmentRequestRecord | undefined;
  listEnrollmentRequests(tenantId: string): EnrollmentRequestRecord[];
  /** Inserts or replaces the request of a device. */
  putEnrollmentRequest(request: EnrollmentRequestRecord): void;
  deleteEnrollmentRequest(tenantId: string, externalId: string): boolean;

  insertIssuedCertificate(record: IssuedCertificateRecord): void;
  /** Newest first. */
  listIssuedCertificates(tenantId: string, limit: number): IssuedCertificateRecord[];
  /** The highest serial issued in the tenant, if any. */
  lastIssuedSerial(tenantId: string): number | undefined;

  /** Inventory, identity, measurements, events, alarms and operations: same database, same transactions. */
  readonly deviceData: DeviceDataStore;

  exportTables(): StateTables;
  /** Replaces everything with `tables` and the `retained` rows, in one transaction. */
  importTables(tables: StateTables, retained?: RetainedRows): void;
  /** Deletes every row (the schema stays). */
  clear(): void;
  close(): void;
}
