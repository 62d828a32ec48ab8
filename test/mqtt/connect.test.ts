import { once } from 'node:events';
import t from 'tap';
import { ADMIN_PASSWORD, adminSeed } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import {
  claimsOf,
  closed,
  collect,
  connectDevice,
  nextMessage,
  rawTls,
  refusedConnect,
  subscribeCodes,
} from '../helpers/mqtt.js';
import { device, intermediateCa, rootCa } from '../helpers/pki.js';
import { ADMIN_SECRET, call, startServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';

/*
 * The MQTT door's CONNECT rules, tokens over s/uat and subscriptions, with
 * MQTT.js over real TLS. One mock and one door for the whole file.
 */

const now = TEST_NOW;
const root = await rootCa(now, 'MQTT Root CA');
const issuing = await intermediateCa(root, now, 'MQTT Issuing CA');
const closedRoot = await rootCa(now, 'No Auto-registration CA');
const stranger = await rootCa(now, 'Stranger CA');

const server = await startServer(t, {
  mqtt: true,
  seed: adminSeed([
    { id: 't100', domain: 't100.example.test', trusted: [{ pem: root.certificate.pem }] },
    {
      id: 't200',
      domain: 't200.example.test',
      trusted: [{ pem: closedRoot.certificate.pem, auto: false }],
      devices: ['registered-200'],
    },
  ]),
});
const { decisions, mqttSessions } = server.app.services;
const lastDecision = () => decisions.list({ limit: 1 })[0]!;

const dev = await device(root, now, 'mqtt-dev-01');
const credentials = { cert: dev.certPem, key: dev.keyPem };
// A certificate the chain check accepts whose subject has no CN: no client ID can name it.
const noCn = await device(root, now, 'unused', { subject: [{ O: ['No CN Devices'] }] });

/** An empty s/uat, and the JWT of the 71 line on s/dat. */
async function token(client: Awaited<ReturnType<typeof connectDevice>>): Promise<string> {
  const answer = nextMessage(client, 's/dat');
  await client.publishAsync('s/uat', '', { qos: 0 });
  const line = await answer;
  if (!line.startsWith('71,')) throw new Error(`s/dat answered ${line}`);
  return line.slice(3);
}

t.test('a certificate device gets its token over s/uat, and REST accepts it', async (t) => {
  const client = await connectDevice(t, server, { ...credentials, clientId: 'mqtt-dev-01', keepalive: 5 });
  const connected = decisions.list({ outcome: 'connected', limit: 1 })[0];
  t.match(connected, {
    door: 'mqtt',
    outcome: 'connected',
    tenantId: 't100',
    externalId: 'mqtt-dev-01',
    mqtt: { stage: 'connect', clientId: 'mqtt-dev-01', auth: 'certificate', returnCode: 0 },
  });
  const granted = await client.subscribeAsync('s/dat', { qos: 0 });
  t.same(
    granted.map((g) => g.qos),
    [0],
    's/dat is granted',
  );
  const jwt = await token(client);
  t.match(claimsOf(jwt), {
    iss: 't100.example.test',
    aud: 't100.example.test',
    sub: 'device_mqtt-dev-01',
    ten: 't100',
    tci: 'device_token_config',
  });
  t.match(lastDecision(), { door: 'mqtt', outcome: 'issued', status: 200, mqtt: { topic: 's/uat' } });

  const me = await call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${jwt}` } });
  t.equal(me.status, 200, 'the token from MQTT works on GET /user/currentUser');
  t.match(me.json(), { userName: 'device_mqtt-dev-01' });

  t.equal(await token(client), jwt, 'asked again before half its lifetime: the same token (as on REST)');
  t.equal(lastDecision().outcome, 'reused');

  const logout = await call(server, {
    method: 'POST',
    path: '/user/logout',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
  });
  t.ok(logout.status === 200 || logout.status === 204, 'logout over REST');
  const after = await call(server, {
    path: '/user/currentUser',
    headers: { authorization: `Bearer ${jwt}` },
  });
  t.equal(after.status, 401, 'the logged-out token is refused');
  const fresh = await token(client);
  t.not(fresh, jwt, 'after the logout, s/uat gives a new token');
  t.equal(
    (await call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${fresh}` } })).status,
    200,
  );
});

t.test('the token is the device’s one token, whichever door asked', async (t) => {
  const other = await device(root, now, 'mqtt-dev-both');
  const { requestToken } = await import('../helpers/server.js');
  const rest = await requestToken(server, { cert: other.certPem, key: other.keyPem });
  t.equal(rest.status, 200);
  const client = await connectDevice(t, server, {
    cert: other.certPem,
    key: other.keyPem,
    clientId: 'd:mqtt-dev-both',
  });
  await client.subscribeAsync('s/dat');
  t.equal(await token(client), (rest.json() as { accessToken: string }).accessToken);
});

t.test('client IDs of the forms CN, d:CN and d:CN:template are accepted', async (t) => {
  for (const clientId of ['mqtt-dev-01', 'd:mqtt-dev-01', 'd:mqtt-dev-01:myTemplate']) {
    const client = await connectDevice(t, server, { ...credentials, clientId });
    t.ok(client.connected, clientId);
    await client.endAsync();
  }
});

t.test('refusals at CONNECT carry the reference’s CONNACK codes and reach the decision log', async (t) => {
  const cases: { name: string; options: Parameters<typeof refusedConnect>[1]; rc: number; rule: string }[] = [
    {
      name: 'a client ID other than the CN',
      options: { ...credentials, clientId: 'someone-else' },
      rc: 5,
      rule: 'client-id',
    },
    {
      name: 'a certificate without a CN',
      options: { cert: noCn.certPem, key: noCn.keyPem, clientId: 'no-cn-01' },
      rc: 5,
      rule: 'client-id',
    },
    {
      name: 'a client ID of another connection type',
      options: { ...credentials, clientId: 'x:mqtt-dev-01' },
      rc: 2,
      rule: 'client-id',
    },
    {
      name: 'a client ID with too many parts',
      options: { ...credentials, clientId: 'd:mqtt-dev-01:a:b' },
      rc: 2,
      rule: 'client-id',
    },
    {
      name: 'a persistent session (clean session 0)',
      options: { ...credentials, clientId: 'mqtt-dev-01', clean: false },
      rc: 5,
      rule: 'clean-session',
    },
    {
      name: 'no certificate and no username',
      options: { clientId: 'mqtt-dev-01' },
      rc: 5,
      rule: 'credentials',
    },
    {
      name: 'a wrong password',
      options: { clientId: 'pw-device', username: 't100/admin', password: 'wrong' },
      rc: 4,
      rule: 'credentials',
    },
    {
      name: 'a user without its tenant',
      options: { clientId: 'pw-device', username: 'admin', password: ADMIN_PASSWORD },
      rc: 4,
      rule: 'credentials',
    },
    {
      name: 'a JWT as password',
      options: {
        clientId: 'pw-device',
        username: 't100/admin',
        password: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln',
      },
      rc: 4,
      rule: 'jwt-password',
    },
  ];
  for (const { name, options, rc, rule } of cases) {
    const failure = await refusedConnect(server, options);
    t.equal(failure.returnCode, rc, `${name}: CONNACK ${rc}`);
    t.match(
      lastDecision(),
      { door: 'mqtt', outcome: 'refused', rule, mqtt: { stage: 'connect', returnCode: rc } },
      name,
    );
  }
  t.equal(mqttSessions.list().filter((s) => s.externalId === 'someone-else').length, 0);
});

t.test(
  'auto-registration off: an unknown device is refused with CONNACK 5, a registered one connects',
  async (t) => {
    const unknown = await device(closedRoot, now, 'unknown-200');
    const failure = await refusedConnect(server, {
      cert: unknown.certPem,
      key: unknown.keyPem,
      clientId: 'unknown-200',
    });
    t.equal(failure.returnCode, 5);
    t.match(lastDecision(), { tenantId: 't200', rule: 'registration', status: 422 });
    t.equal(server.app.services.devices.get('t200', 'unknown-200'), undefined, 'nothing was registered');

    const registered = await device(closedRoot, now, 'registered-200');
    const client = await connectDevice(t, server, {
      cert: registered.certPem,
      key: registered.keyPem,
      clientId: 'registered-200',
    });
    t.ok(client.connected);
  },
);

t.test('a CN mismatch registers nothing, even with auto-registration on', async (t) => {
  const fresh = await device(root, now, 'never-registered');
  const failure = await refusedConnect(server, {
    cert: fresh.certPem,
    key: fresh.keyPem,
    clientId: 'other-id',
  });
  t.equal(failure.returnCode, 5);
  t.equal(server.app.services.devices.get('t100', 'never-registered'), undefined);
});

t.test('CONNACK 0 waits for the registration to be stored: a failed write is CONNACK 3', async (t) => {
  const fresh = await device(root, now, 'mqtt-unstored-01');
  const { store } = server;
  const putDevice = store.putDevice;
  store.putDevice = () => {
    throw new Error('disk I/O error');
  };
  t.teardown(() => {
    store.putDevice = putDevice;
  });
  const failure = await refusedConnect(server, {
    cert: fresh.certPem,
    key: fresh.keyPem,
    clientId: 'mqtt-unstored-01',
  });
  t.equal(failure.returnCode, 3, 'server unavailable');
  store.putDevice = putDevice;
  const client = await connectDevice(t, server, {
    cert: fresh.certPem,
    key: fresh.keyPem,
    clientId: 'mqtt-unstored-01',
  });
  t.ok(client.connected, 'and once the store writes again, it connects');
  t.ok(store.getDevice('t100', 'mqtt-unstored-01'));
});

t.test('an untrusted certificate ends the connection at the TLS handshake: no CONNACK', async (t) => {
  const strangerDevice = await device(stranger, now, 'stranger-01');
  const failure = await refusedConnect(server, {
    cert: strangerDevice.certPem,
    key: strangerDevice.keyPem,
    clientId: 'stranger-01',
  });
  t.equal(failure.returnCode, undefined, `no CONNACK code (${failure.message})`);
  t.match(lastDecision(), {
    door: 'mqtt',
    outcome: 'refused',
    status: 401,
    rule: 'trusted-anchor',
    mqtt: { stage: 'handshake' },
    leaf: { subject: /stranger-01/ },
  });
});

t.test('a device under an intermediate sends its chain in the handshake', async (t) => {
  const leaf = await device(issuing, now, 'via-issuing');
  const client = await connectDevice(t, server, {
    cert: leaf.certPem + issuing.certificate.pem,
    key: leaf.keyPem,
    clientId: 'via-issuing',
  });
  t.ok(client.connected);
  const without = await refusedConnect(server, {
    cert: leaf.certPem,
    key: leaf.keyPem,
    clientId: 'via-issuing',
  });
  t.equal(without.returnCode, undefined, 'the leaf alone does not reach the root: refused at the handshake');
});

t.test('MQTT 5 gets CONNACK 1', async (t) => {
  const socket = rawTls(server, credentials);
  await once(socket, 'secureConnect');
  // CONNECT, protocol level 5, clean start, keepalive 30, no properties, client ID "mqtt-dev-01".
  const id = Buffer.from('mqtt-dev-01');
  const body = Buffer.concat([
    Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 5, 0x02, 0, 30, 0]),
    Buffer.from([0, id.length]),
    id,
  ]);
  socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
  const [answer] = (await once(socket, 'data')) as [Buffer];
  t.same([...answer.subarray(0, 4)], [0x20, 0x02, 0x00, 0x01], 'CONNACK with return code 1');
  socket.destroy();
  await until(() => lastDecision().rule === 'protocol-version', 'the decision', 5000);
  t.match(lastDecision(), { outcome: 'refused', mqtt: { returnCode: 1 } });
});

t.test('a password device connects with <tenant>/<user> and gets 41 on s/e for s/uat', async (t) => {
  const client = await connectDevice(t, server, {
    clientId: 'pw-device',
    username: 't100/admin',
    password: ADMIN_PASSWORD,
  });
  t.match(lastDecision(), { outcome: 'connected', mqtt: { auth: 'password' }, tenantId: 't100' });
  t.same(
    await subscribeCodes(client, { 's/e': { qos: 0 }, 's/dat': { qos: 0 }, 's/ds': { qos: 1 } }),
    { 's/e': 0, 's/dat': 128, 's/ds': 128 },
    'before its 100, a password device gets 0x80 for s/dat and s/ds (as the platform did)',
  );
  t.match(lastDecision(), { outcome: 'refused', rule: 'subscribe-before-device' });
  const error = nextMessage(client, 's/e');
  await client.publishAsync('s/uat', '', { qos: 1 });
  t.equal(
    await error,
    '41,,MqttAuth: Cannot publish token for device that do not use certificate authentication',
  );
  t.match(lastDecision(), { outcome: 'refused', rule: 'token-password' });
  await client.publishAsync('s/us', '100,Password device', { qos: 1 });
  t.same(
    await subscribeCodes(client, { 's/dat': { qos: 0 } }),
    { 's/dat': 0 },
    'after 100, s/dat is granted',
  );
  const seen = collect(client, 's/e', 's/dat');
  const again = nextMessage(client, 's/e');
  await client.publishAsync('s/uat', '', { qos: 1 });
  await again;
  t.same(
    seen.map((m) => m.topic),
    ['s/e'],
    'and still no token on s/dat',
  );
});

t.test('subscriptions: downstream topics are granted, upstream and wildcards get 0x80', async (t) => {
  const client = await connectDevice(t, server, { ...credentials, clientId: 'mqtt-dev-01' });
  const codes = await subscribeCodes(client, {
    's/ds': { qos: 1 },
    's/us': { qos: 0 },
    's/e': { qos: 0 },
    's/#': { qos: 0 },
    'devicecontrol/notifications': { qos: 2 },
  });
  t.same(codes, { 's/ds': 1, 's/us': 128, 's/e': 0, 's/#': 128, 'devicecontrol/notifications': 2 });
  t.match(lastDecision(), { outcome: 'refused', rule: 'subscribe-topic', mqtt: { stage: 'subscribe' } });
  t.same(await subscribeCodes(client, { 't/us': { qos: 0 } }), { 't/us': 128 }, 'one filter per SUBSCRIBE');
  t.same(await subscribeCodes(client, { 's/dat': { qos: 0 } }), { 's/dat': 0 });
});

t.test('upstream messages are not forwarded to other clients', async (t) => {
  const listener = await connectDevice(t, server, {
    clientId: 'listener-1',
    username: 't100/admin',
    password: ADMIN_PASSWORD,
  });
  await listener.publishAsync('s/us', '100', { qos: 1 });
  const seen = collect(listener, 's/ds', 's/dat', 's/e');
  await listener.subscribeAsync(['s/ds', 's/dat', 's/e']);
  const sender = await connectDevice(t, server, { ...credentials, clientId: 'mqtt-dev-01' });
  await sender.subscribeAsync('s/dat');
  await token(sender);
  // Another client publishing to a downstream topic reaches nobody either.
  await sender.publishAsync('s/ds', '510,listener-1', { qos: 1 });
  await listener.publishAsync('s/uat', '', { qos: 1 });
  await nextMessage(listener, 's/e');
  t.same(
    seen.map((m) => m.topic),
    ['s/e'],
    'the listener got only its own answer',
  );
});

t.test('a second connection of the device takes over; the first is closed', async (t) => {
  const first = await connectDevice(t, server, { ...credentials, clientId: 'mqtt-dev-01' });
  const firstClosed = closed(first);
  const second = await connectDevice(t, server, { ...credentials, clientId: 'd:mqtt-dev-01' });
  await firstClosed;
  t.ok(second.connected, 'the second stays');
  const sessions = mqttSessions.list('t100').filter((s) => s.externalId === 'mqtt-dev-01');
  t.equal(sessions.length, 1);
  t.equal(sessions[0]?.clientId, 'd:mqtt-dev-01');
});

t.test('the control API lists sessions, and a reset disconnects them', async (t) => {
  const client = await connectDevice(t, server, { ...credentials, clientId: 'mqtt-dev-01' });
  await client.subscribeAsync('s/ds', { qos: 1 });
  const admin = { authorization: `Bearer ${ADMIN_SECRET}` };
  const listed = await call(server, { path: '/_mock/mqtt/sessions?tenant=t100', headers: admin });
  t.equal(listed.status, 200);
  const mine = (listed.json() as { sessions: { externalId: string }[] }).sessions.find(
    (s) => s.externalId === 'mqtt-dev-01',
  );
  t.match(mine, {
    tenantId: 't100',
    externalId: 'mqtt-dev-01',
    clientId: 'mqtt-dev-01',
    auth: 'certificate',
    userName: 'device_mqtt-dev-01',
    subscriptions: [{ topic: 's/ds', qos: 1 }],
  });
  t.equal((await call(server, { path: '/_mock/mqtt/sessions' })).status, 401, 'the admin secret is needed');

  const clientClosed = closed(client);
  const reset = await call(server, { method: 'POST', path: '/_mock/reset', headers: admin });
  t.equal(reset.status, 200);
  await clientClosed;
  t.equal(mqttSessions.size, 0, 'no session is left');
});

t.test('the listener sets TCP_NODELAY on the connections it accepts, as the REST door’s', async (t) => {
  // Node sets it on each accepted socket from this property of its server; with Nagle's algorithm, a
  // CONNACK written while the session tickets were unacknowledged could wait for the client's
  // delayed ACK (docs/performance.md, issue 19). No socket call tells it afterwards, and Node's
  // types leave the property out.
  const listener = server.mqtt?.server as { noDelay?: boolean } | undefined;
  t.equal(listener?.noDelay, true, 'the net.Server option noDelay');
});
