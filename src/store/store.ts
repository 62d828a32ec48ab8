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

export type Registration = 'auto' | 'seed' | 'bulk';

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

/** The whole state, table by table: what GET /_mock/state exports and PUT imports. */
export interface StateTables extends DeviceDataTables {
  tenants: TenantRecord[];
  users: UserRecord[];
  options: OptionRecord[];
  trustedCertificates: TrustedCertificateRecord[];
  crlEntries: CrlEntryRecord[];
  devices: DeviceRecord[];
  tokens: TokenRecord[];
  revocations: RevocationRecord[];
  signingKeys: SigningKeyRecord[];
  crlSigningKeys: CrlSigningKeyRecord[];
}

export interface Store {
  /** Runs `fn` atomically: all of its writes land, or none. */
  transaction<T>(fn: () => T): T;
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

  /** Inventory, identity, measurements, events, alarms and operations: same database, same transactions. */
  readonly deviceData: DeviceDataStore;

  exportTables(): StateTables;
  /** Replaces everything with `tables`, in one transaction. */
  importTables(tables: StateTables): void;
  /** Deletes every row (the schema stays). */
  clear(): void;
  close(): void;
}
