import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import t from 'tap';
import { exportPrivateKeyPem, importPrivateKeyPem } from '../../src/pki/certificate-factory.js';
import { x509 } from '../../src/pki/x509.js';
import { assertReadableStore } from '../../src/state/readable-records.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { TEST_NOW, TestClock } from '../helpers/clock.js';
import { device, rootCa } from '../helpers/pki.js';
import { basic, seedWith } from '../helpers/seeds.js';
import { ADMIN_SECRET, call, requestToken, startServer, type TestServer } from '../helpers/server.js';

const now = TEST_NOW;
const ca = await rootCa(now, 'Restart CA');
const uploaded = await rootCa(now, 'Uploaded CA');
const seed = seedWith([{ id: 't100', domain: 't100.example.test', pem: ca.certificate.pem }]);
const admin = { authorization: basic('t100/admin'), accept: 'application/json' };

async function token(server: TestServer, issuer: typeof ca, cn: string) {
  const dev = await device(issuer, now, cn);
  const response = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
  if (response.status !== 200) throw new Error(`${response.status} ${response.text}`);
  return (response.json() as { accessToken: string }).accessToken;
}
const me = (server: TestServer, jwt: string) =>
  call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${jwt}` } });

t.test('what the APIs changed survives a restart on the same data directory', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'c8y-restart-'));
  const clock = new TestClock(now);
  const first = await startServer(t, { seed, clock, store: new SqliteStore({ dataDir }) });
  const kept = await token(first, ca, 'restart-kept');
  const ended = await token(first, ca, 'restart-ended');
  t.equal(
    (
      await call(first, {
        method: 'POST',
        path: '/user/logout',
        headers: { authorization: `Bearer ${ended}` },
      })
    ).status,
    200,
  );
  const upload = await call(first, {
    method: 'POST',
    path: '/tenant/tenants/t100/trusted-certificates',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Uploaded',
      certInPemFormat: uploaded.certificate.pem,
      status: 'ENABLED',
      autoRegistrationEnabled: true,
    }),
  });
  t.equal(upload.status, 201, 'CA uploaded');
  const option = await call(first, {
    method: 'PUT',
    path: '/tenant/options/oauth.internal/device-token.lifespan.seconds',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ value: '900' }),
  });
  t.equal(option.status, 200, 'option changed');
  const jwks = (await call(first, { path: '/_mock/jwks.json' })).text;
  await first.stop();

  const second = await startServer(t, { seed, clock, store: new SqliteStore({ dataDir }) });
  t.equal((await me(second, kept)).status, 200, 'a token issued before the restart still works');
  t.equal((await me(second, ended)).status, 401, 'a logged-out token stays refused');
  t.equal((await call(second, { path: '/_mock/jwks.json' })).text, jwks, 'the signing key is the same');
  const fetched = await call(second, {
    path: `/tenant/tenants/t100/trusted-certificates/${uploaded.certificate.fingerprint}`,
    headers: admin,
  });
  t.equal(fetched.status, 200, 'the uploaded CA is still there');
  const stored = await call(second, {
    path: '/tenant/options/oauth.internal/device-token.lifespan.seconds',
    headers: admin,
  });
  t.match(stored.json(), { value: '900' }, 'the option is still changed');
  const fresh = decodeJwt(await token(second, uploaded, 'restart-new'));
  t.equal(fresh.exp! - fresh.iat!, 900, 'and it applies');
  t.equal(
    second.app.services.devices.get('t100', 'restart-kept')?.registration,
    'auto',
    'registrations are kept',
  );
});

const CRL = '/tenant/trusted-certificates/settings/crl';
const control = { authorization: `Bearer ${ADMIN_SECRET}` };

async function downloadCrl(server: TestServer): Promise<x509.X509Crl> {
  const response = await call(server, { path: CRL, headers: { ...admin, accept: 'application/pkix-crl' } });
  if (response.status !== 200) throw new Error(`${response.status} ${response.text}`);
  return new x509.X509Crl(new Uint8Array(response.raw));
}

interface State {
  tables: { crlSigningKeys?: { privateKeyPem: string }[] } & Record<string, unknown>;
}

const exportState = async (server: TestServer) =>
  (await call(server, { path: '/_mock/state', headers: control })).json() as State;

/** The CRL key a mock holds (the newest), as its state export carries it. */
async function crlPublicKey(server: TestServer) {
  const key = (await exportState(server)).tables.crlSigningKeys?.at(-1);
  if (!key) throw new Error('the state export carries no CRL signing key');
  return (await importPrivateKeyPem(key.privateKeyPem)).publicKey;
}

t.test('the CRL signing key is kept like the token key: restart, reset, export and import', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'c8y-restart-crl-'));
  const clock = new TestClock(now);
  const first = await startServer(t, { seed, clock, store: new SqliteStore({ dataDir }) });
  const revoke = await call(first, {
    method: 'PUT',
    path: CRL,
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ crls: [{ serialNumberInHex: '1234' }] }),
  });
  t.equal(revoke.status, 204);
  const before = await downloadCrl(first);
  await first.stop();

  const second = await startServer(t, { seed, clock, store: new SqliteStore({ dataDir }) });
  const key = await crlPublicKey(second);
  t.ok(
    await before.verify({ publicKey: key }),
    'a CRL downloaded before the restart verifies with the key after it',
  );
  t.ok(await (await downloadCrl(second)).verify({ publicKey: key }), 'and the key signs the new downloads');

  const elsewhere = await startServer(t, { seed, clock });
  const otherKey = await crlPublicKey(elsewhere);
  t.notOk(await before.verify({ publicKey: otherKey }), "another mock's key does not verify it");

  const reset = await call(second, { method: 'POST', path: '/_mock/reset', headers: control });
  t.equal(reset.status, 200);
  t.ok(await (await downloadCrl(second)).verify({ publicKey: key }), 'a reset keeps the key');

  const exported = await exportState(elsewhere);
  const { crlSigningKeys, ...older } = exported.tables;
  const put = (tables: State['tables']) =>
    call(second, {
      method: 'PUT',
      path: '/_mock/state',
      headers: { ...control, 'content-type': 'application/json' },
      body: JSON.stringify({ ...exported, tables }),
    });
  t.equal((await put(older)).status, 204, 'a schema-2 export without the CRL key imports');
  t.ok(await (await downloadCrl(second)).verify({ publicKey: key }), 'and leaves the key in place');
  t.equal((await put({ ...older, crlSigningKeys })).status, 204, 'an export with its CRL key imports');
  const imported = await downloadCrl(second);
  t.ok(await imported.verify({ publicKey: otherKey }), "then the exporting mock's key signs");
  t.notOk(await imported.verify({ publicKey: key }), 'and the old key no longer does');
});

t.test('a data directory holding a record that cannot be read: the start names it and exits 2', async (t) => {
  const cwd = tempDir(t, 'c8y-unreadable-');
  const dataDir = join(cwd, 'data');
  const store = new SqliteStore({ dataDir });
  store.insertTenant({ id: 't100', domain: 't100.example.test', createdAt: now });
  store.insertTrustedCertificate({
    fingerprint: ca.certificate.fingerprint,
    tenantId: 't100',
    name: 'Edited by hand',
    status: 'ENABLED',
    autoRegistrationEnabled: true,
    certDer: Buffer.from('garbage'),
    proofOfPossessionValid: false,
    proofOfPossessionCode: null,
    proofOfPossessionCodeUsableUntil: null,
    createdAt: now,
  });
  store.close();
  const result = await runCli(
    [
      'serve',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--api-port',
      '0',
      '--mqtt-port',
      '0',
      '--host',
      '127.0.0.1',
    ],
    { cwd },
  );
  t.equal(result.code, 2, 'exit code 2: the server cannot start as configured');
  t.match(
    result.stderr,
    `c8y-mtls-mock: data directory data holds a record that cannot be read: trustedCertificates.certDer of the trusted certificate ${ca.certificate.fingerprint} of tenant t100: not a certificate: malformed DER (truncated content). Restore the data directory from a backup, or move it away`,
  );
  t.notMatch(result.stderr, /\n\s+at /, 'no stack trace');
});

t.test('the start check reads the keys too, and passes a store it can read', async (t) => {
  const store = new SqliteStore({});
  t.teardown(() => store.close());
  store.insertTenant({ id: 't100', domain: 't100.example.test', createdAt: now });
  store.insertTrustedCertificate({
    fingerprint: ca.certificate.fingerprint,
    tenantId: 't100',
    name: 'Restart CA',
    status: 'ENABLED',
    autoRegistrationEnabled: true,
    certDer: ca.certificate.der,
    proofOfPossessionValid: false,
    proofOfPossessionCode: null,
    proofOfPossessionCodeUsableUntil: null,
    createdAt: now,
  });
  await t.resolves(assertReadableStore(store, 'the store'), 'a readable store passes');
  const keyPem = await exportPrivateKeyPem(ca.keys.privateKey);
  store.insertCertificateAuthorityKey({
    fingerprint: ca.certificate.fingerprint,
    tenantId: 't100',
    privateKeyPem: `${keyPem.slice(0, 60)}broken`,
    createdAt: now,
  });
  await t.rejects(assertReadableStore(store, 'the store'), {
    name: 'StoredStateError',
    message: new RegExp(
      `^the store holds a record that cannot be read: certificateAuthorityKeys\\.privateKeyPem of the key of the certificate authority ${ca.certificate.fingerprint} of tenant t100: not a private key in PEM`,
    ),
  });
  store.putSigningKey({ kid: 'k1', privateKeyPem: 'not a key', createdAt: now });
  await t.rejects(assertReadableStore(store, 'the store'), {
    message: /: signingKeys\.privateKeyPem of the token signing key k1: not an RSA private key/,
  });
});
