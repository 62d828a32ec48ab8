import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { DATABASE_FILE, SqliteStore } from '../../src/store/sqlite-store.js';
import { adminSeed } from '../helpers/admin.js';
import { TestClock } from '../helpers/clock.js';
import {
  ADMIN,
  bearer,
  createDevice,
  data,
  deviceToken,
  expectJson,
  type Json,
  T0,
} from '../helpers/device-data.js';
import { rootCa } from '../helpers/pki.js';
import { ADMIN_SECRET, call, startServer, type TestServer } from '../helpers/server.js';

/*
 * The device data is state like everything else: it survives a restart, goes
 * with a reset, and travels in an export and back.
 */
const ca = await rootCa(T0, 'State CA');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: ca.certificate.pem }] }]);
const control = { authorization: `Bearer ${ADMIN_SECRET}`, accept: 'application/json' };

/** One of everything: an object with a child, a serial, a measurement, an event, an alarm raised twice, an operation. */
async function populate(server: TestServer) {
  const device = bearer(await deviceToken(server, ca, 'state-01', T0));
  const id = await createDevice(server, device, 'Stateful', { com_cumulocity_model_Agent: {} });
  const time = '2026-06-01T12:00:00.000Z';
  const send = async (path: string, json: Json, auth = device) =>
    expectJson(await data(server, { method: 'POST', path, auth, json }), 201);
  await send(`/inventory/managedObjects/${id}/childDevices`, { name: 'Child' });
  await send(`/identity/globalIds/${id}/externalIds`, { type: 'c8y_Serial', externalId: 'state-01' });
  await send('/measurement/measurements', { source: { id }, time, type: 't', t: { v: { value: 1.5 } } });
  await send('/event/events', { source: { id }, time, type: 'e', text: 'e', c8y_Extra: { nested: [1] } });
  const alarm = { source: { id }, time, type: 'a', text: 'a', severity: 'MINOR' };
  await send('/alarm/alarms', alarm);
  await send('/alarm/alarms', alarm);
  const operation = await send('/devicecontrol/operations', { deviceId: id, c8y_Restart: {} }, ADMIN);
  await data(server, {
    method: 'PUT',
    path: `/devicecontrol/operations/${operation.id}`,
    auth: device,
    json: { status: 'FAILED', failureReason: 'x' },
  });
  return id;
}

/** Everything the administrator reads of the tenant's data, self links included. */
async function readAll(server: TestServer) {
  const paths = [
    '/inventory/managedObjects?pageSize=100',
    '/identity/externalIds/c8y_Serial/state-01',
    '/measurement/measurements?pageSize=100',
    '/event/events?pageSize=100',
    '/alarm/alarms?pageSize=100',
    '/devicecontrol/operations?pageSize=100',
  ];
  const bodies = [];
  for (const path of paths)
    bodies.push((await data(server, { path, auth: ADMIN })).text.replaceAll(`:${server.port}/`, ':PORT/'));
  return bodies;
}

t.test('export, reset and import: the device data goes and comes back with its ids', async (t) => {
  const server = await startServer(t, { seed, clock: new TestClock(T0) });
  await populate(server);
  const before = await readAll(server);
  const exported = await call(server, { path: '/_mock/state', headers: control });
  const snapshot = exported.json() as { tables: Record<string, unknown[]> };
  for (const table of [
    'managedObjects',
    'childReferences',
    'externalIds',
    'measurements',
    'events',
    'alarms',
    'operations',
  ]) {
    t.ok((snapshot.tables[table]?.length ?? 0) > 0, `the export has ${table}`);
  }

  t.equal((await call(server, { method: 'POST', path: '/_mock/reset', headers: control })).status, 200);
  const empty = expectJson(await data(server, { path: '/inventory/managedObjects', auth: ADMIN }), 200);
  t.same(empty.managedObjects, [], 'a reset empties the inventory');
  t.equal(
    (await data(server, { path: '/identity/externalIds/c8y_Serial/state-01', auth: ADMIN })).status,
    404,
  );

  const imported = await call(server, {
    method: 'PUT',
    path: '/_mock/state',
    headers: { ...control, 'content-type': 'application/json' },
    body: exported.text,
  });
  t.equal(imported.status, 204);
  t.same(await readAll(server), before, 'everything is back, ids and times unchanged');

  const older = structuredClone(snapshot) as { tables: Record<string, unknown> };
  for (const table of [
    'managedObjects',
    'childReferences',
    'externalIds',
    'measurements',
    'events',
    'alarms',
    'operations',
  ]) {
    delete older.tables[table];
  }
  const fromOlder = await call(server, {
    method: 'PUT',
    path: '/_mock/state',
    headers: { ...control, 'content-type': 'application/json' },
    body: JSON.stringify(older),
  });
  t.equal(fromOlder.status, 204, 'an export from before the device data imports');
  t.same(
    expectJson(await data(server, { path: '/inventory/managedObjects', auth: ADMIN }), 200).managedObjects,
    [],
  );

  const broken = structuredClone(snapshot) as { tables: { alarms: Json[] } };
  broken.tables.alarms[0]!.severity = 'HUGE';
  const refused = await call(server, {
    method: 'PUT',
    path: '/_mock/state',
    headers: { ...control, 'content-type': 'application/json' },
    body: JSON.stringify(broken),
  });
  t.equal(refused.status, 422, 'a bad alarm row is refused');
  t.match(refused.json(), { message: /\/tables\/alarms\/0\/severity/ });
  const dangling = structuredClone(snapshot) as { tables: { measurements: Json[] } };
  dangling.tables.measurements[0]!.sourceId = 999_999;
  const orphan = await call(server, {
    method: 'PUT',
    path: '/_mock/state',
    headers: { ...control, 'content-type': 'application/json' },
    body: JSON.stringify(dangling),
  });
  t.equal(orphan.status, 422, 'a measurement of no managed object is refused');
});

t.test('the device data survives a restart on the same data directory', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'c8y-data-restart-'));
  const first = await startServer(t, { seed, clock: new TestClock(T0), store: new SqliteStore({ dataDir }) });
  const id = await populate(first);
  const before = await readAll(first);
  await first.stop();
  const second = await startServer(t, {
    seed,
    clock: new TestClock(T0),
    store: new SqliteStore({ dataDir }),
  });
  t.same(await readAll(second), before);
  const next = await createDevice(second, ADMIN, 'After restart');
  t.ok(Number(next) > Number(id) + 1, 'ids keep growing: no id is given twice');
});

t.test('a data directory of schema 3 (before the device data) is migrated', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'c8y-migrate-data-'));
  const old = new Database(join(dir, DATABASE_FILE));
  // Schema 3: the last before the device data (migration 3 keeps the CRL signing key).
  for (const migration of MIGRATIONS.slice(0, 3)) old.exec(migration);
  old.pragma('user_version = 3');
  old
    .prepare('INSERT INTO tenants (id, domain, created_at) VALUES (?, ?, ?)')
    .run('t100', 'old.example.test', 1);
  old
    .prepare('INSERT INTO crl_signing_keys (private_key_pem, created_at) VALUES (?, ?)')
    .run('-----BEGIN PRIVATE KEY-----kept', 2);
  old.close();
  const store = new SqliteStore({ dataDir: dir });
  t.teardown(() => store.close());
  t.equal(store.schemaVersion, MIGRATIONS.length);
  t.equal(store.getCrlSigningKey()?.privateKeyPem, '-----BEGIN PRIVATE KEY-----kept', 'the CRL key stays');
  const id = store.deviceData.insertManagedObject({
    tenantId: 't100',
    owner: 'admin',
    type: null,
    name: 'new table',
    creationTime: 1,
    lastUpdated: 1,
    fragments: {},
  });
  t.equal(store.deviceData.getManagedObject(id)?.name, 'new table');
});
