import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { importRows } from './import-rows.js';
import { MIGRATIONS } from './migrations.js';
import { CacheWrites, RowCache } from './row-cache.js';
import { DEVICE_DATA_TABLES, SqliteDeviceData } from './sqlite-device-data.js';
import type {
  CertificateAuthorityKeyRecord,
  CrlEntryRecord,
  CrlSigningKeyRecord,
  DeviceRecord,
  EnrollmentRequestRecord,
  FeatureToggleRecord,
  IssuedCertificateRecord,
  OptionRecord,
  RetainedRows,
  RevocationRecord,
  SigningKeyRecord,
  StateTables,
  Store,
  TenantRecord,
  TokenRecord,
  TrustedCertificateRecord,
  UserRecord,
} from './store.js';

export const DATABASE_FILE = 'c8y-mtls-mock.sqlite';

export interface SqliteStoreOptions {
  /** Directory of the database file; undefined keeps everything in memory. */
  dataDir?: string;
  /**
   * `normal` (default): a change is in the write-ahead log before its response, so it
   * survives the process being killed; `full` also fsyncs, surviving power loss.
   */
  sync?: 'normal' | 'full';
}

type Row = Record<string, unknown>;

const tenant = (r: Row): TenantRecord => ({
  id: r.id as string,
  domain: r.domain as string,
  createdAt: r.created_at as number,
});
const user = (r: Row): UserRecord => ({
  tenantId: r.tenant_id as string,
  userName: r.user_name as string,
  passwordHash: r.password_hash as string,
});
const option = (r: Row): OptionRecord => ({
  tenantId: r.tenant_id as string,
  category: r.category as string,
  key: r.key as string,
  value: r.value as string,
});
const featureToggle = (r: Row): FeatureToggleRecord => ({
  tenantId: r.tenant_id as string,
  key: r.key as string,
  active: r.active !== 0,
});
const trusted = (r: Row): TrustedCertificateRecord => ({
  fingerprint: r.fingerprint as string,
  tenantId: r.tenant_id as string,
  name: r.name as string,
  status: r.status as TrustedCertificateRecord['status'],
  autoRegistrationEnabled: r.auto_registration === 1,
  certDer: r.cert_der as Buffer,
  proofOfPossessionValid: r.pop_valid === 1,
  proofOfPossessionCode: (r.pop_code as string | null) ?? null,
  proofOfPossessionCodeUsableUntil: (r.pop_code_usable_until as number | null) ?? null,
  createdAt: r.created_at as number,
});
const crlEntry = (r: Row): CrlEntryRecord => ({
  tenantId: r.tenant_id as string,
  serialHex: r.serial_hex as string,
  revocationDate: r.revocation_date as number,
});
const device = (r: Row): DeviceRecord => ({
  tenantId: r.tenant_id as string,
  externalId: r.external_id as string,
  userName: r.user_name as string,
  registration: r.registration as DeviceRecord['registration'],
  registeredAt: r.registered_at as number,
  anchorFingerprint: (r.anchor_fingerprint as string | null) ?? null,
  certificateFingerprint: (r.certificate_fingerprint as string | null) ?? null,
  certificateSubject: (r.certificate_subject as string | null) ?? null,
  // Only a disabled device says so: records (and exports) of enabled ones stay as they were.
  ...(r.enabled === 0 ? { enabled: false } : {}),
});
const token = (r: Row): TokenRecord => ({
  hash: r.hash as string,
  tenantId: r.tenant_id as string,
  userName: r.user_name as string,
  jwt: r.jwt as string,
  issuedAtSeconds: r.issued_at as number,
  expiresAtSeconds: r.expires_at as number,
});
const revocation = (r: Row): RevocationRecord => ({
  hash: r.hash as string,
  tenantId: r.tenant_id as string,
  userName: r.user_name as string,
  revokedAt: r.revoked_at as number,
  expiresAtSeconds: r.expires_at as number,
});
const signingKey = (r: Row): SigningKeyRecord => ({
  kid: r.kid as string,
  privateKeyPem: r.private_key_pem as string,
  createdAt: r.created_at as number,
});

const crlSigningKey = (r: Row): CrlSigningKeyRecord => ({
  privateKeyPem: r.private_key_pem as string,
  createdAt: r.created_at as number,
});

const authorityKey = (r: Row): CertificateAuthorityKeyRecord => ({
  fingerprint: r.fingerprint as string,
  tenantId: r.tenant_id as string,
  privateKeyPem: r.private_key_pem as string,
  createdAt: r.created_at as number,
});

const enrollmentRequest = (r: Row): EnrollmentRequestRecord => ({
  tenantId: r.tenant_id as string,
  externalId: r.external_id as string,
  otpHash: r.otp_hash as string,
  type: (r.type as string | null) ?? null,
  groupId: (r.group_id as string | null) ?? null,
  owner: r.owner as string,
  source: r.source as EnrollmentRequestRecord['source'],
  createdAt: r.created_at as number,
  expiresAt: r.expires_at as number,
});

const issuedCertificate = (r: Row): IssuedCertificateRecord => ({
  tenantId: r.tenant_id as string,
  serial: r.serial as number,
  externalId: r.external_id as string,
  kind: r.kind as IssuedCertificateRecord['kind'],
  authorityFingerprint: r.authority_fingerprint as string,
  fingerprint: r.fingerprint as string,
  notBefore: r.not_before as number,
  notAfter: r.not_after as number,
  certDer: r.cert_der as Buffer,
});

/** Tables in the order their rows can be inserted (parents first). */
const TABLES = [
  'tenants',
  'users',
  'options',
  'feature_toggles',
  'trusted_certificates',
  'certificate_authority_keys',
  'crl_entries',
  'devices',
  ...DEVICE_DATA_TABLES,
  'tokens',
  'revocations',
  'signing_keys',
  'crl_signing_keys',
  'enrollment_requests',
  'issued_certificates',
  'meta',
] as const;

/**
 * The tables read on every request's path, cached (`RowCache`; only this class and
 * `SqliteDeviceData`, which shares its cache, write them), each with the cached tables its
 * deletes cascade into. test/store/sqlite-store.test.ts checks these against the schema's
 * foreign keys.
 */
export const CACHED_TABLES = {
  tenants: [
    'options',
    'feature_toggles',
    'trusted_certificates',
    'certificate_authority_keys',
    'devices',
    'managed_objects',
    'external_ids',
  ],
  options: [],
  feature_toggles: [],
  trusted_certificates: ['certificate_authority_keys'],
  certificate_authority_keys: [],
  devices: [],
  tokens: [],
  revocations: [],
  managed_objects: ['external_ids'],
  external_ids: [],
} as const satisfies Record<string, readonly string[]>;
type CachedTable = keyof typeof CACHED_TABLES;

export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  // This process is its database's only user, and every write of a cached table goes through
  // a `#run` (this class's or the device data's) or `clear`, which tell the cache first.
  readonly #cache = new RowCache(CACHED_TABLES, 10_000);
  readonly #writes = new CacheWrites(this.#cache);
  #writeCount = 0;
  // One wrapper for every transaction: better-sqlite3's `transaction(fn)` builds four functions
  // and their properties on each call, which the group commit paid once per request (issue 19).
  // The wrapper decides at each call whether it begins a transaction or nests a savepoint.
  readonly #runInTransaction: (work: () => unknown) => unknown;
  readonly deviceData: SqliteDeviceData;

  constructor(options: SqliteStoreOptions = {}) {
    let file = ':memory:';
    if (options.dataDir !== undefined) {
      mkdirSync(options.dataDir, { recursive: true });
      file = join(options.dataDir, DATABASE_FILE);
    }
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    migrate(this.#db);
    this.#runInTransaction = this.#db.transaction((work: () => unknown) => work());
    this.deviceData = new SqliteDeviceData(this.#db, this.#cache, this.#writes);
  }

  get writes(): number {
    return this.#writeCount;
  }

  get schemaVersion(): number {
    return this.#db.pragma('user_version', { simple: true }) as number;
  }

  #stmt(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #get(sql: string, ...params: unknown[]): Row | undefined {
    return this.#stmt(sql).get(...params) as Row | undefined;
  }

  #all(sql: string, ...params: unknown[]): Row[] {
    return this.#stmt(sql).all(...params) as Row[];
  }

  #run(sql: string, ...params: unknown[]): number {
    this.#writeCount++;
    return this.#writes.run(this.#stmt(sql), sql, params).changes;
  }

  #cached<T extends object>(table: CachedTable, key: string, load: () => T | undefined): T | undefined {
    return this.#cache.read(table, key, load);
  }

  transaction<T>(fn: () => T): T {
    const writes = this.#writes.count;
    try {
      return this.#runInTransaction(fn) as T;
    } catch (error) {
      // Rolled back, the whole transaction or this savepoint: a row the cache read after one of
      // its writes may be gone. One that wrote nothing (a refused request) undid nothing.
      if (this.#writes.count !== writes) this.#cache.forgetAll();
      throw error;
    }
  }

  getMeta(key: string): string | undefined {
    return this.#get('SELECT value FROM meta WHERE key = ?', key)?.value as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.#run(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      key,
      value,
    );
  }

  listTenants(): TenantRecord[] {
    return this.#all('SELECT * FROM tenants ORDER BY id').map(tenant);
  }

  getTenant(id: string): TenantRecord | undefined {
    return this.#cached('tenants', id, () => {
      const row = this.#get('SELECT * FROM tenants WHERE id = ?', id);
      return row && tenant(row);
    });
  }

  getTenantByDomain(domain: string): TenantRecord | undefined {
    // Keyed apart from the ids: a domain may read like another tenant's id.
    return this.#cached('tenants', `domain\0${domain}`, () => {
      const row = this.#get('SELECT * FROM tenants WHERE domain = ? COLLATE NOCASE', domain);
      return row && tenant(row);
    });
  }

  insertTenant(t: TenantRecord): void {
    this.#run('INSERT INTO tenants (id, domain, created_at) VALUES (?, ?, ?)', t.id, t.domain, t.createdAt);
  }

  getUser(tenantId: string, userName: string): UserRecord | undefined {
    const row = this.#get('SELECT * FROM users WHERE tenant_id = ? AND user_name = ?', tenantId, userName);
    return row && user(row);
  }

  listUsers(tenantId: string): UserRecord[] {
    return this.#all('SELECT * FROM users WHERE tenant_id = ? ORDER BY user_name', tenantId).map(user);
  }

  putUser(u: UserRecord): void {
    this.#run(
      `INSERT INTO users (tenant_id, user_name, password_hash) VALUES (?, ?, ?)
       ON CONFLICT(tenant_id, user_name) DO UPDATE SET password_hash = excluded.password_hash`,
      u.tenantId,
      u.userName,
      u.passwordHash,
    );
  }

  listOptions(tenantId: string): OptionRecord[] {
    return this.#all('SELECT * FROM options WHERE tenant_id = ? ORDER BY category, key', tenantId).map(
      option,
    );
  }

  getOption(tenantId: string, category: string, key: string): OptionRecord | undefined {
    return this.#cached('options', `${tenantId}\0${category}\0${key}`, () => {
      const row = this.#get(
        'SELECT * FROM options WHERE tenant_id = ? AND category = ? AND key = ?',
        tenantId,
        category,
        key,
      );
      return row && option(row);
    });
  }

  putOption(o: OptionRecord): void {
    this.#run(
      `INSERT INTO options (tenant_id, category, key, value) VALUES (?, ?, ?, ?)
       ON CONFLICT(tenant_id, category, key) DO UPDATE SET value = excluded.value`,
      o.tenantId,
      o.category,
      o.key,
      o.value,
    );
  }

  listFeatureToggles(tenantId: string): FeatureToggleRecord[] {
    return this.#cached('feature_toggles', tenantId, () =>
      this.#all('SELECT * FROM feature_toggles WHERE tenant_id = ? ORDER BY key', tenantId).map(
        featureToggle,
      ),
    )!;
  }

  putFeatureToggle(f: FeatureToggleRecord): void {
    this.#run(
      `INSERT INTO feature_toggles (tenant_id, key, active) VALUES (?, ?, ?)
       ON CONFLICT(tenant_id, key) DO UPDATE SET active = excluded.active`,
      f.tenantId,
      f.key,
      f.active ? 1 : 0,
    );
  }

  deleteOption(tenantId: string, category: string, key: string): boolean {
    return (
      this.#run(
        'DELETE FROM options WHERE tenant_id = ? AND category = ? AND key = ?',
        tenantId,
        category,
        key,
      ) > 0
    );
  }

  listTrustedCertificates(tenantId?: string): TrustedCertificateRecord[] {
    return (
      tenantId === undefined
        ? this.#all('SELECT * FROM trusted_certificates ORDER BY created_at, fingerprint')
        : this.#all(
            'SELECT * FROM trusted_certificates WHERE tenant_id = ? ORDER BY created_at, fingerprint',
            tenantId,
          )
    ).map(trusted);
  }

  getTrustedCertificate(fingerprint: string): TrustedCertificateRecord | undefined {
    return this.#cached('trusted_certificates', fingerprint, () => {
      const row = this.#get('SELECT * FROM trusted_certificates WHERE fingerprint = ?', fingerprint);
      return row && trusted(row);
    });
  }

  insertTrustedCertificate(r: TrustedCertificateRecord): void {
    this.#run(
      `INSERT INTO trusted_certificates (fingerprint, tenant_id, name, status, auto_registration, cert_der,
         pop_valid, pop_code, pop_code_usable_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.fingerprint,
      r.tenantId,
      r.name,
      r.status,
      r.autoRegistrationEnabled ? 1 : 0,
      r.certDer,
      r.proofOfPossessionValid ? 1 : 0,
      r.proofOfPossessionCode,
      r.proofOfPossessionCodeUsableUntil,
      r.createdAt,
    );
  }

  updateTrustedCertificate(r: TrustedCertificateRecord): void {
    this.#run(
      `UPDATE trusted_certificates SET name = ?, status = ?, auto_registration = ?, pop_valid = ?, pop_code = ?,
         pop_code_usable_until = ? WHERE fingerprint = ?`,
      r.name,
      r.status,
      r.autoRegistrationEnabled ? 1 : 0,
      r.proofOfPossessionValid ? 1 : 0,
      r.proofOfPossessionCode,
      r.proofOfPossessionCodeUsableUntil,
      r.fingerprint,
    );
  }

  deleteTrustedCertificate(fingerprint: string): boolean {
    return this.#run('DELETE FROM trusted_certificates WHERE fingerprint = ?', fingerprint) > 0;
  }

  listCrlEntries(tenantId: string): CrlEntryRecord[] {
    return this.#all(
      'SELECT * FROM crl_entries WHERE tenant_id = ? ORDER BY revocation_date, serial_hex',
      tenantId,
    ).map(crlEntry);
  }

  getCrlEntry(tenantId: string, serialHex: string): CrlEntryRecord | undefined {
    const row = this.#get(
      'SELECT * FROM crl_entries WHERE tenant_id = ? AND serial_hex = ?',
      tenantId,
      serialHex,
    );
    return row && crlEntry(row);
  }

  putCrlEntry(e: CrlEntryRecord): void {
    this.#run(
      `INSERT INTO crl_entries (tenant_id, serial_hex, revocation_date) VALUES (?, ?, ?)
       ON CONFLICT(tenant_id, serial_hex) DO UPDATE SET revocation_date = excluded.revocation_date`,
      e.tenantId,
      e.serialHex,
      e.revocationDate,
    );
  }

  getDevice(tenantId: string, externalId: string): DeviceRecord | undefined {
    return this.#cached('devices', `${tenantId}\0${externalId}`, () => {
      const row = this.#get(
        'SELECT * FROM devices WHERE tenant_id = ? AND external_id = ?',
        tenantId,
        externalId,
      );
      return row && device(row);
    });
  }

  listDevices(tenantId: string): DeviceRecord[] {
    return this.#all('SELECT * FROM devices WHERE tenant_id = ? ORDER BY external_id', tenantId).map(device);
  }

  putDevice(d: DeviceRecord): void {
    this.#run(
      `INSERT INTO devices (tenant_id, external_id, user_name, registration, registered_at, anchor_fingerprint,
         certificate_fingerprint, certificate_subject, enabled)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(tenant_id, external_id) DO UPDATE SET user_name = excluded.user_name,
         registration = excluded.registration, registered_at = excluded.registered_at,
         anchor_fingerprint = excluded.anchor_fingerprint,
         certificate_fingerprint = excluded.certificate_fingerprint,
         certificate_subject = excluded.certificate_subject, enabled = excluded.enabled`,
      d.tenantId,
      d.externalId,
      d.userName,
      d.registration,
      d.registeredAt,
      d.anchorFingerprint,
      d.certificateFingerprint,
      d.certificateSubject,
      d.enabled === false ? 0 : 1,
    );
  }

  insertToken(t: TokenRecord): void {
    this.#run(
      'INSERT INTO tokens (hash, tenant_id, user_name, jwt, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      t.hash,
      t.tenantId,
      t.userName,
      t.jwt,
      t.issuedAtSeconds,
      t.expiresAtSeconds,
    );
  }

  getToken(hash: string): TokenRecord | undefined {
    const row = this.#get('SELECT * FROM tokens WHERE hash = ?', hash);
    return row && token(row);
  }

  latestToken(tenantId: string, userName: string): TokenRecord | undefined {
    return this.#cached('tokens', `latest\0${tenantId}\0${userName}`, () => {
      const row = this.#get(
        'SELECT * FROM tokens WHERE tenant_id = ? AND user_name = ? ORDER BY issued_at DESC, rowid DESC LIMIT 1',
        tenantId,
        userName,
      );
      return row && token(row);
    });
  }

  listTokens(tenantId: string, limit: number): TokenRecord[] {
    return this.#all(
      'SELECT * FROM tokens WHERE tenant_id = ? ORDER BY issued_at DESC, rowid DESC LIMIT ?',
      tenantId,
      limit,
    ).map(token);
  }

  insertRevocation(r: RevocationRecord): void {
    this.#run(
      `INSERT INTO revocations (hash, tenant_id, user_name, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(hash) DO NOTHING`,
      r.hash,
      r.tenantId,
      r.userName,
      r.revokedAt,
      r.expiresAtSeconds,
    );
  }

  getRevocation(hash: string): RevocationRecord | undefined {
    return this.#cached('revocations', hash, () => {
      const row = this.#get('SELECT * FROM revocations WHERE hash = ?', hash);
      return row && revocation(row);
    });
  }

  listRevocations(tenantId: string, limit: number): RevocationRecord[] {
    return this.#all(
      'SELECT * FROM revocations WHERE tenant_id = ? ORDER BY revoked_at DESC LIMIT ?',
      tenantId,
      limit,
    ).map(revocation);
  }

  pruneExpired(nowSeconds: number): number {
    return this.transaction(
      () =>
        this.#run('DELETE FROM tokens WHERE expires_at < ?', nowSeconds) +
        this.#run('DELETE FROM revocations WHERE expires_at < ?', nowSeconds),
    );
  }

  getSigningKey(): SigningKeyRecord | undefined {
    const row = this.#get('SELECT * FROM signing_keys ORDER BY created_at DESC LIMIT 1');
    return row && signingKey(row);
  }

  putSigningKey(k: SigningKeyRecord): void {
    this.#run(
      'INSERT INTO signing_keys (kid, private_key_pem, created_at) VALUES (?, ?, ?)',
      k.kid,
      k.privateKeyPem,
      k.createdAt,
    );
  }

  getCrlSigningKey(): CrlSigningKeyRecord | undefined {
    const row = this.#get('SELECT * FROM crl_signing_keys ORDER BY created_at DESC, id DESC LIMIT 1');
    return row && crlSigningKey(row);
  }

  putCrlSigningKey(k: CrlSigningKeyRecord): void {
    this.#run(
      'INSERT INTO crl_signing_keys (private_key_pem, created_at) VALUES (?, ?)',
      k.privateKeyPem,
      k.createdAt,
    );
  }

  listCertificateAuthorityKeys(tenantId?: string): CertificateAuthorityKeyRecord[] {
    if (tenantId === undefined) {
      return this.#all('SELECT * FROM certificate_authority_keys ORDER BY tenant_id').map(authorityKey);
    }
    // Every EST enrollment asks for its tenant's.
    return this.#cached('certificate_authority_keys', tenantId, () =>
      this.#all('SELECT * FROM certificate_authority_keys WHERE tenant_id = ?', tenantId).map(authorityKey),
    )!;
  }

  getCertificateAuthorityKey(fingerprint: string): CertificateAuthorityKeyRecord | undefined {
    const row = this.#get('SELECT * FROM certificate_authority_keys WHERE fingerprint = ?', fingerprint);
    return row && authorityKey(row);
  }

  insertCertificateAuthorityKey(k: CertificateAuthorityKeyRecord): void {
    this.#run(
      'INSERT INTO certificate_authority_keys (fingerprint, tenant_id, private_key_pem, created_at) VALUES (?, ?, ?, ?)',
      k.fingerprint,
      k.tenantId,
      k.privateKeyPem,
      k.createdAt,
    );
  }

  repointDeviceAnchors(tenantId: string, from: string, to: string): number {
    return this.#run(
      'UPDATE devices SET anchor_fingerprint = ? WHERE tenant_id = ? AND anchor_fingerprint = ?',
      to,
      tenantId,
      from,
    );
  }

  getEnrollmentRequest(tenantId: string, externalId: string): EnrollmentRequestRecord | undefined {
    const row = this.#get(
      'SELECT * FROM enrollment_requests WHERE tenant_id = ? AND external_id = ?',
      tenantId,
      externalId,
    );
    return row && enrollmentRequest(row);
  }

  listEnrollmentRequests(tenantId: string): EnrollmentRequestRecord[] {
    return this.#all(
      'SELECT * FROM enrollment_requests WHERE tenant_id = ? ORDER BY created_at, external_id',
      tenantId,
    ).map(enrollmentRequest);
  }

  putEnrollmentRequest(e: EnrollmentRequestRecord): void {
    this.#run(
      `INSERT INTO enrollment_requests (tenant_id, external_id, otp_hash, type, group_id, owner, source, created_at,
         expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(tenant_id, external_id) DO UPDATE SET otp_hash = excluded.otp_hash, type = excluded.type,
         group_id = excluded.group_id, owner = excluded.owner, source = excluded.source,
         created_at = excluded.created_at, expires_at = excluded.expires_at`,
      e.tenantId,
      e.externalId,
      e.otpHash,
      e.type,
      e.groupId,
      e.owner,
      e.source,
      e.createdAt,
      e.expiresAt,
    );
  }

  deleteEnrollmentRequest(tenantId: string, externalId: string): boolean {
    return (
      this.#run(
        'DELETE FROM enrollment_requests WHERE tenant_id = ? AND external_id = ?',
        tenantId,
        externalId,
      ) > 0
    );
  }

  insertIssuedCertificate(c: IssuedCertificateRecord): void {
    this.#run(
      `INSERT INTO issued_certificates (tenant_id, serial, external_id, kind, authority_fingerprint, fingerprint,
         not_before, not_after, cert_der) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      c.tenantId,
      c.serial,
      c.externalId,
      c.kind,
      c.authorityFingerprint,
      c.fingerprint,
      c.notBefore,
      c.notAfter,
      c.certDer,
    );
  }

  listIssuedCertificates(tenantId: string, limit: number): IssuedCertificateRecord[] {
    return this.#all(
      'SELECT * FROM issued_certificates WHERE tenant_id = ? ORDER BY serial DESC LIMIT ?',
      tenantId,
      limit,
    ).map(issuedCertificate);
  }

  lastIssuedSerial(tenantId: string): number | undefined {
    const row = this.#get(
      'SELECT MAX(serial) AS serial FROM issued_certificates WHERE tenant_id = ?',
      tenantId,
    );
    return (row?.serial as number | null | undefined) ?? undefined;
  }

  exportTables(): StateTables {
    return this.transaction(() => ({
      tenants: this.#all('SELECT * FROM tenants ORDER BY id').map(tenant),
      users: this.#all('SELECT * FROM users ORDER BY tenant_id, user_name').map(user),
      options: this.#all('SELECT * FROM options ORDER BY tenant_id, category, key').map(option),
      featureToggles: this.#all('SELECT * FROM feature_toggles ORDER BY tenant_id, key').map(featureToggle),
      trustedCertificates: this.#all(
        'SELECT * FROM trusted_certificates ORDER BY created_at, fingerprint',
      ).map(trusted),
      crlEntries: this.#all('SELECT * FROM crl_entries ORDER BY tenant_id, serial_hex').map(crlEntry),
      devices: this.#all('SELECT * FROM devices ORDER BY tenant_id, external_id').map(device),
      tokens: this.#all('SELECT * FROM tokens ORDER BY issued_at, hash').map(token),
      revocations: this.#all('SELECT * FROM revocations ORDER BY revoked_at, hash').map(revocation),
      signingKeys: this.#all('SELECT * FROM signing_keys ORDER BY created_at').map(signingKey),
      crlSigningKeys: this.#all('SELECT * FROM crl_signing_keys ORDER BY created_at, id').map(crlSigningKey),
      enrollmentRequests: this.#all(
        'SELECT * FROM enrollment_requests ORDER BY tenant_id, created_at, external_id',
      ).map(enrollmentRequest),
      issuedCertificates: this.#all('SELECT * FROM issued_certificates ORDER BY tenant_id, serial').map(
        issuedCertificate,
      ),
      ...this.deviceData.exportTables(),
    }));
  }

  importTables(tables: StateTables, retained?: RetainedRows): void {
    this.transaction(() => {
      this.clear();
      importRows('tenants', tables.tenants, (r) => this.insertTenant(r));
      importRows('users', tables.users, (r) => this.putUser(r));
      importRows('options', tables.options, (r) => this.putOption(r));
      importRows('featureToggles', tables.featureToggles, (r) => this.putFeatureToggle(r));
      importRows('trustedCertificates', tables.trustedCertificates, (r) => this.insertTrustedCertificate(r));
      importRows('certificateAuthorityKeys', retained?.certificateAuthorityKeys ?? [], (r) =>
        this.insertCertificateAuthorityKey(r),
      );
      importRows('crlEntries', tables.crlEntries, (r) => this.putCrlEntry(r));
      importRows('devices', tables.devices, (r) => this.putDevice(r));
      importRows('tokens', tables.tokens, (r) => this.insertToken(r));
      importRows('revocations', tables.revocations, (r) => this.insertRevocation(r));
      importRows('signingKeys', tables.signingKeys, (r) => this.putSigningKey(r));
      importRows('crlSigningKeys', tables.crlSigningKeys, (r) => this.putCrlSigningKey(r));
      importRows('enrollmentRequests', tables.enrollmentRequests, (r) => this.putEnrollmentRequest(r));
      importRows('issuedCertificates', tables.issuedCertificates, (r) => this.insertIssuedCertificate(r));
      this.deviceData.importTables(tables);
    });
  }

  clear(): void {
    this.#writeCount++;
    this.#cache.forgetAll();
    this.transaction(() => {
      for (const table of [...TABLES].reverse()) this.#db.exec(`DELETE FROM ${table}`);
    });
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(
      `the data directory was written by a newer c8y-mtls-mock (schema ${version}; this one knows up to ${MIGRATIONS.length})`,
    );
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
