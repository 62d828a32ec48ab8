import t from 'tap';
import { adminSeed } from '../helpers/admin.js';
import { TestClock } from '../helpers/clock.js';
import {
  bearer,
  createDevice,
  data,
  deviceToken,
  expectJson,
  type Json,
  T0,
} from '../helpers/device-data.js';
import { rootCa } from '../helpers/pki.js';
import { ADMIN_SECRET, startServer } from '../helpers/server.js';
import { signIn } from '../helpers/ui.js';

const ca = await rootCa(T0, 'Dashboard data CA');
const ca200 = await rootCa(T0, 'Dashboard data t200 CA');
const seed = adminSeed([
  { id: 't100', trusted: [{ pem: ca.certificate.pem }] },
  { id: 't200', trusted: [{ pem: ca200.certificate.pem }] },
]);

t.test("the device view's data and the administrator's operation", async (t) => {
  const clock = new TestClock(T0);
  const server = await startServer(t, { seed, clock });
  const device = bearer(await deviceToken(server, ca, 'ui-data-01', T0));
  await deviceToken(server, ca, 'ui-data-02', T0);
  const id = await createDevice(server, device, 'Dashboard device', {
    c8y_SupportedOperations: ['c8y_Restart', 'c8y_Command'],
  });
  await data(server, {
    method: 'POST',
    path: `/identity/globalIds/${id}/externalIds`,
    auth: device,
    json: { type: 'c8y_Serial', externalId: 'ui-data-01' },
  });
  await data(server, {
    method: 'POST',
    path: `/inventory/managedObjects/${id}/childDevices`,
    auth: device,
    json: { name: 'Child' },
  });
  for (let minute = 0; minute < 12; minute++) {
    await data(server, {
      method: 'POST',
      path: '/measurement/measurements',
      auth: device,
      json: {
        source: { id },
        time: `2026-06-01T12:${String(minute).padStart(2, '0')}:00Z`,
        type: 't',
        t: { v: { value: minute } },
      },
    });
  }
  await data(server, {
    method: 'POST',
    path: '/alarm/alarms',
    auth: device,
    json: { source: { id }, time: '2026-06-01T12:00:00Z', type: 'a', text: 'Hot', severity: 'MAJOR' },
  });

  const admin = await signIn(server, { user: 't100/admin', password: 'admin-password' });
  const view = expectJson(await admin.get('devices/t100/ui-data-01/data'), 200);
  t.match(view.managedObject, { id, name: 'Dashboard device', owner: 'device_ui-data-01' });
  t.same(view.supportedOperations, ['c8y_Restart', 'c8y_Command']);
  t.same(
    view.others,
    [{ id: String(Number(id) + 1), name: 'Child', type: null }],
    'the other objects the device owns',
  );
  const measurements = view.measurements as { total: number; items: Json[] };
  t.equal(measurements.total, 12);
  t.same(
    measurements.items.map((m) => (m.t as { v: { value: number } }).v.value),
    [11, 10, 9, 8, 7, 6, 5, 4, 3, 2],
    'the latest ten, newest first',
  );
  t.match(view.alarms, {
    total: 1,
    items: [{ text: 'Hot', count: 1, source: { name: 'Dashboard device' } }],
  });
  t.same(view.events, { total: 0, items: [] });

  const created = await admin.send('POST', 'devices/t100/ui-data-01/operations', {
    fragment: 'c8y_Command',
    parameters: { text: 'reboot' },
    description: 'From the dashboard',
  });
  const operation = expectJson(created, 201);
  t.match(operation, {
    deviceId: id,
    status: 'PENDING',
    c8y_Command: { text: 'reboot' },
    description: 'From the dashboard',
  });
  const pending = expectJson(
    await data(server, { path: `/devicecontrol/operations?agentId=${id}&status=PENDING`, auth: device }),
    200,
  );
  t.same(
    (pending.operations as Json[]).map((o) => o.id),
    [operation.id],
    'the device finds it',
  );
  t.match(expectJson(await admin.get('devices/t100/ui-data-01/data'), 200).operations, { total: 1 });

  for (const [body, message] of [
    [{ fragment: 'not a name' }, /"fragment" must name what to do/],
    [{ fragment: 'c8y_Restart', parameters: [1] }, /"parameters" must be a JSON object/],
    [{ fragment: 'deviceId' }, /deviceId must be the id of a managed object/],
  ] as const) {
    const refused = await admin.send('POST', 'devices/t100/ui-data-01/operations', body);
    t.equal(refused.status, 400);
    t.match(refused.json(), { error: 'dashboard/Bad Request', message });
  }
  const noObject = expectJson(await admin.get('devices/t100/ui-data-02/data'), 200);
  t.same(noObject.managedObject, null, 'a device without a managed object');
  const cannot = await admin.send('POST', 'devices/t100/ui-data-02/operations', { fragment: 'c8y_Restart' });
  t.equal(cannot.status, 404);
  t.match(cannot.json(), { message: /has no managed object yet/ });

  const other = await admin.get('devices/t200/whatever/data');
  t.equal(other.status, 403, "a tenant administrator does not see another tenant's devices");
  const mock = await signIn(server, { secret: ADMIN_SECRET });
  t.equal(
    (await mock.get('devices/t100/ui-data-01/data')).status,
    200,
    'the mock administrator sees every tenant',
  );
  const byMock = expectJson(
    await mock.send('POST', 'devices/t100/ui-data-01/operations', { fragment: 'c8y_Restart' }),
    201,
  );
  t.match(byMock, { status: 'PENDING', c8y_Restart: {} });
  t.equal((await mock.get('devices/t999/x/data')).status, 404);
  const noCsrf = await data(server, {
    method: 'POST',
    path: '/_mock/ui/api/devices/t100/ui-data-01/operations',
    headers: { cookie: admin.cookie },
    json: { fragment: 'c8y_Restart' },
  });
  t.equal(noCsrf.status, 403, 'the CSRF token is required');
  t.equal(
    (await data(server, { path: '/_mock/ui/api/devices/t100/ui-data-01/data' })).status,
    401,
    'and a session',
  );
});
