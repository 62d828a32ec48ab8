/**
 * Schema migrations, oldest first. Migration i brings a database from
 * `user_version` i to i + 1; a newer mock opens an older data directory by
 * running the ones it lacks. Never edit a migration that has shipped: add one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the initial schema
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    domain TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE users (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_name)
  );
  CREATE TABLE options (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant_id, category, key)
  );
  CREATE TABLE trusted_certificates (
    fingerprint TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ENABLED', 'DISABLED')),
    auto_registration INTEGER NOT NULL,
    cert_der BLOB NOT NULL,
    pop_valid INTEGER NOT NULL DEFAULT 0,
    pop_code TEXT,
    pop_code_usable_until INTEGER,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX trusted_certificates_by_tenant ON trusted_certificates(tenant_id);
  CREATE TABLE crl_entries (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    serial_hex TEXT NOT NULL,
    revocation_date INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, serial_hex)
  );
  CREATE TABLE devices (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    registration TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    anchor_fingerprint TEXT,
    PRIMARY KEY (tenant_id, external_id)
  );
  CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    jwt TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX tokens_by_device ON tokens(tenant_id, user_name, issued_at);
  CREATE INDEX tokens_by_expiry ON tokens(expires_at);
  CREATE TABLE revocations (
    hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    revoked_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX revocations_by_expiry ON revocations(expires_at);
  CREATE INDEX revocations_by_tenant ON revocations(tenant_id, revoked_at);
  CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    private_key_pem TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
  // 2: the certificate a device last authenticated with, for the dashboard's device view
  `
  ALTER TABLE devices ADD COLUMN certificate_fingerprint TEXT;
  ALTER TABLE devices ADD COLUMN certificate_subject TEXT;
  `,
  // 3: the key that signs the tenants' offline CRLs, kept so a CRL verifies across restarts
  `
  CREATE TABLE crl_signing_keys (
    id INTEGER PRIMARY KEY,
    private_key_pem TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
  // 4: the device data APIs: inventory, identity, measurements, events, alarms, operations.
  // Ids grow with every insert (AUTOINCREMENT): the oldest rows are the lowest ids, and a
  // deleted id is never given again. Data and references go with their managed object.
  `
  CREATE TABLE managed_objects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    owner TEXT NOT NULL,
    type TEXT,
    name TEXT,
    creation_time INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    fragments TEXT NOT NULL
  );
  CREATE INDEX managed_objects_by_tenant ON managed_objects(tenant_id, type);
  CREATE INDEX managed_objects_by_owner ON managed_objects(tenant_id, owner);
  CREATE TABLE managed_object_children (
    parent_id INTEGER NOT NULL REFERENCES managed_objects(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('childDevices', 'childAssets', 'childAdditions')),
    child_id INTEGER NOT NULL REFERENCES managed_objects(id) ON DELETE CASCADE,
    PRIMARY KEY (parent_id, kind, child_id)
  );
  CREATE INDEX managed_object_parents ON managed_object_children(child_id);
  CREATE TABLE external_ids (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    external_id TEXT NOT NULL,
    managed_object_id INTEGER NOT NULL REFERENCES managed_objects(id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, type, external_id)
  );
  CREATE INDEX external_ids_by_object ON external_ids(managed_object_id);
  CREATE TABLE measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    source_id INTEGER NOT NULL REFERENCES managed_objects(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    time INTEGER NOT NULL,
    fragments TEXT NOT NULL
  );
  CREATE INDEX measurements_by_source ON measurements(source_id, time);
  CREATE INDEX measurements_by_tenant ON measurements(tenant_id, time);
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    source_id INTEGER NOT NULL REFERENCES managed_objects(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    text TEXT NOT NULL,
    time INTEGER NOT NULL,
    creation_time INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    fragments TEXT NOT NULL
  );
  CREATE INDEX events_by_source ON events(source_id, time);
  CREATE INDEX events_by_tenant ON events(tenant_id, time);
  CREATE TABLE alarms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    source_id INTEGER NOT NULL REFERENCES managed_objects(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    text TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('CRITICAL', 'MAJOR', 'MINOR', 'WARNING')),
    status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'ACKNOWLEDGED', 'CLEARED')),
    count INTEGER NOT NULL,
    time INTEGER NOT NULL,
    first_occurrence_time INTEGER,
    creation_time INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    fragments TEXT NOT NULL
  );
  CREATE INDEX alarms_by_source ON alarms(source_id, type, status);
  CREATE INDEX alarms_by_tenant ON alarms(tenant_id, time);
  CREATE TABLE operations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    device_id INTEGER NOT NULL REFERENCES managed_objects(id) ON DELETE CASCADE,
    agent_id INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('PENDING', 'EXECUTING', 'SUCCESSFUL', 'FAILED')),
    failure_reason TEXT,
    creation_time INTEGER NOT NULL,
    fragments TEXT NOT NULL
  );
  CREATE INDEX operations_by_device ON operations(device_id, status);
  CREATE INDEX operations_by_agent ON operations(agent_id, status);
  CREATE INDEX operations_by_tenant ON operations(tenant_id, id);
  `,
  // 5: the tenant's certificate authority and EST enrollment. A CA's key goes with its trusted
  // certificate; one CA per tenant. Serials are issuance times in ms, unique in the tenant.
  `
  CREATE TABLE certificate_authority_keys (
    fingerprint TEXT PRIMARY KEY REFERENCES trusted_certificates(fingerprint) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    private_key_pem TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX certificate_authority_keys_by_tenant ON certificate_authority_keys(tenant_id);
  CREATE TABLE enrollment_requests (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    otp_hash TEXT NOT NULL,
    type TEXT,
    group_id TEXT,
    owner TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('bulk', 'request')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, external_id)
  );
  CREATE TABLE issued_certificates (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    serial INTEGER NOT NULL,
    external_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('enroll', 'reenroll')),
    authority_fingerprint TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    cert_der BLOB NOT NULL,
    PRIMARY KEY (tenant_id, serial)
  );
  `,
  // 6: a device user can be disabled (the platform's user API), a feature switched per tenant (/features).
  `
  ALTER TABLE devices ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
  CREATE TABLE feature_toggles (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    active INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
  );
  `,
];
