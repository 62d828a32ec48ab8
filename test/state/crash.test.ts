import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { DATABASE_FILE, SqliteStore } from '../../src/store/sqlite-store.js';
import { TEST_NOW } from '../helpers/clock.js';
import { ALWAYS, device, rootCa } from '../helpers/pki.js';
import { type ServerProcess, startServerProcess } from '../helpers/process.js';
import { basic, seedWith } from '../helpers/seeds.js';
import { httpsContext } from '../helpers/tls-client.js';

/*
 * Changes that got a success answer survive SIGKILL at random moments: a loop
 * of logouts and CA uploads runs while the server process is killed and
 * restarted; afterwards every acknowledged change is in the state, and the
 * database passes SQLite's integrity check without any repair. A kill comes
 * after a random number of acknowledgements since the last start, so requests
 * are in flight whatever the machine's speed (npm run test:stress kills under
 * heavier load).
 */
const now = TEST_NOW;
const KILLS = 2;
/** A kill comes after 1 to this many further acknowledgements. */
const MAX_ACKS_BETWEEN_KILLS = 8;
const SECRET = 'crash-test-secret';

const ca = await rootCa(now, 'Crash CA', ALWAYS);
const dir = mkdtempSync(join(tmpdir(), 'c8y-crash-'));
const dataDir = join(dir, 'data');
writeFileSync(
  join(dir, 'seed.json'),
  JSON.stringify(seedWith([{ id: 't100', domain: 'localhost', pem: ca.certificate.pem }])),
);
const devices = await Promise.all(
  Array.from({ length: 16 }, (_, i) => device(ca, now, `crash-${i}`, ALWAYS)),
);
const uploads = await Promise.all(
  Array.from({ length: 40 }, (_, i) => rootCa(now, `Uploaded CA ${i}`, ALWAYS)),
);

type Running = ServerProcess;

const startServer = () =>
  startServerProcess(join(dir, 'certs'), [
    '--data-dir',
    dataDir,
    '--seed',
    join(dir, 'seed.json'),
    '--admin-secret',
    SECRET,
    '--log-level',
    'warn',
  ]);

function https(
  server: Running,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string; cert?: string; key?: string } = {},
) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        method,
        path,
        ...httpsContext({ ca: server.serverCa, cert: options.cert, key: options.key }),
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

t.test('every acknowledged logout and upload survives SIGKILL', async (t) => {
  let server = await startServer();
  // A failing test leaves no server behind (the last one started is the only one alive).
  t.teardown(() => server.child.kill('SIGKILL'));
  const acked = { revoked: new Set<string>(), uploaded: new Set<string>() };
  let nextDevice = 0;
  let nextUpload = 0;
  let kills = 0;
  let killing = true;

  const logoutOnce = async () => {
    const dev = devices[nextDevice++ % devices.length]!;
    const target = server;
    const issued = await https(target, 'POST', '/devicecontrol/deviceAccessToken', {
      cert: dev.certPem,
      key: dev.keyPem,
      headers: { accept: 'application/json' },
    });
    if (issued.status !== 200) return;
    const token = (JSON.parse(issued.body) as { accessToken: string }).accessToken;
    const out = await https(target, 'POST', '/user/logout', {
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    if (out.status === 200) acked.revoked.add(createHash('sha256').update(token).digest('base64url'));
  };
  const uploadOnce = async () => {
    const certificate = uploads[nextUpload++ % uploads.length]!.certificate;
    const out = await https(server, 'POST', '/tenant/tenants/t100/trusted-certificates', {
      headers: {
        authorization: basic('t100/admin'),
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({
        certInPemFormat: certificate.pem,
        status: 'ENABLED',
        autoRegistrationEnabled: false,
      }),
    });
    if (out.status === 201 || out.status === 409) acked.uploaded.add(certificate.fingerprint);
  };
  const acknowledged = new EventEmitter();
  const acks = () => acked.revoked.size + acked.uploaded.size;
  /** Resolves once `more` further changes have been acknowledged. */
  const afterAcks = async (more: number) => {
    const target = acks() + more;
    while (acks() < target) await once(acknowledged, 'ack');
  };
  // Settles when the server restarted after a kill: until then a worker would only meet refused connections.
  let up: Promise<void> = Promise.resolve();
  const worker = async (op: () => Promise<void>) => {
    while (killing) {
      await up;
      const before = acks();
      await op().catch(() => {}); // a request cut by the kill is simply not acknowledged
      if (acks() > before) acknowledged.emit('ack');
    }
  };
  const killer = async () => {
    try {
      while (kills < KILLS) {
        await afterAcks(1 + Math.floor(Math.random() * MAX_ACKS_BETWEEN_KILLS));
        let restarted = () => {};
        up = new Promise((resolve) => {
          restarted = resolve;
        });
        try {
          const exited = new Promise((r) => server.child.once('exit', r));
          server.child.kill('SIGKILL');
          await exited;
          kills++;
          server = await startServer();
        } finally {
          restarted();
        }
      }
      // Some traffic against the last restart, with at least one change of each kind (the random
      // kills can leave one kind unacknowledged), then stop; a kind that never succeeds fails below.
      await afterAcks(3);
      const limit = acks() + 50;
      while ((acked.revoked.size === 0 || acked.uploaded.size === 0) && acks() < limit) {
        await once(acknowledged, 'ack');
      }
    } finally {
      // Also when a restart failed: the workers stop, and the test fails with the restart's error.
      killing = false;
    }
  };
  await Promise.all([worker(logoutOnce), worker(logoutOnce), worker(uploadOnce), killer()]);
  const last = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGKILL');
  await last;

  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
  t.equal(
    db.pragma('integrity_check', { simple: true }),
    'ok',
    'the database passes the integrity check after the last SIGKILL',
  );
  db.close();

  // The state as the next start opens it (what /_mock/state would export), read without a restart.
  const store = new SqliteStore({ dataDir });
  const tables = store.exportTables();
  store.close();
  const revoked = new Set(tables.revocations.map((r) => r.hash));
  const trusted = new Set(tables.trustedCertificates.map((c) => c.fingerprint));
  t.equal(kills, KILLS, `killed ${kills} times at random moments`);
  t.ok(
    acked.revoked.size > 0 && acked.uploaded.size > 0,
    `${acked.revoked.size} logouts and ${acked.uploaded.size} uploads acknowledged`,
  );
  t.same(
    [...acked.revoked].filter((h) => !revoked.has(h)),
    [],
    'no acknowledged logout was lost',
  );
  t.same(
    [...acked.uploaded].filter((f) => !trusted.has(f)),
    [],
    'no acknowledged upload was lost',
  );
});
