import t, { type Test } from 'tap';
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
import { type StartOptions, startServer } from '../helpers/server.js';

const ca = await rootCa(T0, 'Measurement CA');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: ca.certificate.pem }] }]);
const MEAS = '/measurement/measurements';

async function setUp(t: Test, config: StartOptions['config'] = {}) {
  const server = await startServer(t, { seed, clock: new TestClock(T0), config });
  const device = bearer(await deviceToken(server, ca, 'measure-01', T0));
  const id = await createDevice(server, device, 'Thermometer');
  return { server, device, id, base: `https://localhost:${server.port}` };
}
const at = (minute: number) => `2026-06-01T12:${String(minute).padStart(2, '0')}:00.000Z`;

t.test(
  'one measurement: values kept, time written in UTC, invalid series handled as the platform does',
  async (t) => {
    const { server, device, id, base } = await setUp(t);
    const response = await data(server, {
      method: 'POST',
      path: MEAS,
      auth: device,
      contentType: vnd('measurement'),
      json: {
        source: { id },
        time: '2026-06-01T14:00:00.5+02:00',
        type: 'c8y_TemperatureMeasurement',
        c8y_Temperature: { T: { value: 21.5, unit: 'C' } },
        mixed: {
          valid: { value: 42 },
          ignoredBoolean: { value: false, unit: 't/f' },
          ignoredNumber: 42,
          ignoredNoValue: { unit: 'C' },
        },
        onlyInvalid: { flag: { value: true }, list: { value: [1, 2] } },
        note: 'kept as a plain property',
      },
    });
    const m = expectJson(response, 201);
    t.equal(response.headers.location, `${base}${MEAS}/${m.id}`);
    t.same(m, {
      id: m.id,
      self: `${base}${MEAS}/${m.id}`,
      source: { id, self: `${base}/inventory/managedObjects/${id}` },
      time: '2026-06-01T12:00:00.500Z',
      type: 'c8y_TemperatureMeasurement',
      c8y_Temperature: { T: { value: 21.5, unit: 'C' } },
      mixed: { valid: { value: 42 } },
      onlyInvalid: { flag: { value: true }, list: { value: [1, 2] } },
      note: 'kept as a plain property',
    });
    t.same(
      expectJson(await data(server, { path: `${MEAS}/${m.id}`, auth: ADMIN }), 200),
      m,
      'read back as stored',
    );

    const badUnit = await data(server, {
      method: 'POST',
      path: MEAS,
      auth: device,
      json: { source: { id }, time: at(0), type: 't', c8y_T: { T: { value: 1, unit: '' } } },
    });
    assertError(t, badUnit, 422, 'undefined/validationError', /c8y_T\.T\.unit must be a non-empty string/);
    const badTime = await data(server, {
      method: 'POST',
      path: MEAS,
      auth: device,
      json: { source: { id }, time: 'yesterday', type: 't' },
    });
    assertError(
      t,
      badTime,
      422,
      'undefined/validationError',
      /time must be an ISO 8601 date and time with a zone/,
    );
    const noZone = await data(server, {
      method: 'POST',
      path: MEAS,
      auth: device,
      json: { source: { id }, time: '2026-06-01T12:00:00', type: 't' },
    });
    t.equal(noZone.status, 422, 'a time without a zone is ambiguous');
    const noDay = await data(server, {
      method: 'POST',
      path: MEAS,
      auth: device,
      json: { source: { id }, time: '2026-02-30T12:00:00Z', type: 't' },
    });
    t.equal(noDay.status, 422, 'a day that does not exist');
    const missing = await data(server, { method: 'POST', path: MEAS, auth: device, json: { c8y_T: {} } });
    assertError(
      t,
      missing,
      422,
      'undefined/validationError',
      'Following mandatory fields should be included: source,time,type',
    );
    const noId = await data(server, {
      method: 'POST',
      path: MEAS,
      auth: device,
      json: { source: {}, time: at(0), type: 't' },
    });
    assertError(
      t,
      noId,
      422,
      'undefined/validationError',
      'Following mandatory fields should be included: source.id',
    );
    const unknown = await data(server, {
      method: 'POST',
      path: MEAS,
      auth: device,
      json: { source: { id: '999999' }, time: at(0), type: 't' },
    });
    assertError(
      t,
      unknown,
      404,
      'inventory/Not Found',
      "Finding device data from database failed : No managedObject for id '999999'!",
    );
    const notJson = await data(server, { method: 'POST', path: MEAS, auth: device, json: [1] });
    assertError(t, notJson, 422, 'undefined/validationError', /must be a JSON object/);
    const noMeasurement = await data(server, { path: `${MEAS}/999999`, auth: device });
    assertError(
      t,
      noMeasurement,
      404,
      'measurement/Not Found',
      "Finding measurement from database failed : No measurement for gid '999999'!",
    );
  },
);

t.test('the body only when Accept is sent, unless --response-body always', async (t) => {
  const { server, device, id, base } = await setUp(t);
  const silent = await data(server, {
    method: 'POST',
    path: MEAS,
    auth: device,
    accept: null,
    json: { source: { id }, time: at(1), type: 't' },
  });
  t.equal(silent.status, 201);
  t.equal(silent.raw.length, 0, 'no Accept: no body (the OpenAPI rule)');
  t.match(silent.headers.location, new RegExp(`^${base}${MEAS}/\\d+$`), 'Location still says where it is');
  const star = await data(server, {
    method: 'POST',
    path: MEAS,
    auth: device,
    accept: '*/*',
    json: { source: { id }, time: at(2), type: 't' },
  });
  t.equal(expectJson(star, 201).type, 't', 'any Accept (curl sends */*) gets the body');

  const always = await setUp(t, { responseBody: 'always' });
  const sent = await data(always.server, {
    method: 'POST',
    path: MEAS,
    auth: always.device,
    accept: null,
    json: { source: { id: always.id }, time: at(3), type: 't' },
  });
  t.equal(expectJson(sent, 201).time, at(3), '--response-body always sends it anyway');
});

t.test('a collection of measurements is stored whole or not at all', async (t) => {
  const { server, device, id } = await setUp(t);
  const collection = await data(server, {
    method: 'POST',
    path: MEAS,
    auth: device,
    contentType: vnd('measurementcollection'),
    json: {
      measurements: [1, 2, 3].map((minute) => ({
        source: { id },
        time: at(minute),
        type: 'bulk',
        bulk: { v: { value: minute } },
      })),
    },
  });
  t.match(String(collection.headers['content-type']), /measurementcollection\+json/);
  t.same(
    (expectJson(collection, 201).measurements as Json[]).map((m) => m.time),
    [at(1), at(2), at(3)],
  );
  const broken = await data(server, {
    method: 'POST',
    path: MEAS,
    auth: device,
    contentType: vnd('measurementcollection'),
    json: {
      measurements: [
        { source: { id }, time: at(4), type: 'bulk' },
        { source: { id }, type: 'bulk' },
      ],
    },
  });
  assertError(
    t,
    broken,
    422,
    'undefined/validationError',
    'Following mandatory fields should be included: time',
  );
  const all = expectJson(await data(server, { path: `${MEAS}?type=bulk&pageSize=100`, auth: ADMIN }), 200);
  t.equal((all.measurements as Json[]).length, 3, 'the first of the refused collection was not stored');
  const asJson = await data(server, { method: 'POST', path: MEAS, auth: device, json: { measurements: [] } });
  t.equal(asJson.status, 422, 'as application/json it is one measurement, and lacks source, time and type');
});

t.test('queries: source, type, fragment and series, date range, order and paging', async (t) => {
  const { server, device, id } = await setUp(t);
  const other = await createDevice(server, device, 'Other');
  const send = (source: string, minute: number, type: string, fragments: Json) =>
    data(server, {
      method: 'POST',
      path: MEAS,
      auth: device,
      json: { source: { id: source }, time: at(minute), type, ...fragments },
    });
  await send(id, 3, 'temp', { c8y_Temperature: { T: { value: 3 } } });
  await send(id, 1, 'temp', { c8y_Temperature: { T: { value: 1 } } });
  await send(id, 2, 'power', { c8y_Power: { P: { value: 2 }, Q: { value: 5 } } });
  await send(other, 4, 'temp', { c8y_Temperature: { T: { value: 4 } } });
  const times = async (query: string) =>
    (
      expectJson(await data(server, { path: `${MEAS}?pageSize=100&${query}`, auth: ADMIN }), 200)
        .measurements as Json[]
    ).map((m) => Number((m.time as string).slice(14, 16)));
  t.same(await times(`source=${id}`), [1, 2, 3], 'oldest first, by time, as legacy measurements');
  t.same(await times(`source=${id}&revert=true`), [3, 2, 1], 'revert: newest first');
  t.same(await times('type=temp'), [1, 3, 4]);
  t.same(await times('valueFragmentType=c8y_Power'), [2]);
  t.same(await times('valueFragmentType=c8y_Power&valueFragmentSeries=Q'), [2]);
  t.same(await times('valueFragmentType=c8y_Power&valueFragmentSeries=T'), []);
  t.same(await times('valueFragmentSeries=T'), [1, 3, 4]);
  t.same(await times(`dateFrom=${at(2)}&dateTo=${at(3)}`), [2, 3], 'both ends included');
  t.same(await times('dateFrom=2026-06-02'), [], 'a bare date is midnight UTC');
  t.same(await times('source=999999'), [], 'an unknown source matches nothing');
  const bad = await data(server, { path: `${MEAS}?dateFrom=june`, auth: ADMIN });
  assertError(t, bad, 400, 'measurement/Bad Request', /dateFrom must be a date/);
  const twice = await data(server, { path: `${MEAS}?type=a&type=b`, auth: ADMIN });
  assertError(t, twice, 400, 'measurement/Bad Request', /given more than once/);
  const page = expectJson(
    await data(server, { path: `${MEAS}?pageSize=3&currentPage=2&withTotalElements=true`, auth: device }),
    200,
  );
  t.same(page.statistics, { currentPage: 2, pageSize: 3, totalPages: 2, totalElements: 4 });
  t.equal((page.measurements as Json[]).length, 1);
  // totalPages "is returned by default except when an operation retrieves all records where values
  // are between an upper and lower boundary" (the 2026 spec): a dateFrom–dateTo query asks for it.
  const range = `dateFrom=${at(1)}&dateTo=${at(4)}&pageSize=3`;
  const ranged = expectJson(await data(server, { path: `${MEAS}?${range}`, auth: device }), 200);
  t.same(ranged.statistics, { currentPage: 1, pageSize: 3 }, 'a range query: no totalPages');
  const asked = expectJson(
    await data(server, { path: `${MEAS}?${range}&withTotalPages=true`, auth: device }),
    200,
  );
  t.same(asked.statistics, { currentPage: 1, pageSize: 3, totalPages: 2 }, 'unless asked for');
  const refused = expectJson(
    await data(server, { path: `${MEAS}?pageSize=3&withTotalPages=false`, auth: device }),
    200,
  );
  t.same(refused.statistics, { currentPage: 1, pageSize: 3 }, 'withTotalPages=false leaves it out');
});

t.test(
  'deleting: one by its source’s owner, many only by an administrator and never unfiltered',
  async (t) => {
    const { server, device, id } = await setUp(t);
    const other = bearer(await deviceToken(server, ca, 'measure-02', T0));
    const ids: string[] = [];
    for (const minute of [1, 2, 3]) {
      ids.push(
        expectJson(
          await data(server, {
            method: 'POST',
            path: MEAS,
            auth: device,
            json: { source: { id }, time: at(minute), type: 't' },
          }),
          201,
        ).id!,
      );
    }
    assertError(
      t,
      await data(server, { method: 'DELETE', path: `${MEAS}/${ids[0]}`, auth: other }),
      403,
      'security/Forbidden',
      'Access is denied.',
    );
    t.equal((await data(server, { method: 'DELETE', path: `${MEAS}/${ids[0]}`, auth: device })).status, 204);
    assertError(
      t,
      await data(server, { method: 'DELETE', path: `${MEAS}?source=${id}`, auth: device }),
      403,
      'security/Forbidden',
      'Access is denied.',
    );
    assertError(
      t,
      await data(server, { method: 'DELETE', path: MEAS, auth: ADMIN }),
      422,
      'measurement/Unprocessable Entity',
      'Deleting measurements needs at least one of the query parameters source, dateFrom, dateTo.',
    );
    t.equal(
      (await data(server, { method: 'DELETE', path: `${MEAS}?source=${id}&dateTo=${at(2)}`, auth: ADMIN }))
        .status,
      204,
    );
    const left = expectJson(await data(server, { path: `${MEAS}?source=${id}`, auth: ADMIN }), 200)
      .measurements as Json[];
    t.same(
      left.map((m) => m.id),
      [ids[2]],
    );
    const post = await data(server, {
      method: 'POST',
      path: MEAS,
      auth: other,
      json: { source: { id }, time: at(9), type: 't' },
    });
    assertError(t, post, 403, 'security/Forbidden', 'Access is denied.');
  },
);

t.test('at most --max-measurements are kept: the oldest go first', async (t) => {
  const { server, device, id } = await setUp(t, { retention: { maxMeasurements: 3 } });
  const ids: string[] = [];
  for (const minute of [1, 2, 3, 4, 5]) {
    ids.push(
      expectJson(
        await data(server, {
          method: 'POST',
          path: MEAS,
          auth: device,
          json: { source: { id }, time: at(minute), type: 't' },
        }),
        201,
      ).id!,
    );
  }
  const kept = expectJson(
    await data(server, { path: `${MEAS}?pageSize=10&withTotalElements=true`, auth: ADMIN }),
    200,
  );
  t.same(
    (kept.measurements as Json[]).map((m) => m.id),
    ids.slice(2),
    'the two oldest went',
  );
  t.equal((kept.statistics as Json).totalElements, 3);
  t.equal((await data(server, { path: `${MEAS}/${ids[0]}`, auth: ADMIN })).status, 404);
});
