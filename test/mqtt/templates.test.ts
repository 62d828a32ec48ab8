import t, { type Test } from 'tap';
import { admin } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { claimsOf, closed, collect, connectDevice, nextMessage } from '../helpers/mqtt.js';
import { device, rootCa } from '../helpers/pki.js';
import { seedWith } from '../helpers/seeds.js';
import { startServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';

/*
 * SmartREST static templates over MQTT land in the tenant's device data, where
 * the REST APIs (as the tenant administrator) read them; operations created
 * over REST reach the device on s/ds and its status updates come back.
 */

const now = TEST_NOW;
const root = await rootCa(now, 'Templates CA');
const server = await startServer(t, {
  mqtt: true,
  seed: seedWith([{ id: 't100', domain: 't100.example.test', pem: root.certificate.pem }]),
});
const { decisions } = server.app.services;

const devices = new Map<string, Awaited<ReturnType<typeof device>>>();
async function connectAs(t: Test, cn: string, extra: Partial<Parameters<typeof connectDevice>[2]> = {}) {
  if (!devices.has(cn)) devices.set(cn, await device(root, now, cn));
  const dev = devices.get(cn)!;
  return connectDevice(t, server, { cert: dev.certPem, key: dev.keyPem, clientId: cn, ...extra });
}

/** GET as the tenant administrator; the JSON body. */
async function rest<T = Record<string, unknown>>(path: string): Promise<T> {
  const response = await admin(server, { path });
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${response.text}`);
  return response.json() as T;
}

/** The managed object id bound to c8y_Serial = `xid`. */
async function idOf(xid: string): Promise<string> {
  const bound = await rest<{ managedObject: { id: string } }>(`/identity/externalIds/c8y_Serial/${xid}`);
  return bound.managedObject.id;
}

t.test('a thin-edge-like sequence: 100 at QoS 1 with its PUBACK, then s/uat for the token', async (t) => {
  const client = await connectAs(t, 'tedge-01', { keepalive: 5 });
  // publishAsync resolves on the PUBACK; the platform answers 100 with nothing else.
  const puback = await client.publishAsync('s/us', '100,tedge-01,thin-edge.io', { qos: 1 });
  t.ok(puback, 'PUBACK received');
  await client.subscribeAsync('s/dat', { qos: 0 });
  const answer = nextMessage(client, 's/dat');
  await client.publishAsync('s/uat', '', { qos: 0 });
  const line = await answer;
  t.match(line, /^71,/);
  t.equal(claimsOf(line.split(',')[1]!).iss, 't100.example.test', 'iss is the tenant domain');

  const object = await rest(`/inventory/managedObjects/${await idOf('tedge-01')}`);
  t.match(object, {
    name: 'tedge-01',
    type: 'thin-edge.io',
    owner: 'device_tedge-01',
    c8y_IsDevice: {},
    com_cumulocity_model_Agent: {},
  });
});

t.test('100, then 200, 400 and 301 are visible through the REST APIs; 100 again gives 41', async (t) => {
  const client = await connectAs(t, 'data-01');
  await client.subscribeAsync('s/e');
  const errors = collect(client, 's/e');
  await client.publishAsync('s/us', '100,My data device,c8y_Test', { qos: 1 });
  await client.publishAsync(
    's/us',
    [
      '200,c8y_Temperature,T,21.5,C,2026-05-31T14:00:00+02:00',
      '400,c8y_DoorOpened,"Door opened, \\"front\\"",2026-06-01T12:00:01.000Z',
      '301,c8y_Overheat,Too hot',
      '110,SN-1,Model X,rev2',
      '114,c8y_Restart,c8y_Command',
    ].join('\n'),
    { qos: 1 },
  );
  await client.publishAsync('s/us', '200,c8y_Humidity,H,55', { qos: 0 });
  const id = await idOf('data-01');
  const object = await rest(`/inventory/managedObjects/${id}`);
  t.match(object, {
    name: 'My data device',
    type: 'c8y_Test',
    owner: 'device_data-01',
    c8y_Hardware: { serialNumber: 'SN-1', model: 'Model X', revision: 'rev2' },
    c8y_SupportedOperations: ['c8y_Restart', 'c8y_Command'],
  });

  await until(
    () =>
      decisions
        .list({ externalId: 'data-01', limit: 1 })[0]
        ?.mqtt?.lines?.[0]?.line.startsWith('200,c8y_Humidity') === true,
    'the QoS 0 message',
    5000,
  );
  const measurements = await rest<{ measurements: Record<string, unknown>[] }>(
    `/measurement/measurements?source=${id}&pageSize=10`,
  );
  t.match(measurements.measurements, [
    {
      type: 'c8y_Temperature',
      time: '2026-05-31T12:00:00.000Z',
      c8y_Temperature: { T: { value: 21.5, unit: 'C' } },
    },
    {
      type: 'c8y_Humidity',
      time: new Date(server.clock.now()).toISOString(),
      c8y_Humidity: { H: { value: 55 } },
    },
  ]);
  const events = await rest<{ events: Record<string, unknown>[] }>(`/event/events?source=${id}`);
  t.match(events.events, [
    { type: 'c8y_DoorOpened', text: 'Door opened, "front"', time: '2026-06-01T12:00:01.000Z' },
  ]);
  const alarms = await rest<{ alarms: Record<string, unknown>[] }>(`/alarm/alarms?source=${id}`);
  t.match(alarms.alarms, [{ type: 'c8y_Overheat', text: 'Too hot', severity: 'CRITICAL', status: 'ACTIVE' }]);

  const repeated = nextMessage(client, 's/e');
  await client.publishAsync('s/us', '100', { qos: 1 });
  t.equal(await repeated, '41,100,Device already existing');
  t.same(
    errors.map((m) => m.payload),
    ['41,100,Device already existing'],
    'no other errors',
  );

  await client.publishAsync('s/us', '306,c8y_Overheat', { qos: 1 });
  const cleared = await rest<{ alarms: Record<string, unknown>[] }>(`/alarm/alarms?source=${id}`);
  t.match(cleared.alarms, [{ type: 'c8y_Overheat', status: 'CLEARED' }], '306 clears it');
  t.match(decisions.list({ externalId: 'data-01', limit: 1 })[0], {
    door: 'mqtt',
    outcome: 'message',
    mqtt: { stage: 'publish', topic: 's/us', lines: [{ line: '306,c8y_Overheat' }] },
  });
});

t.test('data before 100 creates the device, as the platform does', async (t) => {
  const client = await connectAs(t, 'auto-01');
  await client.subscribeAsync('s/e');
  await client.publishAsync('s/us', '211,23.5', { qos: 1 });
  const object = await rest(`/inventory/managedObjects/${await idOf('auto-01')}`);
  t.match(object, { name: 'MQTT Device auto-01', type: 'c8y_MQTTDevice', c8y_IsDevice: {} });
  const repeated = nextMessage(client, 's/e');
  await client.publishAsync('s/us', '100', { qos: 1 });
  t.equal(await repeated, '41,100,Device already existing');
});

t.test(
  'unknown templates get 40, wrong arguments 45, on s/e; the rest of the message is stored',
  async (t) => {
    const client = await connectAs(t, 'args-01');
    await client.subscribeAsync('s/e');
    const errors = collect(client, 's/e');
    await client.publishAsync(
      's/us',
      [
        '999,x',
        '200,c8y_T,T,abc',
        '200,c8y_T',
        '400,c8y_E,text,yesterday',
        '200,c8y_T,T,1,C,yesterday',
        '117,1.5',
        '200,c8y_T,T,1',
      ].join('\n'),
      { qos: 1 },
    );
    await until(() => errors.length === 6, 'six errors', 5000);
    t.same(
      errors.map((m) => m.payload),
      [
        '40,999,Template not found',
        '45,200,Value is not a number: abc',
        '45,200,Wrong number of arguments',
        '45,400,Value is not a date: yesterday',
        '45,200,Value is not a date: yesterday',
        '45,117,Value is not an integer: 1.5',
      ],
    );
    const id = await idOf('args-01');
    const measurements = await rest<{ measurements: unknown[] }>(`/measurement/measurements?source=${id}`);
    t.equal(measurements.measurements.length, 1, 'the good line is stored');
    t.match(decisions.list({ externalId: 'args-01', limit: 1 })[0], {
      outcome: 'refused',
      rule: 'smartrest',
    });
  },
);

t.test(
  'an operation created through REST arrives as 510/511 and is reported back with 501/503',
  async (t) => {
    const client = await connectAs(t, 'ops-01');
    await client.subscribeAsync('s/ds', { qos: 1 });
    await client.publishAsync('s/us', '100,Ops device', { qos: 1 });
    const id = await idOf('ops-01');

    const restart = nextMessage(client, 's/ds');
    const created = await admin(server, {
      method: 'POST',
      path: '/devicecontrol/operations',
      json: { deviceId: id, c8y_Restart: {}, description: 'Restart' },
    });
    t.equal(created.status, 201);
    const operationId = (created.json() as { id: string }).id;
    t.equal(await restart, '510,ops-01');
    await client.publishAsync('s/us', '501,c8y_Restart', { qos: 1 });
    t.match(await rest(`/devicecontrol/operations/${operationId}`), { status: 'EXECUTING' });
    await client.publishAsync('s/us', '503,c8y_Restart', { qos: 1 });
    t.match(await rest(`/devicecontrol/operations/${operationId}`), { status: 'SUCCESSFUL' });

    const command = nextMessage(client, 's/ds');
    const shell = await admin(server, {
      method: 'POST',
      path: '/devicecontrol/operations',
      json: { deviceId: id, c8y_Command: { text: 'echo "hi", there' } },
    });
    const shellId = (shell.json() as { id: string }).id;
    t.equal(await command, '511,ops-01,"echo \\"hi\\", there"', 'the command quoted as the format needs');
    await client.publishAsync('s/us', '501,c8y_Command\n503,c8y_Command,"hi, there"', { qos: 1 });
    t.match(await rest(`/devicecontrol/operations/${shellId}`), {
      status: 'SUCCESSFUL',
      c8y_Command: { text: 'echo "hi", there', result: 'hi, there' },
    });

    const third = await admin(server, {
      method: 'POST',
      path: '/devicecontrol/operations',
      json: { deviceId: id, c8y_Restart: {} },
    });
    const thirdId = (third.json() as { id: string }).id;
    await client.publishAsync('s/us', `505,${thirdId},"No, not now"`, { qos: 1 });
    t.match(await rest(`/devicecontrol/operations/${thirdId}`), {
      status: 'FAILED',
      failureReason: 'No, not now',
    });
    t.match(
      decisions.list({ externalId: 'ops-01', limit: 10 }).find((d) => d.mqtt?.stage === 'deliver'),
      {
        outcome: 'message',
        mqtt: { topic: 's/ds', lines: [{ answer: 's/ds 510,ops-01' }] },
      },
    );
  },
);

t.test('operations wait until the device is active; 500 hands pending ones out again', async (t) => {
  const first = await connectAs(t, 'pending-01');
  await first.publishAsync('s/us', '100', { qos: 1 });
  await first.endAsync();
  const id = await idOf('pending-01');
  const created = await admin(server, {
    method: 'POST',
    path: '/devicecontrol/operations',
    json: { deviceId: id, c8y_Command: { text: 'uptime' } },
  });
  t.equal(created.status, 201, 'created while the device is away');

  const client = await connectAs(t, 'pending-01');
  await client.subscribeAsync('s/ds');
  const seen = collect(client, 's/ds');
  const another = await admin(server, {
    method: 'POST',
    path: '/devicecontrol/operations',
    json: { deviceId: id, c8y_Restart: {} },
  });
  t.equal(another.status, 201);
  const lines = nextMessage(client, 's/ds');
  await client.publishAsync('s/us', '500', { qos: 1 });
  await lines;
  await until(() => seen.length === 2, 'two pending operations', 5000);
  t.same(
    seen.map((m) => m.payload),
    ['511,pending-01,uptime', '510,pending-01'],
    'nothing before the device spoke; 500 gives both, oldest first',
  );
});

t.test('child devices: 101, data on s/us/<child>, and its operations through the gateway', async (t) => {
  const client = await connectAs(t, 'gateway-01');
  await client.subscribeAsync(['s/ds', 's/e']);
  await client.publishAsync('s/us', '100,Gateway\n101,child-01,Child one,c8y_Sensor', { qos: 1 });
  const childId = await idOf('child-01');
  t.match(await rest(`/inventory/managedObjects/${childId}`), { name: 'Child one', type: 'c8y_Sensor' });
  const gateway = await rest<{ childDevices: { references: { managedObject: { id: string } }[] } }>(
    `/inventory/managedObjects/${await idOf('gateway-01')}`,
  );
  t.same(
    gateway.childDevices.references.map((r) => r.managedObject.id),
    [childId],
  );
  await client.publishAsync('s/us/child-01', '200,c8y_Level,L,7', { qos: 1 });
  const measurements = await rest<{ measurements: unknown[] }>(`/measurement/measurements?source=${childId}`);
  t.equal(measurements.measurements.length, 1, "the child's measurement");

  const delivered = nextMessage(client, 's/ds');
  await admin(server, {
    method: 'POST',
    path: '/devicecontrol/operations',
    json: { deviceId: childId, c8y_Restart: {} },
  });
  t.equal(await delivered, '510,child-01', "the gateway gets its child's operation, named by the child's ID");
  await client.publishAsync('s/us/child-01', '501,c8y_Restart', { qos: 1 });
  const ops = await rest<{ operations: { status: string }[] }>(
    `/devicecontrol/operations?deviceId=${childId}`,
  );
  t.match(ops.operations, [{ status: 'EXECUTING' }]);
  const id = nextMessage(client, 's/ds');
  await client.publishAsync('s/us', '123', { qos: 1 });
  t.equal(await id, `124,${await idOf('gateway-01')}`, '123 answers 124 with the internal id');
});

t.test('a last will on s/us is executed when the connection drops', async (t) => {
  const client = await connectAs(t, 'will-01', {
    will: {
      topic: 's/us',
      payload: Buffer.from('400,c8y_ConnectionEvent,"Device connection was lost."'),
      qos: 1,
      retain: false,
    },
  });
  await client.publishAsync('s/us', '100', { qos: 1 });
  const gone = closed(client);
  // Not a clean DISCONNECT: the socket just goes away.
  (client.stream as import('node:net').Socket).destroy();
  await gone;
  const id = await idOf('will-01');
  // The will is handled when the mock notices the close: ask until it is there.
  let texts: string[] = [];
  await until(async () => {
    const { events } = await rest<{ events: { text: string }[] }>(`/event/events?source=${id}`);
    texts = events.map((event) => event.text);
    return texts.length > 0;
  }, 'the will’s event');
  t.same(texts, ['Device connection was lost.']);
});

t.test(
  'a message the mock cannot store gets no PUBACK: the connection closes, nothing is half-stored',
  async (t) => {
    const client = await connectAs(t, 'fault-01');
    await client.publishAsync('s/us', '100', { qos: 1 });
    const { measurements } = server.app.services;
    const createMade = measurements.createMade;
    // A fault of the store (a full disk), not a refusal: the whole message must not count.
    measurements.createMade = () => {
      throw new Error('disk I/O error');
    };
    t.teardown(() => {
      measurements.createMade = createMade;
    });
    const pubacks: number[] = [];
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback') pubacks.push(packet.messageId ?? 0);
    });
    const gone = closed(client);
    client.publish('s/us', '400,c8y_Before,stored with the fault\n200,c8y_T,T,1', { qos: 1 });
    await gone;
    t.same(pubacks, [], 'no PUBACK came before the connection closed');
    measurements.createMade = createMade;
    const id = await idOf('fault-01');
    const events = await rest<{ events: unknown[] }>(`/event/events?source=${id}`);
    t.same(events.events, [], 'the event before the failing line was rolled back with it');
  },
);

t.test('the retained flag is accepted and has no effect', async (t) => {
  const client = await connectAs(t, 'retain-01');
  await client.publishAsync('s/us', '200,c8y_T,T,1', { qos: 1, retain: true });
  const id = await idOf('retain-01');
  const stored = await rest<{ measurements: unknown[] }>(`/measurement/measurements?source=${id}`);
  t.equal(stored.measurements.length, 1, 'the message is handled');
  // Another client publishing retained on a downstream topic leaves nothing for later subscribers.
  await client.publishAsync('s/ds', '510,retain-01', { qos: 1, retain: true });
  const later = await connectAs(t, 'retain-02');
  const seen = collect(later, 's/ds');
  await later.subscribeAsync('s/ds');
  await later.publishAsync('s/us', '123', { qos: 1 });
  await until(() => seen.length >= 1, 'the 124 answer', 5000);
  t.same(
    seen.map((m) => m.payload.split(',')[0]),
    ['124'],
    'only its own answer, no retained message',
  );
});
