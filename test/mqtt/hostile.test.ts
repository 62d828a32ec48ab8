import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import t, { type Test } from 'tap';
import { adminSeed } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { closed, collect, connectDevice, nextMessage, rawTls } from '../helpers/mqtt.js';
import { device, rootCa } from '../helpers/pki.js';
import { call, requestToken, startServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';

/*
 * Hostile input at the MQTT door: malformed and oversized packets, garbage
 * SmartREST, clients that never finish their handshake or CONNECT. None may
 * crash the mock, each gets the reference's refusal, and REST keeps working.
 */

const now = TEST_NOW;
const root = await rootCa(now, 'Hostile Test CA');
const CONNECT_TIMEOUT_MS = 600;
const server = await startServer(t, {
  mqtt: true,
  config: { limits: { headersTimeoutMs: CONNECT_TIMEOUT_MS, requestTimeoutMs: 30_000 } },
  seed: adminSeed([{ id: 't100', domain: 't100.example.test', trusted: [{ pem: root.certificate.pem }] }]),
});
const { decisions } = server.app.services;
const dev = await device(root, now, 'hostile-dev');
const credentials = { cert: dev.certPem, key: dev.keyPem };

/** A raw TLS connection with the device's certificate that has finished its handshake; what it receives is read and dropped. */
async function tlsSocket() {
  const socket = rawTls(server, credentials);
  await once(socket, 'secureConnect');
  // A socket whose data nobody reads never sees its 'end', nor its 'close'.
  socket.resume();
  return socket;
}

/** Resolves when the peer has closed the socket; the time it took. */
async function closedWithin(socket: import('node:net').Socket): Promise<number> {
  const start = performance.now();
  if (!socket.destroyed) await once(socket, 'close');
  return performance.now() - start;
}

/** A valid MQTT 3.1.1 CONNECT for the test device. */
function connectPacket(clientId = 'hostile-dev'): Buffer {
  const id = Buffer.from(clientId);
  const body = Buffer.concat([
    Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 30]),
    Buffer.from([0, id.length]),
    id,
  ]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

async function restStillWorks(t: Test) {
  const health = await call(server, { path: '/_mock/health' });
  t.equal(health.status, 200, 'REST answers');
  const token = await requestToken(server, credentials);
  t.equal(token.status, 200, 'and the REST door still gives tokens');
}

t.test('malformed packets close the connection; nothing else is affected', async (t) => {
  const cases: [string, Buffer[]][] = [
    ['a reserved packet type', [Buffer.from([0xf0, 0x00])]],
    [
      'a CONNECT with another protocol name',
      [Buffer.from([0x10, 0x0c, 0, 4, 0x41, 0x42, 0x43, 0x44, 4, 2, 0, 30, 0, 0])],
    ],
    [
      'wrong fixed-header flags on SUBSCRIBE',
      [connectPacket(), Buffer.from([0x80, 0x06, 0, 1, 0, 1, 0x61, 0])],
    ],
    ['a PUBLISH before CONNECT', [Buffer.from([0x30, 0x06, 0, 4, 0x73, 0x2f, 0x75, 0x73])]],
    ['a second CONNECT', [connectPacket(), connectPacket()]],
    ['a length that never ends', [Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f])]],
    ['random bytes', [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]],
  ];
  for (const [name, packets] of cases) {
    const socket = await tlsSocket();
    socket.on('error', () => {});
    for (const packet of packets) socket.write(packet);
    await closedWithin(socket);
    t.pass(`${name}: closed`);
  }
  const client = await connectDevice(t, server, { ...credentials, clientId: 'hostile-dev' });
  t.ok(client.connected, 'a well-behaved device still connects');
  await restStillWorks(t);
});

t.test('a packet of 16,184 bytes is read, one byte more closes the connection', async (t) => {
  const client = await connectDevice(t, server, { ...credentials, clientId: 'hostile-dev' });
  await client.subscribeAsync('s/e');
  // PUBLISH QoS 0 to s/us: 1 type byte, 2 length bytes, 2 + 4 topic bytes, then the payload.
  const largest = `xx${'y'.repeat(16_184 - 9 - 2)}`;
  const answered = nextMessage(client, 's/e');
  await client.publishAsync('s/us', largest, { qos: 0 });
  t.match(await answered, /^40,/, 'the largest packet is read (its unknown template answered)');

  const gone = closed(client);
  client.publish('s/us', `${largest}z`, { qos: 0 });
  await gone;
  t.pass('16,185 bytes: the connection is closed');
  await until(() => decisions.list({ limit: 1 })[0]?.rule === 'packet-size', 'the decision', 5000);
  await new Promise((resolve) => setImmediate(resolve));
  t.match(decisions.list({ limit: 1 })[0], {
    door: 'mqtt',
    outcome: 'refused',
    rule: 'packet-size',
    reason: /16185 bytes; at most 16184/,
    tenantId: 't100',
    externalId: 'hostile-dev',
  });
});

t.test('a packet announcing 200 MB is refused from its header, before its body', async (t) => {
  const socket = await tlsSocket();
  socket.on('error', () => {});
  socket.write(connectPacket());
  await once(socket, 'data'); // CONNACK
  // PUBLISH with a remaining length of 200,000,000: the mock must not wait for (or buffer) the body.
  socket.write(Buffer.from([0x30, 0x80, 0x84, 0xaf, 0x5f, 0x00, 0x04]));
  const ms = await closedWithin(socket);
  t.ok(ms < 5000, `closed after ${Math.round(ms)} ms without the body`);
});

t.test('garbage SmartREST lines are answered on s/e and the session goes on', async (t) => {
  const client = await connectDevice(t, server, { ...credentials, clientId: 'hostile-dev' });
  await client.subscribeAsync(['s/e', 's/dat']);
  const errors = collect(client, 's/e');
  const garbage = ['999,a,b', 'abc', '400,x,"unclosed', '\u0000\u0001\u0002', ',,,', '  ', '"x"y"'].join(
    '\n',
  );
  await client.publishAsync('s/us', garbage, { qos: 1 });
  await until(() => errors.length >= 6, 'six answers on s/e', 5000);
  t.same(
    errors.map((m) => m.payload),
    [
      '42,,Malformed message: Quote Not Closed: the parsing is finished with an opening quote',
      '42,,Malformed message: Invalid Closing Quote: found non trimable byte after quote',
      '40,999,Template not found',
      '40,abc,Template not found',
      '40,\u0000\u0001\u0002,Template not found',
      '40,,Template not found',
    ],
    'unreadable lines 42 with why, unknown templates 40',
  );
  const token = nextMessage(client, 's/dat');
  await client.publishAsync('s/uat', '', { qos: 1 });
  t.match(await token, /^71,/, 'the session still works');
});

t.test(
  'a client that never finishes CONNECT, or the TLS handshake, is closed after the timeout',
  async (t) => {
    const silent = await tlsSocket();
    silent.on('error', () => {});
    const connectMs = await closedWithin(silent);
    t.ok(connectMs < CONNECT_TIMEOUT_MS * 4, `no CONNECT: closed after ${Math.round(connectMs)} ms`);

    const half = tcpConnect(server.mqttPort, '127.0.0.1');
    half.on('error', () => {});
    half.resume();
    await once(half, 'connect');
    half.write(Buffer.from([0x16, 0x03, 0x01])); // the start of a ClientHello, and no more
    const handshakeMs = await closedWithin(half);
    t.ok(
      handshakeMs < CONNECT_TIMEOUT_MS * 4,
      `half a handshake: closed after ${Math.round(handshakeMs)} ms`,
    );
    await restStillWorks(t);
  },
);

t.test('many connections that misbehave at once do not take the door down', async (t) => {
  const sockets = await Promise.all(Array.from({ length: 30 }, () => tlsSocket()));
  for (const [i, socket] of sockets.entries()) {
    socket.on('error', () => {});
    socket.write(i % 2 ? Buffer.from([0xf0, 0]) : connectPacket(`not-my-cn-${i}`));
  }
  await Promise.all(sockets.map(closedWithin));
  const client = await connectDevice(t, server, { ...credentials, clientId: 'hostile-dev' });
  t.ok(client.connected);
  await restStillWorks(t);
});
