import { Agent } from 'node:https';
import {
  AlarmService,
  AlarmStatus,
  BasicAuth,
  BearerAuth,
  Client,
  EventService,
  IdentityService,
  type IManagedObject,
  InventoryService,
  MeasurementService,
  OperationService,
  OperationStatus,
  Severity,
} from '@c8y/client';
import t from 'tap';
import { ADMIN_PASSWORD, adminSeed } from '../helpers/admin.js';
import { TestClock } from '../helpers/clock.js';
import { deviceToken, T0 } from '../helpers/device-data.js';
import { rootCa } from '../helpers/pki.js';
import { startServer, type TestServer } from '../helpers/server.js';

/*
 * The official @c8y/client drives the device data APIs unmodified: the device
 * with its token in BearerAuth, the tenant administrator with BasicAuth. In
 * Node the client fetches with node-fetch, which takes an `agent` trusting the
 * test server's CA through the client's public defaultFetchOptions.
 */
const ca = await rootCa(T0, 'Client Data CA');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: ca.certificate.pem }] }]);

function clientFor(server: TestServer, auth: BasicAuth | BearerAuth): Client {
  const client = new Client(auth, server.origin);
  client.core.defaultFetchOptions = { agent: new Agent({ ca: server.serverCa }) };
  client.core.tenant = 't100';
  return client;
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; data: unknown }> {
  try {
    await promise;
  } catch (error) {
    const { res, data } = error as { res: { status: number }; data: unknown };
    return { status: res.status, data };
  }
  throw new Error('expected the client to throw');
}

t.test('InventoryService, IdentityService, Measurement-, Event-, Alarm- and OperationService', async (t) => {
  const server = await startServer(t, { seed, clock: new TestClock(T0) });
  const device = clientFor(server, new BearerAuth(await deviceToken(server, ca, 'client-data-01', T0)));
  const admin = clientFor(server, new BasicAuth({ tenant: 't100', user: 'admin', password: ADMIN_PASSWORD }));
  const inventory = new InventoryService(device.core);
  const identity = new IdentityService(device.core);

  const lookup = await refusal(identity.detail({ type: 'c8y_Serial', externalId: 'client-data-01' }));
  t.equal(lookup.status, 404);
  t.match(lookup.data, { error: 'identity/Not Found' });

  const created = await inventory.create({
    name: 'Client device',
    type: 'c8y_ClientTest',
    c8y_IsDevice: {},
    com_cumulocity_model_Agent: {},
  } as Partial<IManagedObject>);
  t.equal(created.res.status, 201);
  const id = created.data.id;
  t.match(created.data, { owner: 'device_client-data-01', name: 'Client device' });

  const bound = await identity.create({
    type: 'c8y_Serial',
    externalId: 'client-data-01',
    managedObject: { id },
  });
  t.equal(bound.res.status, 201);
  const found = await identity.detail({ type: 'c8y_Serial', externalId: 'client-data-01' });
  t.equal(found.data.managedObject?.id, id);
  t.same(
    (await identity.list(id)).data.map((x) => x.externalId),
    ['client-data-01'],
  );

  const updated = await inventory.update({ ...created.data, c8y_Firmware: { version: '1.2.3' } });
  t.match(updated.data, { c8y_Firmware: { version: '1.2.3' } }, 'update() sends the whole object back');

  const child = await inventory.childDevicesCreate(
    { name: 'Client child', c8y_IsDevice: {} } as Partial<IManagedObject>,
    id,
  );
  t.equal(child.res.status, 201);
  const children = await inventory.childDevicesList(id);
  t.same(
    children.data.map((mo) => mo.name),
    ['Client child'],
  );
  const detail = await inventory.detail(id);
  t.equal(detail.data.childDevices.references.length, 1);

  const measurement = await new MeasurementService(device.core).create({
    sourceId: id,
    time: '2026-06-01T12:00:00.000Z',
    type: 'c8y_Temperature',
    c8y_Temperature: { T: { value: 22, unit: 'C' } },
  });
  t.equal(measurement.res.status, 201);
  const event = await new EventService(device.core).create({
    source: { id },
    time: '2026-06-01T12:00:01.000Z',
    type: 'c8y_ClientEvent',
    text: 'From @c8y/client',
  });
  t.equal(event.res.status, 201);
  const alarms = new AlarmService(device.core);
  const alarm = {
    source: { id },
    time: '2026-06-01T12:00:02.000Z',
    type: 'c8y_ClientAlarm',
    text: 'Too hot',
    severity: Severity.MAJOR,
  };
  await alarms.create(alarm);
  const raised = await alarms.create({ ...alarm, time: '2026-06-01T12:00:03.000Z' });
  t.equal(raised.data.count, 2, 'de-duplicated');

  const operation = await new OperationService(admin.core).create({ deviceId: id, c8y_Restart: {} });
  t.equal(operation.res.status, 201);
  const operations = new OperationService(device.core);
  const pending = await operations.list({ agentId: id, status: OperationStatus.PENDING });
  t.same(
    pending.data.map((o) => o.id),
    [operation.data.id],
  );
  await operations.update({ id: operation.data.id, status: OperationStatus.EXECUTING });
  const done = await operations.update({ id: operation.data.id, status: OperationStatus.SUCCESSFUL });
  t.equal(done.data.status, 'SUCCESSFUL');

  // The administrator reads it back, with paging from the statistics and links.
  const measurements = await new MeasurementService(admin.core).list({
    source: id,
    pageSize: 1,
    withTotalPages: true,
  });
  t.equal(measurements.data.length, 1);
  t.equal(measurements.paging?.totalPages, 1);
  const events = await new EventService(admin.core).list({ source: id });
  t.same(
    events.data.map((e) => e.text),
    ['From @c8y/client'],
  );
  const adminAlarms = new AlarmService(admin.core);
  const listed = await adminAlarms.list({ source: id, status: AlarmStatus.ACTIVE });
  t.equal(listed.data[0]?.count, 2);
  const cleared = await adminAlarms.update({ id: listed.data[0]!.id, status: AlarmStatus.CLEARED });
  t.equal(cleared.data.status, 'CLEARED');
  const devices = await new InventoryService(admin.core).list({
    fragmentType: 'c8y_IsDevice',
    pageSize: 1,
    withTotalPages: true,
  });
  t.equal(devices.paging?.totalPages, 2);
  const next = await devices.paging!.next();
  t.same(
    next.data.map((mo) => mo.name),
    ['Client child'],
    'Paging.next() follows the next link',
  );

  const forbidden = await refusal(
    new InventoryService(
      clientFor(server, new BearerAuth(await deviceToken(server, ca, 'client-data-02', T0))).core,
    ).delete(id),
  );
  t.equal(forbidden.status, 403, 'another device may not delete it');
  t.equal((await inventory.delete(id)).res.status, 204, 'the owner may');
});
