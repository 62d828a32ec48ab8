import { request } from 'node:https';
import t from 'tap';
import { adminSeed } from '../helpers/admin.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, data, expectJson, type Json, T0 } from '../helpers/device-data.js';
import { keptConnection } from '../helpers/kept-connection.js';
import { device as makeDevice, rootCa } from '../helpers/pki.js';
import { startServer } from '../helpers/server.js';

/*
 * The integration life cycle of the Cumulocity docs (device-integration,
 * REST), as a device runs it: one TLS connection with its certificate, the
 * token from the mTLS endpoint, then every step with the token. The tenant
 * administrator reads all of it back afterwards.
 */
const ca = await rootCa(T0, 'Lifecycle CA');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: ca.certificate.pem }] }]);
const SERIAL = 'lifecycle-device-0001';

t.test('the REST integration life cycle over mTLS, read back by the administrator', async (t) => {
  const clock = new TestClock(T0);
  // One real TLS connection for the whole life cycle: only a socket shows that.
  const server = await startServer(t, { seed, clock, listen: true });
  const dev = await makeDevice(ca, T0, SERIAL);
  const kept = keptConnection(t, server, { cert: dev.certPem, key: dev.keyPem });
  const send = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const response = await kept.send(
      method,
      path,
      headers,
      body === undefined ? undefined : JSON.stringify(body),
    );
    const { location } = response.headers;
    return {
      status: response.status,
      json: (response.text ? JSON.parse(response.text) : {}) as Json,
      ...(typeof location === 'string' ? { location } : {}),
    };
  };

  // 0. The token, with the device certificate.
  const token = await send('POST', '/devicecontrol/deviceAccessToken', { accept: 'application/json' });
  t.equal(token.status, 200);
  const auth = {
    authorization: `Bearer ${token.json.accessToken}`,
    accept: 'application/json',
    'content-type': 'application/json',
  };
  const vnd = (name: string) => ({
    ...auth,
    'content-type': `application/vnd.com.nsn.cumulocity.${name}+json`,
  });

  // 1. Am I registered? Not yet.
  const lookup = await send('GET', `/identity/externalIds/c8y_Serial/${SERIAL}`, auth);
  t.same(lookup, {
    status: 404,
    json: {
      error: 'identity/Not Found',
      message: `External id not found; external id = ID [type=c8y_Serial, value=${SERIAL}]`,
      info: 'https://www.cumulocity.com/guides/reference-guide/#error_reporting',
    },
  });

  // 2. Create the device, 3. bind the serial.
  const created = await send('POST', '/inventory/managedObjects', vnd('managedobject'), {
    name: 'Lifecycle device',
    type: 'c8y_Lifecycle',
    c8y_IsDevice: {},
    com_cumulocity_model_Agent: {},
    c8y_SupportedOperations: ['c8y_Restart'],
    c8y_RequiredAvailability: { responseInterval: 10 },
  });
  t.equal(created.status, 201);
  const id = created.json.id as string;
  const bound = await send('POST', `/identity/globalIds/${id}/externalIds`, vnd('externalid'), {
    type: 'c8y_Serial',
    externalId: SERIAL,
  });
  t.equal(bound.status, 201);
  const again = await send('GET', `/identity/externalIds/c8y_Serial/${SERIAL}`, auth);
  t.equal((again.json.managedObject as Json).id, id, 'the next start finds itself');

  // 4. Update the device, 5. send data.
  clock.advance(1000);
  t.equal(
    (await send('PUT', `/inventory/managedObjects/${id}`, auth, { c8y_Hardware: { serialNumber: SERIAL } }))
      .status,
    200,
  );
  const measurement = await send('POST', '/measurement/measurements', vnd('measurement'), {
    source: { id },
    time: '2026-06-01T12:00:01.000Z',
    type: 'c8y_TemperatureMeasurement',
    c8y_TemperatureMeasurement: { T: { value: 21.5, unit: 'C' } },
  });
  t.equal(measurement.status, 201);
  const event = await send('POST', '/event/events/', vnd('event'), {
    source: { id },
    time: '2026-06-01T12:00:02.000Z',
    type: 'c8y_BootEvent',
    text: 'Device started',
  });
  t.equal(event.status, 201);
  const alarm = {
    source: { id },
    type: 'c8y_UnavailabilityAlarm',
    text: 'Sensor missing',
    severity: 'MAJOR',
  };
  const first = await send('POST', '/alarm/alarms', vnd('alarm'), {
    ...alarm,
    time: '2026-06-01T12:00:03.000Z',
  });
  const second = await send('POST', '/alarm/alarms', vnd('alarm'), {
    ...alarm,
    time: '2026-06-01T12:00:04.000Z',
  });
  t.equal(second.json.id, first.json.id);
  t.equal(second.json.count, 2, 'the alarm sent twice counts 2');

  // 6. The tenant asks for a restart; the device picks it up and finishes it.
  const operation = await new Promise<Json>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        method: 'POST',
        path: '/devicecontrol/operations',
        ca: server.serverCa,
        agent: false,
        headers: {
          authorization: ADMIN,
          accept: 'application/json',
          'content-type': 'application/json',
          host: `localhost:${server.port}`,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve(JSON.parse(text) as Json));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ deviceId: id, c8y_Restart: {}, description: 'Restart' }));
  });
  const pending = await send('GET', `/devicecontrol/operations?agentId=${id}&status=PENDING`, auth);
  const picked = (pending.json.operations as Json[])[0]!;
  t.equal(picked.id, operation.id, 'the device finds the operation');
  t.equal(
    (await send('PUT', `/devicecontrol/operations/${picked.id}`, vnd('operation'), { status: 'EXECUTING' }))
      .json.status,
    'EXECUTING',
  );
  t.equal(
    (await send('PUT', `/devicecontrol/operations/${picked.id}`, vnd('operation'), { status: 'SUCCESSFUL' }))
      .json.status,
    'SUCCESSFUL',
  );
  t.equal(kept.connections(), 1, 'all of it over one TLS connection');

  // The administrator reads everything back.
  const read = async (path: string) => expectJson(await data(server, { path, auth: ADMIN }), 200);
  t.match(await read(`/inventory/managedObjects/${id}`), {
    name: 'Lifecycle device',
    owner: `device_${SERIAL}`,
    c8y_Hardware: { serialNumber: SERIAL },
    lastUpdated: '2026-06-01T12:00:01.000Z',
  });
  t.match((await read(`/measurement/measurements?source=${id}`)).measurements, [
    { c8y_TemperatureMeasurement: { T: { value: 21.5, unit: 'C' } } },
  ]);
  t.match((await read(`/event/events?source=${id}`)).events, [
    { type: 'c8y_BootEvent', text: 'Device started' },
  ]);
  t.match((await read(`/alarm/alarms?source=${id}`)).alarms, [
    {
      count: 2,
      firstOccurrenceTime: '2026-06-01T12:00:03.000Z',
      time: '2026-06-01T12:00:04.000Z',
      status: 'ACTIVE',
    },
  ]);
  t.match((await read(`/devicecontrol/operations?deviceId=${id}`)).operations, [
    { status: 'SUCCESSFUL', c8y_Restart: {} },
  ]);
});
