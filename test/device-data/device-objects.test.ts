import t from 'tap';
import { admin, adminSeed, multipart } from '../helpers/admin.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, bearer, data, deviceToken, expectJson, type Json, T0 } from '../helpers/device-data.js';
import { rootCa } from '../helpers/pki.js';
import { startServer } from '../helpers/server.js';

/*
 * What registration creates in the inventory: bulk registration always gives
 * a device its "elementary representation" (OpenAPI, bulkNewDeviceRequests);
 * certificate auto-registration only with --auto-registration-inventory (the
 * docs say only the device user is created).
 */
const ca = await rootCa(T0, 'Registration CA');
const manual = await rootCa(T0, 'Registration Manual CA');
const seed = adminSeed([
  {
    id: 't100',
    trusted: [{ pem: ca.certificate.pem }, { name: 'manual', pem: manual.certificate.pem, auto: false }],
  },
]);

async function lookup(server: Parameters<typeof data>[0], externalId: string, type = 'c8y_Serial') {
  return data(server, {
    path: `/identity/externalIds/${type}/${encodeURIComponent(externalId)}`,
    auth: ADMIN,
  });
}

t.test('bulk registration creates the managed object and external ID, once', async (t) => {
  const server = await startServer(t, { seed, clock: new TestClock(T0) });
  const csv = [
    'ID;AUTH_TYPE;CREDENTIALS;TYPE;NAME;IDTYPE',
    'reg-bulk-01;CERTIFICATES;;c8y_Meter;Meter one;',
    'reg-bulk-02;CERTIFICATES;;;;c8y_IMEI',
  ].join('\n');
  const form = await multipart({ file: { content: csv, filename: 'devices.csv', type: 'text/csv' } });
  const upload = () =>
    admin(server, {
      method: 'POST',
      path: '/devicecontrol/bulkNewDeviceRequests',
      body: form.body,
      contentType: form.contentType,
    });
  t.equal((await upload()).status, 201);

  const first = expectJson(await lookup(server, 'reg-bulk-01'), 200);
  const mo = expectJson(
    await data(server, {
      path: `/inventory/managedObjects/${(first.managedObject as Json).id}`,
      auth: ADMIN,
    }),
    200,
  );
  t.match(mo, { name: 'Meter one', type: 'c8y_Meter', owner: 'device_reg-bulk-01', c8y_IsDevice: {} });
  const second = expectJson(await lookup(server, 'reg-bulk-02', 'c8y_IMEI'), 200);
  const other = expectJson(
    await data(server, {
      path: `/inventory/managedObjects/${(second.managedObject as Json).id}`,
      auth: ADMIN,
    }),
    200,
  );
  t.match(
    other,
    { name: 'reg-bulk-02', owner: 'device_reg-bulk-02' },
    'the name defaults to the ID, IDTYPE names the type',
  );
  t.notOk('type' in other, 'no TYPE, no type');

  t.equal((await upload()).status, 201, 'registering again');
  const all = expectJson(
    await data(server, { path: '/inventory/managedObjects?pageSize=50', auth: ADMIN }),
    200,
  );
  t.equal((all.managedObjects as Json[]).length, 2, 'keeps the objects it made');

  // The registered device, auto-registration off, gets a token and owns its object.
  const token = bearer(await deviceTokenOf(server, 'reg-bulk-01'));
  const renamed = await data(server, {
    method: 'PUT',
    path: `/inventory/managedObjects/${mo.id}`,
    auth: token,
    json: { name: 'Mine' },
  });
  t.equal(renamed.status, 200, 'the device user owns it');
});

async function deviceTokenOf(server: Parameters<typeof data>[0], cn: string) {
  return deviceToken(server, manual, cn, T0);
}

t.test('auto-registration creates the object only with --auto-registration-inventory', async (t) => {
  const plain = await startServer(t, { seed, clock: new TestClock(T0) });
  await deviceToken(plain, ca, 'reg-auto-01', T0);
  t.equal(
    (await lookup(plain, 'reg-auto-01')).status,
    404,
    'by default only the device user is created, as the docs say',
  );

  const server = await startServer(t, {
    seed,
    clock: new TestClock(T0),
    config: { autoRegistrationInventory: true },
  });
  const token = bearer(await deviceToken(server, ca, 'reg-auto-02', T0));
  const found = expectJson(await lookup(server, 'reg-auto-02'), 200);
  const id = (found.managedObject as Json).id as string;
  const mo = expectJson(await data(server, { path: `/inventory/managedObjects/${id}`, auth: token }), 200);
  t.match(mo, { name: 'reg-auto-02', owner: 'device_reg-auto-02', c8y_IsDevice: {} });
  await deviceToken(server, ca, 'reg-auto-02', T0);
  const all = expectJson(
    await data(server, { path: '/inventory/managedObjects?pageSize=50', auth: ADMIN }),
    200,
  );
  t.equal(
    (all.managedObjects as Json[]).length,
    1,
    'a second token (a new certificate) creates nothing more',
  );
  const sent = await data(server, {
    method: 'POST',
    path: '/measurement/measurements',
    auth: token,
    json: { source: { id }, time: '2026-06-01T12:00:00Z', type: 'c8y_T' },
  });
  t.equal(sent.status, 201, 'the device sends data for it straight away');
});
