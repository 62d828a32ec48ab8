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

const ca = await rootCa(T0, 'Event CA');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: ca.certificate.pem }] }]);
const EVENTS = '/event/events';
const at = (minute: number) => `2026-06-01T12:${String(minute).padStart(2, '0')}:00.000Z`;

t.test(
  'events: the trailing-slash POST thin-edge sends, update of text and fragments, the read-only fields',
  async (t) => {
    const clock = new TestClock(T0);
    const server = await startServer(t, { seed, clock });
    const base = `https://localhost:${server.port}`;
    const device = bearer(await deviceToken(server, ca, 'event-01', T0));
    const other = bearer(await deviceToken(server, ca, 'event-02', T0));
    const id = await createDevice(server, device, 'Event source');

    const response = await data(server, {
      method: 'POST',
      path: `${EVENTS}/`,
      auth: device,
      json: {
        source: { id },
        time: at(5),
        type: 'c8y_LocationUpdate',
        text: 'Location updated',
        c8y_Position: { lat: 1, lng: 2 },
      },
    });
    const event = expectJson(response, 201);
    t.match(String(response.headers['content-type']), /^application\/vnd\.com\.nsn\.cumulocity\.event\+json/);
    t.same(event, {
      id: event.id,
      self: `${base}${EVENTS}/${event.id}`,
      creationTime: '2026-06-01T12:00:00.000Z',
      lastUpdated: '2026-06-01T12:00:00.000Z',
      source: { id, self: `${base}/inventory/managedObjects/${id}` },
      text: 'Location updated',
      time: at(5),
      type: 'c8y_LocationUpdate',
      c8y_Position: { lat: 1, lng: 2 },
    });
    t.equal(response.headers.location, event.self);

    clock.advance(1000);
    const updated = expectJson(
      await data(server, {
        method: 'PUT',
        path: `${EVENTS}/${event.id}`,
        auth: device,
        json: { ...event, text: 'Moved', c8y_Position: null, c8y_Note: 'x' },
      }),
      200,
    );
    t.match(updated, {
      text: 'Moved',
      c8y_Note: 'x',
      lastUpdated: '2026-06-01T12:00:01.000Z',
      creationTime: '2026-06-01T12:00:00.000Z',
    });
    t.notOk('c8y_Position' in updated, 'null removes a fragment');
    const changeType = await data(server, {
      method: 'PUT',
      path: `${EVENTS}/${event.id}`,
      auth: device,
      json: { type: 'other', time: at(6) },
    });
    assertError(t, changeType, 422, 'undefined/validationError', /^type, time cannot be changed/);
    const changeSource = await data(server, {
      method: 'PUT',
      path: `${EVENTS}/${event.id}`,
      auth: device,
      json: { source: { id: '1234' } },
    });
    assertError(t, changeSource, 422, 'undefined/validationError', /^source cannot be changed/);
    assertError(
      t,
      await data(server, { method: 'PUT', path: `${EVENTS}/${event.id}`, auth: other, json: { text: 'no' } }),
      403,
      'security/Forbidden',
      'Access is denied.',
    );
    assertError(
      t,
      await data(server, { path: `${EVENTS}/777777`, auth: device }),
      404,
      'event/Not Found',
      "Finding event from database failed : No event for gid '777777'!",
    );
    const missing = await data(server, {
      method: 'POST',
      path: EVENTS,
      auth: device,
      json: { source: { id }, type: 'x' },
    });
    assertError(
      t,
      missing,
      422,
      'undefined/validationError',
      'Following mandatory fields should be included: text,time',
    );
  },
);

t.test('event queries: newest first, revert, fragment and its value, created range; retention', async (t) => {
  const clock = new TestClock(T0);
  const server = await startServer(t, { seed, clock, config: { retention: { maxEvents: 4 } } });
  const device = bearer(await deviceToken(server, ca, 'event-03', T0));
  const id = await createDevice(server, device, 'Event source');
  const send = async (minute: number, type: string, fragments: Json = {}) => {
    clock.set(T0 + minute * 60_000);
    return expectJson(
      await data(server, {
        method: 'POST',
        path: EVENTS,
        auth: device,
        json: { source: { id }, time: at(minute), type, text: type, ...fragments },
      }),
      201,
    ).id!;
  };
  await send(1, 'a', { c8y_Status: 'up' });
  await send(3, 'b', { c8y_Status: 'down' });
  await send(2, 'a');
  const minutes = async (query: string) =>
    (
      expectJson(await data(server, { path: `${EVENTS}?pageSize=50&${query}`, auth: ADMIN }), 200)
        .events as Json[]
    ).map((e) => Number((e.time as string).slice(14, 16)));
  t.same(await minutes(''), [3, 2, 1], 'newest first by default');
  t.same(await minutes('revert=true'), [1, 2, 3]);
  t.same(await minutes('type=a'), [2, 1]);
  t.same(await minutes('fragmentType=c8y_Status'), [3, 1]);
  t.same(await minutes('fragmentType=c8y_Status&fragmentValue=up'), [1]);
  t.same(
    await minutes(`createdFrom=${at(2)}`),
    [3, 2],
    'createdFrom is the creation time, not the event time',
  );
  t.same(await minutes(`source=${id}&dateTo=${at(2)}`), [2, 1]);

  await send(4, 'c');
  await send(5, 'c');
  t.same(await minutes('revert=true'), [2, 3, 4, 5], '--max-events 4: the first stored (minute 1) went');
  t.equal(
    (await data(server, { method: 'DELETE', path: `${EVENTS}?type=c`, auth: ADMIN })).status,
    422,
    'type alone is no filter for DELETE',
  );
  t.equal(
    (await data(server, { method: 'DELETE', path: `${EVENTS}?dateFrom=${at(4)}`, auth: ADMIN })).status,
    204,
  );
  t.same(await minutes(''), [3, 2]);
});
