import t from 'tap';
import type { OperationCreated } from '../../src/device-data/operations.js';
import { adminSeed, assertError } from '../helpers/admin.js';
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
  vnd,
} from '../helpers/device-data.js';
import { rootCa } from '../helpers/pki.js';
import { startServer } from '../helpers/server.js';

const ca = await rootCa(T0, 'Operation CA');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: ca.certificate.pem }] }]);
const OPS = '/devicecontrol/operations';

t.test('an operation from PENDING through EXECUTING to SUCCESSFUL or FAILED', async (t) => {
  const clock = new TestClock(T0);
  const server = await startServer(t, { seed, clock });
  const base = `https://localhost:${server.port}`;
  const device = bearer(await deviceToken(server, ca, 'operation-01', T0));
  const stranger = bearer(await deviceToken(server, ca, 'operation-02', T0));
  const agent = await createDevice(server, device, 'Agent', { com_cumulocity_model_Agent: {} });
  await data(server, {
    method: 'POST',
    path: `/identity/globalIds/${agent}/externalIds`,
    auth: device,
    json: { type: 'c8y_Serial', externalId: 'operation-01' },
  });
  const heard: OperationCreated[] = [];
  const unsubscribe = server.app.services.operations.onCreated((created) => heard.push(created));

  const response = await data(server, {
    method: 'POST',
    path: OPS,
    auth: ADMIN,
    contentType: vnd('operation'),
    json: {
      deviceId: agent,
      description: 'Restart the device',
      c8y_Restart: {},
      status: 'SUCCESSFUL',
      id: '5',
    },
  });
  const operation = expectJson(response, 201);
  t.same(
    operation,
    {
      id: operation.id,
      self: `${base}${OPS}/${operation.id}`,
      creationTime: '2026-06-01T12:00:00.000Z',
      deviceId: agent,
      status: 'PENDING',
      description: 'Restart the device',
      c8y_Restart: {},
    },
    'a new operation is PENDING whatever the body says',
  );
  t.equal(response.headers.location, operation.self);
  t.equal(heard.length, 1, 'the listener heard it');
  t.match(heard[0], {
    tenantId: 't100',
    operation: { id: Number(operation.id), status: 'PENDING' },
    agent: { id: Number(agent) },
  });

  const pending = expectJson(
    await data(server, { path: `${OPS}?agentId=${agent}&status=PENDING`, auth: device }),
    200,
  );
  const listed = (pending.operations as Json[])[0]!;
  t.match(listed, { id: operation.id, deviceName: 'Agent' });
  t.same(
    listed.deviceExternalIDs,
    {
      externalIds: [
        {
          externalId: 'operation-01',
          managedObject: { id: agent, self: `${base}/inventory/managedObjects/${agent}` },
          self: `${base}/identity/externalIds/c8y_Serial/operation-01`,
          type: 'c8y_Serial',
        },
      ],
      self: `${base}/identity/globalIds/${agent}/externalIds`,
    },
    'deviceExternalIDs when listed by agentId',
  );
  const byDevice = expectJson(await data(server, { path: `${OPS}?deviceId=${agent}`, auth: device }), 200);
  t.notOk('deviceExternalIDs' in (byDevice.operations as Json[])[0]!, 'and only then');

  const executing = expectJson(
    await data(server, {
      method: 'PUT',
      path: `${OPS}/${operation.id}`,
      auth: device,
      json: { status: 'EXECUTING' },
    }),
    200,
  );
  t.equal(executing.status, 'EXECUTING');
  t.same(
    expectJson(await data(server, { path: `${OPS}?agentId=${agent}&status=PENDING`, auth: device }), 200)
      .operations as Json[],
    [],
  );
  const failed = expectJson(
    await data(server, {
      method: 'PUT',
      path: `${OPS}/${operation.id}`,
      auth: device,
      json: { status: 'FAILED', failureReason: 'Battery too low', deviceId: '1', c8y_Result: { code: 7 } },
    }),
    200,
  );
  t.match(failed, {
    status: 'FAILED',
    failureReason: 'Battery too low',
    deviceId: agent,
    c8y_Result: { code: 7 },
    c8y_Restart: {},
  });

  assertError(
    t,
    await data(server, {
      method: 'PUT',
      path: `${OPS}/${operation.id}`,
      auth: device,
      json: { failureReason: 'x' },
    }),
    422,
    'undefined/validationError',
    'Following mandatory fields should be included: status',
  );
  assertError(
    t,
    await data(server, {
      method: 'PUT',
      path: `${OPS}/${operation.id}`,
      auth: device,
      json: { status: 'DONE' },
    }),
    422,
    'undefined/validationError',
    'status must be one of PENDING, EXECUTING, SUCCESSFUL, FAILED; got "DONE".',
  );
  assertError(
    t,
    await data(server, {
      method: 'PUT',
      path: `${OPS}/${operation.id}`,
      auth: stranger,
      json: { status: 'SUCCESSFUL' },
    }),
    403,
    'security/Forbidden',
    'Access is denied.',
  );
  assertError(
    t,
    await data(server, { path: `${OPS}/123456`, auth: device }),
    404,
    'devicecontrol/Not Found',
    "Finding device data from database failed : No operation for gid '123456'!",
  );
  assertError(
    t,
    await data(server, {
      method: 'POST',
      path: OPS,
      auth: stranger,
      json: { deviceId: agent, c8y_Restart: {} },
    }),
    403,
    'security/Forbidden',
    'Access is denied.',
  );
  const own = await data(server, {
    method: 'POST',
    path: OPS,
    auth: device,
    json: { deviceId: agent, c8y_Command: { text: 'ls' } },
  });
  t.equal(own.status, 201, 'the owner of a device may create operations for it');
  assertError(
    t,
    await data(server, { method: 'POST', path: OPS, auth: ADMIN, json: { c8y_Restart: {} } }),
    422,
    'undefined/validationError',
    'Following mandatory fields should be included: deviceId',
  );
  unsubscribe();
  await data(server, { method: 'POST', path: OPS, auth: ADMIN, json: { deviceId: agent, c8y_Restart: {} } });
  t.equal(heard.length, 2, 'an unsubscribed listener hears nothing more');
});

t.test('a child device’s operations go to its agent; order, filters and deleting', async (t) => {
  const clock = new TestClock(T0);
  const server = await startServer(t, { seed, clock });
  const device = bearer(await deviceToken(server, ca, 'operation-03', T0));
  const agent = await createDevice(server, device, 'Gateway', { com_cumulocity_model_Agent: {} });
  const child = expectJson(
    await data(server, {
      method: 'POST',
      path: `/inventory/managedObjects/${agent}/childDevices`,
      auth: device,
      json: { name: 'Child', c8y_IsDevice: {} },
    }),
    201,
  ).id!;
  const create = async (deviceId: string, fragment: string) => {
    clock.advance(1000);
    return expectJson(
      await data(server, { method: 'POST', path: OPS, auth: ADMIN, json: { deviceId, [fragment]: {} } }),
      201,
    ).id!;
  };
  const first = await create(child, 'c8y_Firmware');
  const second = await create(agent, 'c8y_Restart');
  const third = await create(child, 'c8y_Restart');
  const ids = async (query: string) =>
    (
      expectJson(await data(server, { path: `${OPS}?pageSize=50&${query}`, auth: device }), 200)
        .operations as Json[]
    ).map((o) => o.id);
  t.same(
    await ids(`agentId=${agent}`),
    [first, second, third],
    "the agent gets its children's operations, oldest first",
  );
  t.same(await ids(`agentId=${agent}&revert=true`), [third, second, first]);
  t.same(await ids(`deviceId=${child}`), [first, third]);
  t.same(await ids(`agentId=${child}`), [], 'a child device is no agent');
  t.same(await ids('fragmentType=c8y_Restart'), [second, third]);
  t.same(
    await ids('dateFrom=2026-06-01T12:00:02Z&dateTo=2026-06-01T12:00:02Z'),
    [second],
    'dates are creation times',
  );
  assertError(
    t,
    await data(server, { path: `${OPS}?status=DONE`, auth: device }),
    400,
    'devicecontrol/Bad Request',
    /status must be one of/,
  );

  t.equal(
    (await data(server, { method: 'DELETE', path: `${OPS}?deviceId=${child}&status=PENDING`, auth: ADMIN }))
      .status,
    204,
  );
  t.same(await ids(''), [second]);
});
