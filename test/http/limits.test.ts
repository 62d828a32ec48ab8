import { connect } from 'node:tls';
import t from 'tap';
import { ConfigError, resolveConfig } from '../../src/config.js';
import { assertError } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, rootCa } from '../helpers/pki.js';
import { rawExchange, silentTcp, writeLarge, writeSlowly } from '../helpers/raw.js';
import { basic, seedWith } from '../helpers/seeds.js';
import { call, ERROR_TYPE, INFO, requestToken, startServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';

/*
 * The limits of the options table (docs/configuration.md), each against a real server over TLS:
 * what a client that breaks it receives, on the wire.
 */
const now = TEST_NOW;
const ca = await rootCa(now, 'Limits CA');
const seed = seedWith([{ id: 't100', domain: 't100.example.test', pem: ca.certificate.pem }]);
const dev = await device(ca, now, 'limits-01');
const TOKEN_HEAD =
  'POST /devicecontrol/deviceAccessToken HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n';

const body = (error: string, message: string) => ({ error, message, info: INFO });

t.test('--max-header-size: a 1 MB X-Ssl-Cert-Chain gets 431 with the Cumulocity body', async (t) => {
  const server = await startServer(t, { listen: true, seed });
  t.equal(server.config.limits.maxHeaderSize, 65536, 'the default is 64 KiB');
  const expected = body(
    'general/Request Header Fields Too Large',
    'Request headers are larger than 65536 bytes (--max-header-size).',
  );
  for (let round = 1; round <= 3; round++) {
    const raw = await rawExchange(server, {
      cert: dev.certPem,
      key: dev.keyPem,
      send: (socket) => writeLarge(socket, `${TOKEN_HEAD}X-Ssl-Cert-Chain: `, 1024 * 1024, '\r\n\r\n'),
      timeoutMs: 10_000,
    });
    t.equal(raw.ended, 'closed', `round ${round}: the server closed the connection`);
    t.equal(raw.status, 431, `round ${round}: what reached the raw socket is a 431`);
    t.match(raw.headers['content-type'], /^application\/vnd\.com\.nsn\.cumulocity\.error\+json/);
    t.same(JSON.parse(raw.body), expected, `round ${round}: the exact body`);
  }
  const viaClient = await requestToken(server, {
    cert: dev.certPem,
    key: dev.keyPem,
    chainHeader: 'A'.repeat(1024 * 1024),
  });
  assertError(t, viaClient, 431, expected.error, expected.message);

  const justUnder = await call(server, { path: '/_mock/health', headers: { 'x-pad': 'a'.repeat(60_000) } });
  t.equal(justUnder.status, 200, 'a 60 KB head is served');
  t.equal((await call(server, { path: '/_mock/health' })).status, 200, 'the server still answers');
});

t.test('--max-header-size is an option', async (t) => {
  const server = await startServer(t, {
    listen: true,
    seed,
    config: { limits: { maxHeaderSize: 16 * 1024 } },
  });
  const response = await call(server, { path: '/_mock/health', headers: { 'x-pad': 'a'.repeat(20_000) } });
  assertError(
    t,
    response,
    431,
    'general/Request Header Fields Too Large',
    'Request headers are larger than 16384 bytes (--max-header-size).',
  );
});

t.test('--body-limit: a larger body gets 413 and nothing is stored', async (t) => {
  const server = await startServer(t, { listen: true, seed, config: { limits: { bodyLimit: 4096 } } });
  const big = JSON.stringify({ value: 'x'.repeat(5000) });
  const response = await call(server, {
    method: 'PUT',
    path: '/tenant/options/hostile/big',
    headers: {
      authorization: basic('t100/admin'),
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: big,
  });
  assertError(t, response, 413, 'general/Payload Too Large', 'Request body is too large.');
  const chunked = await rawExchange(server, {
    send: (socket) =>
      writeLarge(
        socket,
        `PUT /tenant/options/hostile/chunked HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${basic('t100/admin')}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n4000\r\n`,
        0x4000,
        '\r\n0\r\n\r\n',
        ' ',
      ),
    timeoutMs: 10_000,
  });
  t.equal(chunked.status, 413, 'a chunked body without Content-Length is cut at the limit too');
  t.same(JSON.parse(chunked.body), body('general/Payload Too Large', 'Request body is too large.'));
  t.same(server.store.listOptions('t100'), [], 'no option was stored');

  const defaults = await startServer(t, { listen: true, seed });
  t.equal(defaults.config.limits.bodyLimit, 1024 * 1024, 'the default is 1 MiB');
  const twoMb = await call(defaults, {
    method: 'POST',
    path: '/tenant/tenants/t100/trusted-certificates',
    headers: {
      authorization: basic('t100/admin'),
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify({ certInPemFormat: 'A'.repeat(2 * 1024 * 1024) }),
  });
  assertError(t, twoMb, 413, 'general/Payload Too Large', 'Request body is too large.');
});

t.test('--headers-timeout: a client sending its head slowly is cut with 408', async (t) => {
  const server = await startServer(t, { listen: true, seed, config: { limits: { headersTimeoutMs: 500 } } });
  const pieces = Array.from({ length: 200 }, (_, i) => `X-Slow-${i}: a\r\n`);
  const raw = await rawExchange(server, {
    cert: dev.certPem,
    key: dev.keyPem,
    send: (socket) => {
      socket.write(TOKEN_HEAD);
      writeSlowly(socket, pieces, 100);
    },
    // Far below the 20 s the head would take, and below Node's default 30 s sweep.
    timeoutMs: 8000,
  });
  t.equal(raw.ended, 'closed', 'the server closed the connection well before the head was complete');
  t.equal(raw.status, 408);
  t.equal(raw.headers['content-type'], `${ERROR_TYPE};charset=UTF-8;ver=0.9`);
  t.same(JSON.parse(raw.body), body('general/Request Timeout', 'The request was not received in time.'));
});

t.test('--headers-timeout also bounds a TCP connection that never starts TLS', async (t) => {
  const server = await startServer(t, { listen: true, seed, config: { limits: { headersTimeoutMs: 500 } } });
  t.equal(await silentTcp(server.port, 8000), 'closed', 'dropped long before the 120 s TLS default');
});

t.test('--request-timeout: a client sending its body slowly is cut with 408', async (t) => {
  const server = await startServer(t, {
    listen: true,
    seed,
    config: { limits: { headersTimeoutMs: 500, requestTimeoutMs: 800 } },
  });
  const raw = await rawExchange(server, {
    send: (socket) => {
      socket.write(
        `PUT /tenant/options/hostile/slow HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${basic('t100/admin')}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"value":"`,
      );
      writeSlowly(
        socket,
        Array.from({ length: 190 }, () => 'x'),
        100,
      );
    },
    timeoutMs: 8000,
  });
  t.equal(raw.ended, 'closed', 'the server closed the connection well before the body was complete');
  t.equal(raw.status, 408);
  t.same(JSON.parse(raw.body), body('general/Request Timeout', 'The request was not received in time.'));
  t.same(server.store.listOptions('t100'), [], 'nothing was stored');
});

/** Opens a TLS connection and keeps it; resolves how it went. */
function openConnection(server: TestServer) {
  return new Promise<{ state: 'open' | 'closed'; close: () => void }>((resolve) => {
    const socket = connect(
      { host: '127.0.0.1', port: server.port, servername: 'localhost', ca: server.serverCa },
      () => resolve({ state: 'open', close: () => socket.destroy() }),
    );
    socket.on('error', () => {});
    socket.on('close', () => resolve({ state: 'closed', close: () => {} }));
  });
}

t.test('--headers-timeout may not exceed --request-timeout (Node would swap them)', async (t) => {
  t.throws(
    () => resolveConfig({ limits: { headersTimeoutMs: 1000, requestTimeoutMs: 800 } }),
    new ConfigError('--headers-timeout (1000) must not exceed --request-timeout (800)'),
  );
});

t.test('--max-connections: connections beyond the cap are closed at once', async (t) => {
  const server = await startServer(t, { listen: true, seed, config: { limits: { maxConnections: 3 } } });
  const held = [await openConnection(server), await openConnection(server), await openConnection(server)];
  t.same(
    held.map((c) => c.state),
    ['open', 'open', 'open'],
    'three connections are accepted',
  );
  const fourth = await openConnection(server);
  t.equal(fourth.state, 'closed', 'the fourth is closed before the handshake completes');
  held[0]!.close();
  const open = () =>
    new Promise<number>((resolve, reject) =>
      server.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
  await until(async () => (await open()) < 3, 'the server to count the closed connection');
  const again = await call(server, { path: '/_mock/health' });
  t.equal(again.status, 200, 'once one closes, a new connection is served');
  for (const c of held) c.close();
});
