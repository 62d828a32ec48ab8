import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { admin } from './helpers/admin.js';
import { TEST_NOW } from './helpers/clock.js';
import { ALWAYS, rootCa } from './helpers/pki.js';
import { startServerProcess, withApiDoor } from './helpers/process.js';
import { rawExchange } from './helpers/raw.js';
import { basic, seedWith } from './helpers/seeds.js';
import { INFO } from './helpers/server.js';
import { until } from './helpers/wait.js';

/*
 * SIGTERM on the real server process: requests in flight finish and are
 * stored, a request arriving on a kept-alive connection meanwhile gets 503 with
 * the Cumulocity body, new connections are refused, and the exit code is 0.
 */
const now = TEST_NOW;
const ca = await rootCa(now, 'Shutdown CA', ALWAYS);

/** Resolves 'refused' when nothing listens on the port any more. */
function tryConnect(port: number): Promise<'refused' | 'accepted'> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.on('error', () => resolve('refused'));
  });
}

t.test('SIGTERM: in-flight requests finish, new connections are refused, exit 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'c8y-shutdown-'));
  writeFileSync(
    join(dir, 'seed.json'),
    JSON.stringify(seedWith([{ id: 't100', domain: 'localhost', pem: ca.certificate.pem }])),
  );
  const args = ['--data-dir', join(dir, 'data'), '--seed', join(dir, 'seed.json'), '--log-level', 'warn'];
  const server = await startServerProcess(join(dir, 'certs'), await withApiDoor(args));
  t.teardown(() => server.child.kill('SIGKILL'));

  const auth = basic('t100/admin');
  const IN_FLIGHT = 5;
  let closing: () => void = () => {};
  const whileClosing = new Promise<void>((resolve) => {
    closing = resolve;
  });
  const body = (i: number) => JSON.stringify({ value: `in-flight-${i}` });
  const sent: Promise<void>[] = [];
  const requests = Array.from({ length: IN_FLIGHT }, (_, i) => {
    let headSent: () => void = () => {};
    sent.push(
      new Promise<void>((resolve) => {
        headSent = resolve;
      }),
    );
    // Every other request on the API door: SIGTERM finishes requests in flight on both doors.
    return rawExchange(i % 2 === 1 ? { ...server, port: server.apiPort } : server, {
      send: (socket) => {
        const json = body(i);
        // The head and half the body now; the rest only once the server is closing. Then, on the
        // same connection, a second request that arrives while it closes.
        socket.write(
          `PUT /tenant/options/shutdown/key-${i} HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json.slice(0, 5)}`,
          () => headSent(),
        );
        void whileClosing.then(() => {
          socket.write(json.slice(5));
          socket.write(
            `GET /tenant/options/shutdown HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\n\r\n`,
          );
        });
      },
      timeoutMs: 15_000,
    });
  });
  // Every request reaches the server before the signal: their heads went out first, and the server
  // has answered a request sent after them (it reads its sockets in the order data arrives).
  await Promise.all(sent);
  t.equal((await admin(server, { path: '/_mock/health', auth: null })).status, 200, 'the server is up');
  server.child.kill('SIGTERM');
  t.not(server.apiPort, 0, 'the API door is open');
  await until(async () => (await tryConnect(server.port)) === 'refused', 'the listener to close');
  await until(async () => (await tryConnect(server.apiPort)) === 'refused', 'the API door to close');
  t.pass('a new connection after SIGTERM is refused, on both doors');
  closing();

  const answers = await Promise.all(requests);
  for (const [i, answer] of answers.entries()) {
    t.match(
      answer.text,
      /^HTTP\/1\.1 200 /,
      `in-flight request ${i} finished with 200 (${i % 2 ? 'API' : 'mTLS'} door)`,
    );
    const second = answer.text.slice(answer.text.indexOf('HTTP/1.1', 12));
    t.match(second, /^HTTP\/1\.1 503 /, `the request after it on the same connection: 503`);
    t.match(second, /\r\nConnection: close\r\n/i, 'and the connection is closed');
    t.match(second, /content-type: application\/vnd\.com\.nsn\.cumulocity\.error\+json/i);
    t.same(JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4)), {
      error: 'general/Service Unavailable',
      message: 'The server is shutting down; retry on a new connection.',
      info: INFO,
    });
  }
  t.equal(await server.exited, 0, 'the process exits 0');

  // What the next start would find, read from the data directory.
  const store = new SqliteStore({ dataDir: join(dir, 'data') });
  const stored = store.listOptions('t100').filter((option) => option.category === 'shutdown');
  store.close();
  t.same(
    Object.fromEntries(stored.map((option) => [option.key, option.value])),
    Object.fromEntries(Array.from({ length: IN_FLIGHT }, (_, i) => [`key-${i}`, `in-flight-${i}`])),
    'every request that finished during shutdown is stored',
  );
});
