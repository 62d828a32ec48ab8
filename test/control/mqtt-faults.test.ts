import { performance } from 'node:perf_hooks';
import t from 'tap';
import { adminSeed } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { connectDevice, nextMessage, refusedConnect } from '../helpers/mqtt.js';
import { device, rootCa } from '../helpers/pki.js';
import { ADMIN_SECRET, call, startServer } from '../helpers/server.js';

/* Faults and the clock at the MQTT door (issue 20), with MQTT.js over real TLS; one mock for the file. */

const ca100 = await rootCa(TEST_NOW, 'MQTT Faults CA 100');
const ca200 = await rootCa(TEST_NOW, 'MQTT Faults CA 200');
const server = await startServer(t, {
  mqtt: true,
  seed: adminSeed([
    { id: 't100', domain: 't100.example.test', trusted: [{ pem: ca100.certificate.pem }] },
    { id: 't200', domain: 't200.example.test', trusted: [{ pem: ca200.certificate.pem }] },
  ]),
});
const { decisions, faults } = server.app.services;
const d100 = await device(ca100, TEST_NOW, 'mqtt-fault-100');
const d200 = await device(ca200, TEST_NOW, 'mqtt-fault-200');
const admin = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };
const addRule = async (rule: unknown) => {
  const answer = await call(server, {
    method: 'POST',
    path: '/_mock/faults',
    headers: admin,
    body: JSON.stringify(rule),
  });
  if (answer.status !== 201) throw new Error(answer.text);
};
const device100 = { cert: d100.certPem, key: d100.keyPem, clientId: 'mqtt-fault-100' };
const device200 = { cert: d200.certPem, key: d200.keyPem, clientId: 'mqtt-fault-200' };

t.beforeEach(() => faults.clear());

t.test('"no answer" on s/uat: a client that retries gets its token on the second try', async (t) => {
  await addRule({ door: 'mqtt', topic: 's/uat', action: 'no-answer', times: 1 });
  const client = await connectDevice(t, server, device100);
  await client.subscribeAsync('s/dat', { qos: 0 });
  // The client's own wait for an answer, as thin-edge waits before it asks again (reference A5).
  let answer = nextMessage(client, 's/dat', 500);
  await client.publishAsync('s/uat', '', { qos: 1 });
  await t.rejects(
    answer,
    /no message on s\/dat within 500 ms/,
    'the first s/uat is swallowed (its PUBACK sent)',
  );
  answer = nextMessage(client, 's/dat');
  await client.publishAsync('s/uat', '', { qos: 1 });
  t.match(await answer, /^71,ey/, 'the second is answered');
  const [issued, injected] = decisions.list({ limit: 2 });
  t.match(issued, { door: 'mqtt', outcome: 'issued', mqtt: { topic: 's/uat' } });
  t.match(injected, {
    door: 'mqtt',
    outcome: 'injected',
    tenantId: 't100',
    externalId: 'mqtt-fault-100',
    reason: 'PUBLISH s/uat: not answered by fault rule 1 (0 left)',
    injected: { action: 'no-answer' },
    mqtt: { stage: 'publish', topic: 's/uat', clientId: 'mqtt-fault-100' },
  });
});

t.test('CONNACK 3 for the next connection, scoped to a tenant; then normal', async (t) => {
  await addRule({ door: 'mqtt', tenant: 't200', action: 'connack', times: 1 });
  t.ok(await connectDevice(t, server, device100), 'another tenant connects');
  const refused = await refusedConnect(server, device200);
  t.equal(refused.returnCode, 3, 'server unavailable');
  t.ok(await connectDevice(t, server, device200), 'the next try connects');
  t.match(decisions.list({ outcome: 'injected', limit: 1 })[0], {
    tenantId: 't200',
    externalId: 'mqtt-fault-200',
    status: 503,
    mqtt: { stage: 'connect', returnCode: 3 },
  });
});

t.test('a delayed CONNACK, a closed connection at CONNECT and at PUBLISH', async (t) => {
  await addRule({ door: 'mqtt', stage: 'connect', action: 'delay', delay: 'PT0.25S', times: 1 });
  const start = performance.now();
  const client = await connectDevice(t, server, device100);
  const took = performance.now() - start;
  t.ok(took >= 250 && took < 1250, `CONNACK after ${took.toFixed(0)} ms (250 asked)`);
  await client.endAsync();

  await addRule({ door: 'mqtt', stage: 'connect', action: 'close', times: 1 });
  const closed = await refusedConnect(server, device100);
  t.equal(closed.returnCode, undefined, 'no CONNACK');

  await addRule({ door: 'mqtt', topic: 's/us', action: 'close', times: 1 });
  const again = await connectDevice(t, server, device100);
  const gone = new Promise<void>((resolve) => again.once('close', () => resolve()));
  again.publish('s/us', '200,c8y_Temperature,T,21', { qos: 1 });
  await gone;
  t.pass('the connection closed at the PUBLISH');
  t.match(decisions.list({ outcome: 'injected', limit: 1 })[0]?.reason, /^PUBLISH s\/us: connection closed/);
});

t.test("the mock's clock at the MQTT door: tokens and certificate dates follow it", async (t) => {
  t.teardown(() => server.app.services.clock.real());
  const client = await connectDevice(t, server, device100);
  await client.subscribeAsync('s/dat', { qos: 0 });
  const ask = async () => {
    const answer = nextMessage(client, 's/dat');
    await client.publishAsync('s/uat', '', { qos: 0 });
    return (await answer).slice(3);
  };
  const first = await ask();
  server.app.services.clock.advance(1800_000);
  t.not(await ask(), first, 'past half the lifetime a new token over MQTT');
  await client.endAsync();
  // Past the certificate's notAfter on the mock's clock (the TLS handshake checks real time, where it is valid).
  server.app.services.clock.advance(366 * 86_400_000);
  const refused = await refusedConnect(server, device100);
  t.equal(refused.returnCode, undefined, 'refused right after the handshake, without a CONNACK');
  t.match(decisions.list({ outcome: 'refused', limit: 1 })[0], {
    rule: 'not-expired',
    mqtt: { stage: 'handshake' },
  });
});
