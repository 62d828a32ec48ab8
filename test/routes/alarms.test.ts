import t from 'tap';
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
} from '../helpers/device-data.js';
import { rootCa } from '../helpers/pki.js';
import { startServer } from '../helpers/server.js';

const ca = await rootCa(T0, 'Alarm CA');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: ca.certificate.pem }] }]);
const ALARMS = '/alarm/alarms';
const at = (minute: number) => `2026-06-01T12:${String(minute).padStart(2, '0')}:00.000Z`;

t.test('de-duplication: the same source and type raise the count; CLEARED alarms start anew', async (t) => {
  const clock = new TestClock(T0);
  const server = await startServer(t, { seed, clock });
  const base = `https://localhost:${server.port}`;
  const device = bearer(await deviceToken(server, ca, 'alarm-01', T0));
  const id = await createDevice(server, device, 'Boiler');
  const raise = (minute: number, extra: Json = {}) =>
    data(server, {
      method: 'POST',
      path: ALARMS,
      auth: device,
      json: {
        source: { id },
        type: 'c8y_TemperatureAlarm',
        text: 'Too hot',
        severity: 'MAJOR',
        time: at(minute),
        ...extra,
      },
    });

  const first = expectJson(await raise(1), 201);
  t.same(first, {
    id: first.id,
    self: `${base}${ALARMS}/${first.id}`,
    count: 1,
    creationTime: '2026-06-01T12:00:00.000Z',
    lastUpdated: '2026-06-01T12:00:00.000Z',
    severity: 'MAJOR',
    source: { id, name: 'Boiler', self: `${base}/inventory/managedObjects/${id}` },
    status: 'ACTIVE',
    text: 'Too hot',
    time: at(1),
    type: 'c8y_TemperatureAlarm',
  });
  clock.advance(5000);
  const second = await raise(2, { text: 'Hotter', severity: 'CRITICAL' });
  const again = expectJson(second, 201);
  t.equal(again.id, first.id, 'the same alarm');
  t.match(again, {
    count: 2,
    time: at(2),
    firstOccurrenceTime: at(1),
    text: 'Too hot',
    severity: 'MAJOR',
    lastUpdated: '2026-06-01T12:00:05.000Z',
  });
  t.equal(second.headers.location, `${base}${ALARMS}/${first.id}`);

  const acknowledged = expectJson(
    await data(server, {
      method: 'PUT',
      path: `${ALARMS}/${first.id}`,
      auth: device,
      json: { status: 'ACKNOWLEDGED' },
    }),
    200,
  );
  t.equal(acknowledged.status, 'ACKNOWLEDGED');
  t.equal(expectJson(await raise(3), 201).count, 3, 'an ACKNOWLEDGED alarm is raised again too');

  const cleared = expectJson(
    await data(server, {
      method: 'PUT',
      path: `${ALARMS}/${first.id}`,
      auth: device,
      json: { status: 'CLEARED', text: 'cooled' },
    }),
    200,
  );
  t.match(cleared, { status: 'CLEARED', text: 'cooled', count: 3 });
  const fresh = expectJson(await raise(4), 201);
  t.not(fresh.id, first.id, 'after CLEARED a new alarm is created');
  t.equal(fresh.count, 1);
  t.notOk('firstOccurrenceTime' in fresh, 'firstOccurrenceTime only once count > 1');

  const otherType = expectJson(await raise(5, { type: 'c8y_OtherAlarm' }), 201);
  t.not(otherType.id, fresh.id, 'another type is another alarm');
});

t.test('severity and status checked, read-only fields, queries and bulk changes', async (t) => {
  const server = await startServer(t, { seed, clock: new TestClock(T0) });
  const device = bearer(await deviceToken(server, ca, 'alarm-02', T0));
  const stranger = bearer(await deviceToken(server, ca, 'alarm-03', T0));
  const id = await createDevice(server, device, 'Pump');
  const raise = async (minute: number, type: string, severity: string, status?: string) =>
    expectJson(
      await data(server, {
        method: 'POST',
        path: ALARMS,
        auth: device,
        json: { source: { id }, type, text: type, severity, time: at(minute), ...(status ? { status } : {}) },
      }),
      201,
    );
  const bad = await data(server, {
    method: 'POST',
    path: ALARMS,
    auth: device,
    json: { source: { id }, type: 'x', text: 'x', severity: 'minor', time: at(0) },
  });
  assertError(
    t,
    bad,
    422,
    'undefined/validationError',
    'severity must be one of CRITICAL, MAJOR, MINOR, WARNING; got "minor".',
  );
  const badStatus = await data(server, {
    method: 'POST',
    path: ALARMS,
    auth: device,
    json: { source: { id }, type: 'x', text: 'x', severity: 'MINOR', time: at(0), status: 'OPEN' },
  });
  assertError(
    t,
    badStatus,
    422,
    'undefined/validationError',
    /status must be one of ACTIVE, ACKNOWLEDGED, CLEARED/,
  );
  const missing = await data(server, {
    method: 'POST',
    path: ALARMS,
    auth: device,
    json: { source: { id } },
  });
  assertError(
    t,
    missing,
    422,
    'undefined/validationError',
    'Following mandatory fields should be included: severity,text,time,type',
  );

  const major = await raise(1, 'a', 'MAJOR');
  await raise(2, 'b', 'MINOR', 'ACKNOWLEDGED');
  await raise(3, 'c', 'WARNING', 'CLEARED');
  const types = async (query: string, auth = ADMIN) =>
    (
      expectJson(await data(server, { path: `${ALARMS}?pageSize=50&${query}`, auth }), 200).alarms as Json[]
    ).map((a) => a.type);
  t.same(await types(''), ['c', 'b', 'a'], 'newest first');
  t.same(await types('status=ACTIVE,ACKNOWLEDGED'), ['b', 'a']);
  t.same(await types('resolved=true'), ['c']);
  t.same(await types('resolved=false&status=CLEARED'), ['b', 'a'], 'resolved wins over status');
  t.same(await types('severity=MAJOR,WARNING'), ['c', 'a']);
  t.same(await types('type=a,c'), ['c', 'a']);
  t.same(await types(`dateFrom=${at(2)}`), ['c', 'b']);
  t.same(await types('', stranger), ['c', 'b', 'a'], 'devices read every alarm (ROLE_ALARM_READ)');
  assertError(
    t,
    await data(server, { path: `${ALARMS}?severity=HUGE`, auth: ADMIN }),
    400,
    'alarm/Bad Request',
    /severity must be one of/,
  );

  const moved = await data(server, {
    method: 'PUT',
    path: `${ALARMS}/${major.id}`,
    auth: device,
    json: { time: at(9), status: 'CLEARED' },
  });
  assertError(t, moved, 422, 'undefined/validationError', /^time cannot be changed/);
  const echoed = await data(server, {
    method: 'PUT',
    path: `${ALARMS}/${major.id}`,
    auth: device,
    json: { ...major, severity: 'CRITICAL' },
  });
  t.equal(
    expectJson(echoed, 200).severity,
    'CRITICAL',
    'the whole alarm echoed back with one change is fine',
  );
  assertError(
    t,
    await data(server, {
      method: 'PUT',
      path: `${ALARMS}/${major.id}`,
      auth: stranger,
      json: { status: 'CLEARED' },
    }),
    403,
    'security/Forbidden',
    'Access is denied.',
  );
  assertError(
    t,
    await data(server, { path: `${ALARMS}/888888`, auth: device }),
    404,
    'alarm/Not Found',
    "Finding alarm from database failed : No alarm for gid '888888'!",
  );

  t.equal(
    (
      await data(server, {
        method: 'PUT',
        path: `${ALARMS}?status=ACTIVE,ACKNOWLEDGED`,
        auth: ADMIN,
        json: { status: 'CLEARED' },
      })
    ).status,
    200,
  );
  t.same(await types('resolved=false'), [], 'every open alarm cleared at once');
  assertError(
    t,
    await data(server, { method: 'PUT', path: `${ALARMS}?source=${id}`, auth: ADMIN, json: {} }),
    422,
    'undefined/validationError',
    'Following mandatory fields should be included: status',
  );
  t.equal(
    (await data(server, { method: 'DELETE', path: `${ALARMS}?source=${id}`, auth: ADMIN })).status,
    204,
  );
  t.same(await types(''), []);
});
