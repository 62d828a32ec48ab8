import t from 'tap';
import { adminSeed } from '../helpers/admin.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, bearer, data, deviceToken, expectJson, T0, vnd } from '../helpers/device-data.js';
import { DATA_SPEC_CORRECTIONS, dataApiSpec } from '../helpers/openapi.js';
import { rootCa } from '../helpers/pki.js';
import type { ClientResponse } from '../helpers/server.js';
import { startServer } from '../helpers/server.js';

/**
 * Every operation of the device data APIs, its successes and its refusals,
 * validated against the official 2026 OpenAPI subset (known spec errors are
 * corrected in test/helpers/openapi.ts, DATA_SPEC_CORRECTIONS).
 */
const spec = dataApiSpec();
const ca = await rootCa(T0, 'Data Spec CA');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: ca.certificate.pem }] }, { id: 't200' }]);

t.test('every device data response matches the spec', async (t) => {
  const server = await startServer(t, { seed, clock: new TestClock(T0) });
  const device = bearer(await deviceToken(server, ca, 'spec-data-01', T0));
  const other = bearer(await deviceToken(server, ca, 'spec-data-02', T0));
  const check = async (
    method: string,
    template: string,
    response: Promise<ClientResponse>,
    status: number,
  ) => {
    const answer = await response;
    t.equal(answer.status, status, `${method.toUpperCase()} ${template} ${status}`);
    spec.assert(t, method, template, answer);
    return answer;
  };
  const MOS = '/inventory/managedObjects';
  const MO = '/inventory/managedObjects/{id}';

  // inventory
  const created = expectJson(
    await check(
      'post',
      MOS,
      data(server, {
        method: 'POST',
        path: MOS,
        auth: device,
        contentType: vnd('managedobject'),
        json: {
          name: 'Spec device',
          type: 'c8y_Spec',
          c8y_IsDevice: {},
          c8y_SupportedOperations: ['c8y_Restart'],
        },
      }),
      201,
    ),
    201,
  );
  const id = created.id!;
  await check(
    'post',
    MOS,
    data(server, {
      method: 'POST',
      path: MOS,
      auth: ADMIN,
      contentType: vnd('managedobjectcollection'),
      json: {
        managedObjects: [
          { name: 'Bulk A' },
          { name: 'Bulk B', externalIds: [{ type: 'c8y_Serial', externalId: 'bulk-b' }] },
        ],
      },
    }),
    201,
  );
  await check('post', MOS, data(server, { method: 'POST', path: MOS, json: {} }), 401);
  await check('post', MOS, data(server, { method: 'POST', path: MOS, auth: device, json: [] }), 422);
  await check(
    'get',
    MOS,
    data(server, { path: `${MOS}?type=c8y_Spec&withTotalPages=true`, auth: device }),
    200,
  );
  await check(
    'get',
    MOS,
    data(server, { path: `${MOS}?fragmentType=c8y_IsDevice&pageSize=1`, auth: ADMIN }),
    200,
  );
  await check(
    'get',
    MOS,
    data(server, { path: `${MOS}?query=${encodeURIComponent("$filter=(name eq 'x')")}`, auth: ADMIN }),
    422,
  );
  await check('get', MOS, data(server, { path: `${MOS}?pageSize=0`, auth: ADMIN }), 400);
  await check('get', MO, data(server, { path: `${MOS}/${id}`, auth: ADMIN }), 200);
  await check('get', MO, data(server, { path: `${MOS}/99999`, auth: ADMIN }), 404);
  await check('get', MO, data(server, { path: `${MOS}/${id}` }), 401);
  await check(
    'put',
    MO,
    data(server, {
      method: 'PUT',
      path: `${MOS}/${id}`,
      auth: device,
      json: { c8y_Firmware: { version: '1.0' } },
    }),
    200,
  );
  await check(
    'put',
    MO,
    data(server, { method: 'PUT', path: `${MOS}/${id}`, auth: device, json: { id } }),
    200,
  );
  await check(
    'put',
    MO,
    data(server, { method: 'PUT', path: `${MOS}/${id}`, auth: other, json: { name: 'mine' } }),
    403,
  );
  await check(
    'put',
    MO,
    data(server, { method: 'PUT', path: `${MOS}/${id}`, auth: device, json: { name: 5 } }),
    422,
  );
  await check('put', MO, data(server, { method: 'PUT', path: `${MOS}/424242`, auth: device, json: {} }), 404);

  // identity
  const XIDS = '/identity/globalIds/{id}/externalIds';
  const XID = '/identity/externalIds/{type}/{externalId}';
  await check(
    'get',
    XID,
    data(server, { path: '/identity/externalIds/c8y_Serial/spec-data-01', auth: device }),
    404,
  );
  await check(
    'post',
    XIDS,
    data(server, {
      method: 'POST',
      path: `/identity/globalIds/${id}/externalIds`,
      auth: device,
      contentType: vnd('externalid'),
      json: { type: 'c8y_Serial', externalId: 'spec-data-01' },
    }),
    201,
  );
  await check(
    'post',
    XIDS,
    data(server, {
      method: 'POST',
      path: '/identity/globalIds/424242/externalIds',
      auth: device,
      json: { type: 'c8y_Serial', externalId: 'spec-data-x' },
    }),
    404,
  );
  await check(
    'post',
    XIDS,
    data(server, {
      method: 'POST',
      path: `/identity/globalIds/${id}/externalIds`,
      auth: device,
      json: { type: 'c8y_Serial', externalId: 'bulk-b' },
    }),
    409,
  );
  await check(
    'post',
    XIDS,
    data(server, {
      method: 'POST',
      path: `/identity/globalIds/${id}/externalIds`,
      auth: device,
      json: { type: 'c8y_Serial' },
    }),
    422,
  );
  await check(
    'get',
    XIDS,
    data(server, { path: `/identity/globalIds/${id}/externalIds`, auth: device }),
    200,
  );
  await check(
    'get',
    XIDS,
    data(server, { path: '/identity/globalIds/424242/externalIds', auth: device }),
    404,
  );
  await check(
    'get',
    XID,
    data(server, { path: '/identity/externalIds/c8y_Serial/spec-data-01', auth: device }),
    200,
  );

  // measurements
  const MEAS = '/measurement/measurements';
  const measurement = {
    source: { id },
    time: '2026-06-01T12:00:00.000Z',
    type: 'c8y_Temperature',
    c8y_Temperature: { T: { value: 21.5, unit: 'C' } },
  };
  const m = expectJson(
    await check(
      'post',
      MEAS,
      data(server, {
        method: 'POST',
        path: MEAS,
        auth: device,
        contentType: vnd('measurement'),
        json: measurement,
      }),
      201,
    ),
    201,
  );
  await check(
    'post',
    MEAS,
    data(server, {
      method: 'POST',
      path: MEAS,
      auth: device,
      contentType: vnd('measurementcollection'),
      json: { measurements: [measurement, { ...measurement, time: '2026-06-01T12:01:00.000Z' }] },
    }),
    201,
  );
  await check(
    'post',
    MEAS,
    data(server, { method: 'POST', path: MEAS, auth: device, json: { type: 'x' } }),
    422,
  );
  await check(
    'post',
    MEAS,
    data(server, {
      method: 'POST',
      path: MEAS,
      auth: device,
      json: { ...measurement, source: { id: '424242' } },
    }),
    404,
  );
  await check(
    'get',
    MEAS,
    data(server, {
      path: `${MEAS}?source=${id}&dateFrom=2026-06-01&revert=true&withTotalElements=true`,
      auth: ADMIN,
    }),
    200,
  );
  await check('get', `${MEAS}/{id}`, data(server, { path: `${MEAS}/${m.id}`, auth: device }), 200);
  await check('get', `${MEAS}/{id}`, data(server, { path: `${MEAS}/424242`, auth: device }), 404);
  await check(
    'delete',
    `${MEAS}/{id}`,
    data(server, { method: 'DELETE', path: `${MEAS}/${m.id}`, auth: device }),
    204,
  );
  await check('delete', MEAS, data(server, { method: 'DELETE', path: MEAS, auth: ADMIN }), 422);
  await check(
    'delete',
    MEAS,
    data(server, { method: 'DELETE', path: `${MEAS}?dateTo=2026-06-01T12:00:30Z`, auth: ADMIN }),
    204,
  );
  await check(
    'delete',
    MEAS,
    data(server, { method: 'DELETE', path: `${MEAS}?source=${id}`, auth: device }),
    403,
  );

  // events
  const EVENTS = '/event/events';
  const event = {
    source: { id },
    time: '2026-06-01T12:00:00.000Z',
    type: 'c8y_LocationUpdate',
    text: 'Moved',
    c8y_Position: { lat: 52.5, lng: 13.4 },
  };
  const e = expectJson(
    await check(
      'post',
      EVENTS,
      data(server, { method: 'POST', path: `${EVENTS}/`, auth: device, json: event }),
      201,
    ),
    201,
  );
  await check(
    'post',
    EVENTS,
    data(server, { method: 'POST', path: EVENTS, auth: device, json: { text: 'no source' } }),
    422,
  );
  await check('post', EVENTS, data(server, { method: 'POST', path: EVENTS, auth: other, json: event }), 403);
  await check(
    'get',
    EVENTS,
    data(server, { path: `${EVENTS}?source=${id}&type=c8y_LocationUpdate`, auth: device }),
    200,
  );
  await check('get', `${EVENTS}/{id}`, data(server, { path: `${EVENTS}/${e.id}`, auth: device }), 200);
  await check('get', `${EVENTS}/{id}`, data(server, { path: `${EVENTS}/424242`, auth: device }), 404);
  await check(
    'put',
    `${EVENTS}/{id}`,
    data(server, { method: 'PUT', path: `${EVENTS}/${e.id}`, auth: device, json: { text: 'Moved again' } }),
    200,
  );
  await check(
    'put',
    `${EVENTS}/{id}`,
    data(server, { method: 'PUT', path: `${EVENTS}/${e.id}`, auth: device, json: { type: 'other' } }),
    422,
  );
  await check(
    'put',
    `${EVENTS}/{id}`,
    data(server, { method: 'PUT', path: `${EVENTS}/424242`, auth: device, json: {} }),
    404,
  );
  await check(
    'delete',
    `${EVENTS}/{id}`,
    data(server, { method: 'DELETE', path: `${EVENTS}/${e.id}`, auth: device }),
    204,
  );
  await check(
    'delete',
    `${EVENTS}/{id}`,
    data(server, { method: 'DELETE', path: `${EVENTS}/${e.id}`, auth: device }),
    404,
  );
  await check('delete', EVENTS, data(server, { method: 'DELETE', path: EVENTS, auth: ADMIN }), 422);
  await check(
    'delete',
    EVENTS,
    data(server, { method: 'DELETE', path: `${EVENTS}?source=${id}`, auth: ADMIN }),
    204,
  );

  // alarms
  const ALARMS = '/alarm/alarms';
  const alarm = {
    source: { id },
    time: '2026-06-01T12:00:00.000Z',
    type: 'c8y_TemperatureAlarm',
    text: 'Too hot',
    severity: 'MAJOR',
  };
  const a = expectJson(
    await check(
      'post',
      ALARMS,
      data(server, { method: 'POST', path: ALARMS, auth: device, json: alarm }),
      201,
    ),
    201,
  );
  await check(
    'post',
    ALARMS,
    data(server, {
      method: 'POST',
      path: ALARMS,
      auth: device,
      json: { ...alarm, time: '2026-06-01T12:05:00.000Z' },
    }),
    201,
  );
  await check(
    'post',
    ALARMS,
    data(server, { method: 'POST', path: ALARMS, auth: device, json: { ...alarm, severity: 'SEVERE' } }),
    422,
  );
  await check(
    'get',
    ALARMS,
    data(server, { path: `${ALARMS}?status=ACTIVE,ACKNOWLEDGED&severity=MAJOR`, auth: device }),
    200,
  );
  await check('get', ALARMS, data(server, { path: `${ALARMS}?status=OPEN`, auth: device }), 400);
  await check('get', `${ALARMS}/{id}`, data(server, { path: `${ALARMS}/${a.id}`, auth: device }), 200);
  await check('get', `${ALARMS}/{id}`, data(server, { path: `${ALARMS}/424242`, auth: device }), 404);
  await check(
    'put',
    `${ALARMS}/{id}`,
    data(server, {
      method: 'PUT',
      path: `${ALARMS}/${a.id}`,
      auth: device,
      json: { status: 'ACKNOWLEDGED' },
    }),
    200,
  );
  await check(
    'put',
    `${ALARMS}/{id}`,
    data(server, { method: 'PUT', path: `${ALARMS}/${a.id}`, auth: device, json: { status: 'GONE' } }),
    422,
  );
  await check(
    'put',
    `${ALARMS}/{id}`,
    data(server, { method: 'PUT', path: `${ALARMS}/${a.id}`, auth: other, json: { status: 'CLEARED' } }),
    403,
  );
  await check(
    'put',
    `${ALARMS}/{id}`,
    data(server, { method: 'PUT', path: `${ALARMS}/424242`, auth: device, json: { status: 'CLEARED' } }),
    404,
  );
  await check(
    'put',
    ALARMS,
    data(server, { method: 'PUT', path: `${ALARMS}?source=${id}`, auth: ADMIN, json: { status: 'CLEARED' } }),
    200,
  );
  await check(
    'put',
    ALARMS,
    data(server, { method: 'PUT', path: ALARMS, auth: ADMIN, json: { status: 'CLEARED' } }),
    422,
  );
  await check(
    'put',
    ALARMS,
    data(server, {
      method: 'PUT',
      path: `${ALARMS}?source=${id}`,
      auth: device,
      json: { status: 'CLEARED' },
    }),
    403,
  );
  await check('delete', ALARMS, data(server, { method: 'DELETE', path: ALARMS, auth: ADMIN }), 422);
  await check(
    'delete',
    ALARMS,
    data(server, { method: 'DELETE', path: `${ALARMS}?source=${id}`, auth: ADMIN }),
    204,
  );

  // operations
  const OPS = '/devicecontrol/operations';
  const op = expectJson(
    await check(
      'post',
      OPS,
      data(server, {
        method: 'POST',
        path: OPS,
        auth: ADMIN,
        contentType: vnd('operation'),
        json: { deviceId: id, c8y_Restart: {}, description: 'Restart' },
      }),
      201,
    ),
    201,
  );
  await check(
    'post',
    OPS,
    data(server, { method: 'POST', path: OPS, auth: ADMIN, json: { c8y_Restart: {} } }),
    422,
  );
  await check(
    'post',
    OPS,
    data(server, { method: 'POST', path: OPS, auth: ADMIN, json: { deviceId: '424242', c8y_Restart: {} } }),
    404,
  );
  await check(
    'post',
    OPS,
    data(server, { method: 'POST', path: OPS, auth: other, json: { deviceId: id, c8y_Restart: {} } }),
    403,
  );
  await check('get', OPS, data(server, { path: `${OPS}?agentId=${id}&status=PENDING`, auth: device }), 200);
  await check(
    'get',
    OPS,
    data(server, { path: `${OPS}?deviceId=${id}&fragmentType=c8y_Restart&revert=true`, auth: ADMIN }),
    200,
  );
  await check('get', `${OPS}/{id}`, data(server, { path: `${OPS}/${op.id}`, auth: device }), 200);
  await check('get', `${OPS}/{id}`, data(server, { path: `${OPS}/424242`, auth: device }), 404);
  await check(
    'put',
    `${OPS}/{id}`,
    data(server, { method: 'PUT', path: `${OPS}/${op.id}`, auth: device, json: { status: 'EXECUTING' } }),
    200,
  );
  await check(
    'put',
    `${OPS}/{id}`,
    data(server, { method: 'PUT', path: `${OPS}/${op.id}`, auth: device, json: { failureReason: 'x' } }),
    422,
  );
  await check(
    'put',
    `${OPS}/{id}`,
    data(server, { method: 'PUT', path: `${OPS}/${op.id}`, auth: other, json: { status: 'FAILED' } }),
    403,
  );
  await check(
    'put',
    `${OPS}/{id}`,
    data(server, {
      method: 'PUT',
      path: `${OPS}/${op.id}`,
      auth: device,
      json: { status: 'FAILED', failureReason: 'No power' },
    }),
    200,
  );
  await check(
    'put',
    `${OPS}/{id}`,
    data(server, { method: 'PUT', path: `${OPS}/424242`, auth: device, json: { status: 'FAILED' } }),
    404,
  );
  await check('delete', OPS, data(server, { method: 'DELETE', path: OPS, auth: ADMIN }), 422);
  await check(
    'delete',
    OPS,
    data(server, { method: 'DELETE', path: `${OPS}?deviceId=${id}`, auth: device }),
    403,
  );
  await check(
    'delete',
    OPS,
    data(server, { method: 'DELETE', path: `${OPS}?deviceId=${id}`, auth: ADMIN }),
    204,
  );

  // the end of the life cycle
  const XID_DELETE = data(server, {
    method: 'DELETE',
    path: '/identity/externalIds/c8y_Serial/spec-data-01',
    auth: device,
  });
  await check('delete', XID, XID_DELETE, 204);
  await check(
    'delete',
    XID,
    data(server, { method: 'DELETE', path: '/identity/externalIds/c8y_Serial/spec-data-01', auth: device }),
    404,
  );
  await check('delete', MO, data(server, { method: 'DELETE', path: `${MOS}/${id}`, auth: other }), 403);
  await check('delete', MO, data(server, { method: 'DELETE', path: `${MOS}/${id}`, auth: device }), 204);
  await check('delete', MO, data(server, { method: 'DELETE', path: `${MOS}/${id}`, auth: device }), 404);
});

t.test('the corrections are few and each has its reason', async (t) => {
  t.ok(DATA_SPEC_CORRECTIONS.length < 20);
  for (const correction of DATA_SPEC_CORRECTIONS) t.ok(correction.why.length > 20, correction.where);
});
