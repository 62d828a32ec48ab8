import t from 'tap';
import { adminSeed, assertError, basic } from '../helpers/admin.js';
import { TestClock } from '../helpers/clock.js';
import {
  bearer,
  createDevice,
  type DataRequest,
  data,
  deviceToken,
  expectJson,
  type Json,
  T0,
} from '../helpers/device-data.js';
import { rootCa } from '../helpers/pki.js';
import { startServer, type TestServer } from '../helpers/server.js';

/*
 * The device data of t100 is t100's: t200's administrator finds none of it
 * (404, as the platform keeps each tenant's data apart), a t100 device that
 * does not own an object may read it but not change it (403), and after all
 * of it the whole state is exactly what it was.
 */
const ca100 = await rootCa(T0, 'Data isolation t100 CA');
const ca200 = await rootCa(T0, 'Data isolation t200 CA');
const seed = adminSeed([
  { id: 't100', trusted: [{ pem: ca100.certificate.pem }] },
  { id: 't200', trusted: [{ pem: ca200.certificate.pem }] },
]);
const ADMIN_200 = basic('t200/admin');
const snapshot = (server: TestServer) => JSON.stringify(server.app.services.state.export().tables);

t.test("nobody outside t100, and no device but the owner, changes t100's data", async (t) => {
  const server = await startServer(t, { seed, clock: new TestClock(T0) });
  const owner = bearer(await deviceToken(server, ca100, 'isolated-owner', T0));
  const neighbour = bearer(await deviceToken(server, ca100, 'isolated-neighbour', T0));
  const foreign = bearer(await deviceToken(server, ca200, 'isolated-foreign', T0));

  const id = await createDevice(server, owner, 'Owned by t100');
  const post = async (path: string, json: Json) =>
    expectJson(await data(server, { method: 'POST', path, auth: owner, json }), 201).id!;
  await data(server, {
    method: 'POST',
    path: `/identity/globalIds/${id}/externalIds`,
    auth: owner,
    json: { type: 'c8y_Serial', externalId: 'isolated-owner' },
  });
  const child = expectJson(
    await data(server, {
      method: 'POST',
      path: `/inventory/managedObjects/${id}/childDevices`,
      auth: owner,
      json: { name: 'Child' },
    }),
    201,
  ).id!;
  const time = '2026-06-01T12:00:00.000Z';
  const measurement = await post('/measurement/measurements', {
    source: { id },
    time,
    type: 't',
    t: { v: { value: 1 } },
  });
  const event = await post('/event/events', { source: { id }, time, type: 'e', text: 'e' });
  const alarm = await post('/alarm/alarms', {
    source: { id },
    time,
    type: 'a',
    text: 'a',
    severity: 'MINOR',
  });
  const operation = await post('/devicecontrol/operations', { deviceId: id, c8y_Restart: {} });
  const before = snapshot(server);

  const reads: DataRequest[] = [
    { path: `/inventory/managedObjects/${id}` },
    { path: `/inventory/managedObjects/${id}/childDevices` },
    { path: `/identity/globalIds/${id}/externalIds` },
    { path: '/identity/externalIds/c8y_Serial/isolated-owner' },
    { path: `/measurement/measurements/${measurement}` },
    { path: `/event/events/${event}` },
    { path: `/alarm/alarms/${alarm}` },
    { path: `/devicecontrol/operations/${operation}` },
  ];
  const writes: DataRequest[] = [
    { method: 'PUT', path: `/inventory/managedObjects/${id}`, json: { name: 'taken' } },
    { method: 'DELETE', path: `/inventory/managedObjects/${id}` },
    { method: 'DELETE', path: `/inventory/managedObjects/${id}/childDevices/${child}` },
    { method: 'POST', path: '/measurement/measurements', json: { source: { id }, time, type: 't' } },
    { method: 'DELETE', path: `/measurement/measurements/${measurement}` },
    { method: 'POST', path: '/event/events', json: { source: { id }, time, type: 'e', text: 'e' } },
    { method: 'PUT', path: `/event/events/${event}`, json: { text: 'changed' } },
    { method: 'DELETE', path: `/event/events/${event}` },
    {
      method: 'POST',
      path: '/alarm/alarms',
      json: { source: { id }, time, type: 'a', text: 'a', severity: 'MINOR' },
    },
    { method: 'PUT', path: `/alarm/alarms/${alarm}`, json: { status: 'CLEARED' } },
    { method: 'POST', path: '/devicecontrol/operations', json: { deviceId: id, c8y_Restart: {} } },
    { method: 'PUT', path: `/devicecontrol/operations/${operation}`, json: { status: 'FAILED' } },
  ];
  // ROLE_INVENTORY_CREATE "includes linking your object to another object" (c8y-docs): checked last.
  const link: DataRequest = {
    method: 'POST',
    path: `/inventory/managedObjects/${id}/childDevices`,
    json: { name: 'linked' },
  };
  const collections: DataRequest[] = [
    { method: 'DELETE', path: `/measurement/measurements?source=${id}` },
    { method: 'DELETE', path: `/event/events?source=${id}` },
    { method: 'PUT', path: `/alarm/alarms?source=${id}`, json: { status: 'CLEARED' } },
    { method: 'DELETE', path: `/alarm/alarms?source=${id}` },
    { method: 'DELETE', path: `/devicecontrol/operations?deviceId=${id}` },
  ];

  for (const request of [...reads, ...writes, link]) {
    const response = await data(server, { ...request, auth: ADMIN_200 });
    const label = `t200's administrator: ${request.method ?? 'GET'} ${request.path}`;
    t.equal(response.status, 404, `${label}: 404`);
    t.match(JSON.parse(response.text), { error: /Not Found$/ }, `${label}: a Not Found body`);
  }
  for (const request of collections) {
    const response = await data(server, { ...request, auth: ADMIN_200 });
    t.equal(
      response.status,
      request.method === 'PUT' ? 200 : 204,
      `t200's administrator's ${request.method} ${request.path} reaches no t100 data`,
    );
  }
  for (const path of [
    '/inventory/managedObjects',
    '/measurement/measurements',
    '/event/events',
    '/alarm/alarms',
    '/devicecontrol/operations',
  ]) {
    const body = expectJson(await data(server, { path: `${path}?pageSize=100`, auth: ADMIN_200 }), 200);
    const items = Object.values(body).find(Array.isArray) as unknown[];
    t.same(items, [], `t200 lists no t100 data at ${path}`);
  }
  for (const request of reads) {
    const response = await data(server, { ...request, auth: foreign });
    t.equal(response.status, 404, `a t200 device: ${request.path} 404`);
  }
  for (const request of reads) {
    t.equal(
      (await data(server, { ...request, auth: neighbour })).status,
      200,
      `a t100 device reads ${request.path}`,
    );
  }
  for (const request of [...writes, ...collections]) {
    const response = await data(server, { ...request, auth: neighbour });
    assertError(t, response, 403, 'security/Forbidden', 'Access is denied.');
  }
  const onOtherDomain = await data(server, {
    path: `/inventory/managedObjects/${id}`,
    auth: owner,
    headers: { host: 't200.example.test' },
  });
  t.equal(onOtherDomain.status, 401, "t100's token on t200's domain");

  t.equal(snapshot(server), before, 'nothing changed');
  const linked = await data(server, { ...link, auth: neighbour });
  t.equal(
    linked.status,
    201,
    'a device may link a new object of its own under another device, as the docs say',
  );
  const owned = expectJson(await data(server, { path: `/inventory/managedObjects/${id}`, auth: owner }), 200);
  t.equal(owned.name, 'Owned by t100');
});
