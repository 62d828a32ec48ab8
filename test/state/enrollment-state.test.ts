import t from 'tap';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { tempDir } from '../helpers/cli.js';
import {
  answerCertificates,
  asAdmin,
  deviceCsr,
  enroll,
  estServer,
  inject,
  registerWithOtp,
} from '../helpers/est.js';
import { ADMIN_SECRET, type TestServer } from '../helpers/server.js';

/*
 * The tenant CA across restarts, exports, imports and resets. Its private key
 * never leaves the store: GET /_mock/state leaves it out, so importing a
 * snapshot into this mock keeps the CA working (the key stays beside its
 * certificate), and into another mock makes the certificate an ordinary
 * trusted one: a working CA or none, never a CA without its key.
 */
const control = (server: TestServer, method: 'GET' | 'PUT' | 'POST', url: string, body?: string) =>
  inject(server, {
    method,
    url,
    headers: {
      authorization: `Bearer ${ADMIN_SECRET}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body } : {}),
  });

const isAuthority = async (server: TestServer) =>
  (
    (await asAdmin(server, 'GET', '/tenant/tenants/t100/trusted-certificates')).json() as {
      certificates: { tenantCertificateAuthority: boolean }[];
    }
  ).certificates.map((c) => c.tenantCertificateAuthority);

const tokenStatus = async (server: TestServer, der: Buffer) =>
  (
    await inject(server, {
      method: 'POST',
      url: '/devicecontrol/deviceAccessToken',
      headers: { accept: 'application/json' },
      clientCertificate: [der],
    })
  ).status;

/** A CA, one enrolled device and one still waiting. */
async function withCa(t: Parameters<typeof estServer>[0], options: Parameters<typeof estServer>[1] = {}) {
  const server = await estServer(t, options);
  await asAdmin(server, 'POST', '/certificate-authority');
  await registerWithOtp(server, [
    ['enrolled-01', 'otp-enrolled'],
    ['waiting-01', 'otp-waiting'],
  ]);
  const answer = await enroll(server, 'enrolled-01', 'otp-enrolled', (await deviceCsr('CN=enrolled-01')).der);
  return { server, issued: (await answerCertificates(answer))[0]! };
}

t.test('the export holds the issued certificates and waiting devices, never the CA key', async (t) => {
  const { server } = await withCa(t);
  const [key] = server.store.listCertificateAuthorityKeys();
  if (!key) throw new Error('no CA key');
  const exported = await control(server, 'GET', '/_mock/state');
  t.equal(exported.status, 200);
  const body = key.privateKeyPem.split('\n').slice(1, 3).join('');
  t.notOk(exported.text.includes(body), "the CA's private key is not in the export, in any form");
  t.notMatch(exported.text, /certificateAuthorityKeys/);
  const tables = (exported.json() as { tables: Record<string, unknown[]> }).tables;
  t.match(tables.issuedCertificates, [{ externalId: 'enrolled-01', kind: 'enroll' }]);
  t.match(tables.enrollmentRequests, [{ externalId: 'waiting-01', otpHash: /^sha256\$/ }]);
  t.notOk(exported.text.includes('otp-waiting'), 'nor a one-time password');
});

t.test('importing a snapshot of this mock keeps the CA: its key stays beside its certificate', async (t) => {
  const { server, issued } = await withCa(t);
  const snapshot = (await control(server, 'GET', '/_mock/state')).text;
  const fingerprint = server.app.services.authorities.current('t100')!.record.fingerprint;
  // Things change after the snapshot: the waiting device enrolls.
  const csr = await deviceCsr('CN=waiting-01');
  t.equal((await enroll(server, 'waiting-01', 'otp-waiting', csr.der)).status, 200);

  t.equal((await control(server, 'PUT', '/_mock/state', snapshot)).status, 204);
  t.same(await isAuthority(server), [true], 'the CA is the CA again');
  t.equal(server.app.services.authorities.current('t100')!.record.fingerprint, fingerprint);
  t.equal(
    (await enroll(server, 'waiting-01', 'otp-waiting', csr.der)).status,
    200,
    'it signs; the request is back',
  );
  t.equal(await tokenStatus(server, issued.der), 200, 'a certificate issued before still logs in');

  // A CA deleted after the snapshot took its key with it: restored, its certificate is an ordinary one.
  await asAdmin(server, 'DELETE', `/tenant/tenants/t100/trusted-certificates/${fingerprint}`);
  t.equal((await control(server, 'PUT', '/_mock/state', snapshot)).status, 204);
  t.same(await isAuthority(server), [false], 'no key, no CA');
  t.equal(await tokenStatus(server, issued.der), 200, 'its devices still log in');
});

t.test('importing into another mock: the CA certificate stays trusted, but is no CA there', async (t) => {
  const { server, issued } = await withCa(t);
  const snapshot = (await control(server, 'GET', '/_mock/state')).text;
  const other = await estServer(t);
  t.equal((await control(other, 'PUT', '/_mock/state', snapshot)).status, 204);
  t.same(await isAuthority(other), [false], 'an ordinary trusted certificate: no key came with it');
  t.equal(await tokenStatus(other, issued.der), 200, 'its devices still log in');
  const csr = await deviceCsr('CN=waiting-01');
  const refused = await enroll(other, 'waiting-01', 'otp-waiting', csr.der);
  t.equal(refused.status, 404, 'nothing signs: no CA');
  t.equal((await asAdmin(other, 'POST', '/certificate-authority')).status, 201, 'a new CA can be made');
  t.same((await isAuthority(other)).sort(), [false, true]);
  t.equal(
    (await enroll(other, 'waiting-01', 'otp-waiting', csr.der)).status,
    200,
    'the waiting device enrolls with it',
  );
});

t.test('a reset to the seed leaves no CA; a restart keeps it', async (t) => {
  const dataDir = tempDir(t, 'c8y-est-state-');
  const first = await withCa(t, { store: new SqliteStore({ dataDir }) });
  await first.server.stop();

  const second = await estServer(t, { store: new SqliteStore({ dataDir }) });
  t.same(await isAuthority(second), [true], 'the CA survives a restart');
  const csr = await deviceCsr('CN=waiting-01');
  t.equal(
    (await enroll(second, 'waiting-01', 'otp-waiting', csr.der)).status,
    200,
    'and signs with its stored key',
  );

  t.equal((await control(second, 'POST', '/_mock/reset')).status, 200);
  t.same(await isAuthority(second), [], 'the seed has no CA');
  t.same(second.store.listCertificateAuthorityKeys(), []);
  t.same(second.app.services.issuedCertificates.list('t100', 10), []);
  t.equal((await asAdmin(second, 'POST', '/certificate-authority')).status, 201);
});
