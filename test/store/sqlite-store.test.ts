import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database, { type Statement } from 'better-sqlite3';
import t from 'tap';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { CacheWrites, RowCache, writtenTable } from '../../src/store/row-cache.js';
import { CACHED_FRAGMENTS } from '../../src/store/sqlite-device-data.js';
import { CACHED_TABLES, DATABASE_FILE, SqliteStore } from '../../src/store/sqlite-store.js';

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

t.test('rows read on every request are kept in memory; no write or rollback leaves one stale', async (t) => {
  const store = new SqliteStore();
  t.teardown(() => store.close());
  store.insertTenant({ id: 't1', domain: 'a.test', createdAt: 0 });
  const device = {
    tenantId: 't1',
    externalId: 'd-1',
    userName: 'device_d-1',
    registration: 'seed' as const,
    registeredAt: 1,
    anchorFingerprint: null,
    certificateFingerprint: null,
    certificateSubject: null,
  };
  store.putDevice(device);

  const first = store.getDevice('t1', 'd-1')!;
  t.equal(store.getDevice('t1', 'd-1'), first, 'read again from memory');
  t.throws(
    () => {
      (first as { userName: string }).userName = 'changed';
    },
    TypeError,
    'a kept row cannot be changed by one caller for the next',
  );
  store.putDevice({ ...device, enabled: false });
  t.equal(store.getDevice('t1', 'd-1')?.enabled, false, 'a write forgets the rows of its table');

  t.throws(() =>
    store.transaction(() => {
      store.putDevice(device);
      t.equal(store.getDevice('t1', 'd-1')?.enabled, undefined, 'the transaction sees its own write');
      store.putDevice({ ...device, externalId: 'd-2' });
      t.ok(store.getDevice('t1', 'd-2'), 'and its new row');
      throw new Error('rolled back');
    }),
  );
  t.equal(store.getDevice('t1', 'd-1')?.enabled, false, 'a rolled-back change is not remembered');
  t.equal(store.getDevice('t1', 'd-2'), undefined, 'nor a row read inside the rolled-back transaction');

  t.equal(store.getRevocation('h1'), undefined);
  store.insertRevocation({
    hash: 'h1',
    tenantId: 't1',
    userName: 'device_d-1',
    revokedAt: 5,
    expiresAtSeconds: 9,
  });
  t.equal(store.getRevocation('h1')?.revokedAt, 5, 'a remembered absence is forgotten by the insert');

  t.equal(store.latestToken('t1', 'device_d-1'), undefined);
  const token = { tenantId: 't1', userName: 'device_d-1', jwt: 'j', issuedAtSeconds: 1, expiresAtSeconds: 9 };
  store.insertToken({ ...token, hash: 'a' });
  t.equal(store.latestToken('t1', 'device_d-1')?.hash, 'a');
  store.insertToken({ ...token, hash: 'b', issuedAtSeconds: 2 });
  t.equal(store.latestToken('t1', 'device_d-1')?.hash, 'b');
  store.pruneExpired(10);
  t.equal(store.latestToken('t1', 'device_d-1'), undefined, 'pruned');

  const option = { tenantId: 't1', category: 'c', key: 'k' };
  t.equal(store.getOption('t1', 'c', 'k'), undefined);
  store.putOption({ ...option, value: '1' });
  t.equal(store.getOption('t1', 'c', 'k')?.value, '1');
  store.deleteOption('t1', 'c', 'k');
  t.equal(store.getOption('t1', 'c', 'k'), undefined);

  t.same(store.listFeatureToggles('t1'), []);
  store.putFeatureToggle({ tenantId: 't1', key: 'f', active: false });
  t.same(store.listFeatureToggles('t1'), [{ tenantId: 't1', key: 'f', active: false }]);
  t.throws(
    () => {
      (store.listFeatureToggles('t1')[0] as { active: boolean }).active = true;
    },
    TypeError,
    'the rows of a kept list are frozen too',
  );

  t.equal(store.getTenantByDomain('A.test')?.id, 't1', "the domain's case does not matter, as in SQL");
  store.clear();
  t.equal(store.getTenant('t1'), undefined, 'clear forgets everything');
  t.equal(store.getTenantByDomain('a.test'), undefined);
  t.equal(store.getDevice('t1', 'd-1'), undefined);
  store.importTables({ ...store.exportTables(), tenants: [{ id: 't1', domain: 'b.test', createdAt: 0 }] });
  t.equal(store.getTenant('t1')?.domain, 'b.test', 'an import is seen');
});

t.test(
  "a measurement's source and a device's external ID are kept too; nothing leaves one stale",
  async (t) => {
    const store = new SqliteStore();
    t.teardown(() => store.close());
    const data = store.deviceData;
    store.insertTenant({ id: 't1', domain: 'a.test', createdAt: 0 });
    const object = {
      tenantId: 't1',
      owner: 'device_d-1',
      type: 'c8y_Device',
      name: 'd-1',
      creationTime: 1,
      lastUpdated: 1,
      fragments: { c8y_IsDevice: {}, c8y_Hardware: { model: 'm1' } },
    };
    const id = data.insertManagedObject(object);
    data.insertExternalId({ tenantId: 't1', type: 'c8y_Serial', externalId: 'd-1', managedObjectId: id });

    const first = data.getManagedObject(id)!;
    t.equal(data.getManagedObject(id), first, 'read again from memory');
    t.throws(
      () => {
        (first.fragments.c8y_Hardware as { model: string }).model = 'changed';
      },
      TypeError,
      "a kept object's fragments cannot be changed by one caller for the next",
    );
    const bound = data.getExternalId('t1', 'c8y_Serial', 'd-1')!;
    t.equal(data.getExternalId('t1', 'c8y_Serial', 'd-1'), bound, 'an external ID is kept');
    t.equal(data.getExternalId('t1', 'c8y_Serial', 'd-2'), undefined);
    data.insertExternalId({ tenantId: 't1', type: 'c8y_Serial', externalId: 'd-2', managedObjectId: id });
    t.equal(
      data.getExternalId('t1', 'c8y_Serial', 'd-2')?.managedObjectId,
      id,
      'a remembered absence is forgotten',
    );

    data.updateManagedObject({ ...first, name: 'renamed', fragments: { c8y_IsDevice: {} } });
    t.same(
      [data.getManagedObject(id)?.name, data.getManagedObject(id)?.fragments],
      ['renamed', { c8y_IsDevice: {} }],
      'an update is seen',
    );

    t.throws(() =>
      store.transaction(() => {
        data.updateManagedObject({ ...first, name: 'in a transaction' });
        t.equal(data.getManagedObject(id)?.name, 'in a transaction', 'the transaction sees its own write');
        throw new Error('rolled back');
      }),
    );
    t.equal(
      data.getManagedObject(id)?.name,
      'renamed',
      'a row read inside a rolled-back transaction is not kept',
    );

    store.transaction(() => {
      t.throws(() =>
        store.transaction(() => {
          data.updateManagedObject({ ...first, name: 'in a savepoint' });
          t.equal(data.getManagedObject(id)?.name, 'in a savepoint');
          throw new Error('rolled back to the savepoint');
        }),
      );
      t.equal(data.getManagedObject(id)?.name, 'renamed', 'nor one read inside a rolled-back savepoint');
    });
    t.equal(data.getManagedObject(id)?.name, 'renamed', 'the outer transaction committed what it saw');

    const kept = data.getManagedObject(id);
    const device = store.getTenant('t1');
    t.throws(() =>
      store.transaction(() => {
        data.getManagedObject(id);
        throw new Error('refused: nothing written');
      }),
    );
    t.ok(
      data.getManagedObject(id) === kept && store.getTenant('t1') === device,
      'a rollback that undid no write (a refused request) leaves the cache as it is',
    );

    const withText = (length: number) => {
      const fragments = { c8y_Notes: { text: '' } };
      fragments.c8y_Notes.text = 'x'.repeat(length - JSON.stringify(fragments).length);
      return data.insertManagedObject({ ...object, fragments });
    };
    const largest = withText(CACHED_FRAGMENTS);
    t.equal(
      data.getManagedObject(largest),
      data.getManagedObject(largest),
      'an object of 2 KB of fragments is kept',
    );
    const large = withText(CACHED_FRAGMENTS + 1);
    t.not(data.getManagedObject(large), data.getManagedObject(large), 'a larger one is read each time');
    t.equal(JSON.stringify(data.getManagedObject(large)?.fragments).length, CACHED_FRAGMENTS + 1);

    data.deleteManagedObject(id);
    t.equal(data.getManagedObject(id), undefined, 'a delete is seen');
    t.equal(data.getExternalId('t1', 'c8y_Serial', 'd-1'), undefined, 'and the external IDs it took with it');

    const again = data.insertManagedObject(object);
    data.insertExternalId({ tenantId: 't1', type: 'c8y_Serial', externalId: 'd-1', managedObjectId: again });
    t.ok(data.getManagedObject(again) && data.getExternalId('t1', 'c8y_Serial', 'd-1'));
    store.clear();
    t.equal(data.getManagedObject(again), undefined, 'clear forgets them');
    t.equal(data.getExternalId('t1', 'c8y_Serial', 'd-1'), undefined);
  },
);

t.test('a write that fails makes the cache forget everything', async (t) => {
  const cache = new RowCache({ a: [], b: [] }, 10);
  const writes = new CacheWrites(cache);
  let loads = 0;
  const load = () => {
    loads++;
    return { n: loads };
  };
  cache.read('a', 'k', load);
  cache.read('a', 'k', load);
  t.equal(loads, 1, 'kept');
  const failing = {
    run: () => {
      throw new Error('SQLITE_FULL');
    },
  } as unknown as Statement;
  t.throws(() => writes.run(failing, 'INSERT INTO b (x) VALUES (?)', [1]), /SQLITE_FULL/);
  // SQLite may have rolled the whole transaction back, rows of other tables included.
  t.same(cache.read('a', 'k', load), { n: 2 }, 'read again after the failure');
});

t.test('the table a write names, for the cache to forget', async (t) => {
  t.equal(writtenTable('INSERT INTO devices (a) VALUES (?)'), 'devices');
  t.equal(writtenTable('\n  update   Tokens SET x = 1'), 'tokens');
  t.equal(writtenTable('DELETE FROM revocations WHERE expires_at < ?'), 'revocations');
  t.equal(writtenTable('SELECT * FROM devices'), undefined, 'not a write');
  t.equal(
    writtenTable('WITH x AS (SELECT 1) DELETE FROM devices'),
    undefined,
    'another form: the store forgets all',
  );
});

t.test("a cached table's rows are forgotten with those its deletes cascade from", async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  for (const migration of MIGRATIONS) db.exec(migration);
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
  ).map((r) => r.name);
  // Parent → children its deletes cascade into, from the schema.
  const edges = new Map<string, string[]>();
  for (const table of tables) {
    for (const key of db.pragma(`foreign_key_list(${table})`) as { table: string; on_delete: string }[]) {
      if (key.on_delete === 'CASCADE') edges.set(key.table, [...(edges.get(key.table) ?? []), table]);
    }
  }
  const reached = (table: string, seen = new Set<string>()): Set<string> => {
    for (const child of edges.get(table) ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        reached(child, seen);
      }
    }
    return seen;
  };
  for (const [table, listed] of Object.entries(CACHED_TABLES)) {
    t.ok(tables.includes(table), `${table} is a table`);
    const cached = [...reached(table)].filter((child) => child in CACHED_TABLES).sort();
    t.same(
      [...listed].sort(),
      cached,
      `a delete in ${table} reaches the cached ${cached.join(', ') || 'none'}`,
    );
  }

  const store = new SqliteStore();
  t.teardown(() => store.close());
  store.insertTenant({ id: 't1', domain: 'a.test', createdAt: 0 });
  const record = {
    fingerprint: 'ab',
    tenantId: 't1',
    name: 'CA',
    status: 'ENABLED' as const,
    autoRegistrationEnabled: false,
    certDer: Buffer.from([1]),
    proofOfPossessionValid: false,
    proofOfPossessionCode: null,
    proofOfPossessionCodeUsableUntil: null,
    createdAt: 0,
  };
  store.insertTrustedCertificate(record);
  store.insertCertificateAuthorityKey({
    fingerprint: 'ab',
    tenantId: 't1',
    privateKeyPem: 'k',
    createdAt: 0,
  });
  t.equal(store.listCertificateAuthorityKeys('t1').length, 1);
  t.equal(store.listCertificateAuthorityKeys('t1'), store.listCertificateAuthorityKeys('t1'), 'kept');
  t.equal(store.getTrustedCertificate('ab')?.status, 'ENABLED');
  store.updateTrustedCertificate({ ...record, status: 'DISABLED' });
  t.equal(store.getTrustedCertificate('ab')?.status, 'DISABLED', 'an update is seen');
  store.deleteTrustedCertificate('ab');
  t.equal(store.getTrustedCertificate('ab'), undefined);
  t.same(
    store.listCertificateAuthorityKeys('t1'),
    [],
    "the CA's key went with its certificate, in memory too",
  );
});

t.test('every write of a cached table goes through the cache, which hears of it first', async (t) => {
  const dir = new URL('../../src/store/', import.meta.url);
  const writes = /(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)/gi;
  const owners = ['sqlite-store.ts', 'sqlite-device-data.ts'];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(new URL(file, dir), 'utf8');
    if (owners.includes(file)) {
      // Its statements run only through CacheWrites; `exec` only in `clear`, which forgets all.
      const runs = [...source.matchAll(/(\S+)\.run\(/g)].map((m) => m[1]);
      t.same([...new Set(runs)], ['this.#writes'], `${file} runs its writes through the cache`);
      t.notMatch(source, /RETURNING|\.iterate\(/i, `${file} writes nothing through a read`);
      const execs = source.match(/\.exec\(/g)?.length ?? 0;
      t.equal(execs, file === 'sqlite-store.ts' ? 2 : 0, `${file}: exec in clear and the migrations only`);
      continue;
    }
    const written = [...source.matchAll(writes)].map((m) => m[1]!.toLowerCase());
    const cached = written.filter((table) => table in CACHED_TABLES);
    t.same(cached, [], `${file} writes ${[...new Set(written)].join(', ') || 'nothing'}, no cached table`);
  }
});
