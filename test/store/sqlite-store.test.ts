import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { DATABASE_FILE, SqliteStore } from '../../src/store/sqlite-store.js';

t.test('a newer mock opens an older data directory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'c8y-migrate-'));
  const old = new Database(join(dir, DATABASE_FILE));
  old.exec(MIGRATIONS[0]!);
  old.pragma('user_version = 1');
  old
    .prepare('INSERT INTO tenants (id, domain, created_at) VALUES (?, ?, ?)')
    .run('t100', 'old.example.test', 1);
  old
    .prepare(
      'INSERT INTO devices (tenant_id, external_id, user_name, registration, registered_at, anchor_fingerprint) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .run('t100', 'd-1', 'device_d-1', 'seed', 2, null);
  old.close();

  const store = new SqliteStore({ dataDir: dir });
  t.teardown(() => store.close());
  t.equal(store.schemaVersion, MIGRATIONS.length, 'migrated to the current schema');
  t.same(
    store.getTenant('t100'),
    { id: 't100', domain: 'old.example.test', createdAt: 1 },
    'old rows are kept',
  );
  t.match(store.getDevice('t100', 'd-1'), {
    userName: 'device_d-1',
    certificateFingerprint: null,
    certificateSubject: null,
  });
});

t.test('a data directory from a newer mock is refused with a clear message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'c8y-newer-'));
  const db = new Database(join(dir, DATABASE_FILE));
  db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  db.close();
  t.throws(
    () => new SqliteStore({ dataDir: dir }),
    /written by a newer c8y-mtls-mock \(schema \d+; this one knows up to \d+\)/,
  );
});

t.test('expired tokens and revocations are pruned; a transaction is all or nothing', async (t) => {
  const store = new SqliteStore();
  t.teardown(() => store.close());
  store.insertTenant({ id: 't1', domain: 'a.test', createdAt: 0 });
  const token = (hash: string, exp: number) => ({
    hash,
    tenantId: 't1',
    userName: 'device_x',
    jwt: 'j',
    issuedAtSeconds: exp - 100,
    expiresAtSeconds: exp,
  });
  store.insertToken(token('old', 1000));
  store.insertToken(token('new', 3000));
  store.insertRevocation({
    hash: 'old',
    tenantId: 't1',
    userName: 'device_x',
    revokedAt: 0,
    expiresAtSeconds: 1000,
  });
  store.insertRevocation({
    hash: 'new',
    tenantId: 't1',
    userName: 'device_x',
    revokedAt: 0,
    expiresAtSeconds: 3000,
  });
  t.equal(store.pruneExpired(2000), 2, 'one token and one revocation pruned');
  t.equal(store.getToken('old'), undefined);
  t.ok(store.getToken('new'));
  t.ok(store.getRevocation('new'));
  t.equal(store.latestToken('t1', 'device_x')?.hash, 'new');

  t.throws(() =>
    store.transaction(() => {
      store.insertTenant({ id: 't2', domain: 'b.test', createdAt: 0 });
      store.insertTenant({ id: 't3', domain: 'b.test', createdAt: 0 }); // duplicate domain
    }),
  );
  t.equal(store.getTenant('t2'), undefined, 'rolled back');
});
