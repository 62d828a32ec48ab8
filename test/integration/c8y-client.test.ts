import { createPrivateKey, sign } from 'node:crypto';
import { Agent } from 'node:https';
import {
  BasicAuth,
  BearerAuth,
  Client,
  CrlService,
  type ITrustedCertificate,
  TrustedCertificateService,
} from '@c8y/client';
import t from 'tap';
import { exportPrivateKeyPem } from '../../src/pki/certificate-factory.js';
import { x509 } from '../../src/pki/x509.js';
import { ADMIN_PASSWORD, adminSeed } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, rootCa } from '../helpers/pki.js';
import { requestToken, startServer, type TestServer } from '../helpers/server.js';

/**
 * The official client drives the mock. In Node it sends requests with
 * cross-fetch (node-fetch 2), which takes an `agent`: the client's public
 * `core.defaultFetchOptions` carries one that trusts the test server's CA.
 */
const now = TEST_NOW;

function clientFor(server: TestServer, auth: BasicAuth | BearerAuth): Client {
  const client = new Client(auth, server.origin);
  client.core.defaultFetchOptions = { agent: new Agent({ ca: server.serverCa }) };
  client.core.tenant = 't100';
  return client;
}

/** What the client throws for an error status: `{ res, data }`. */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; data: unknown }> {
  try {
    await promise;
  } catch (error) {
    const { res, data } = error as { res: { status: number }; data: unknown };
    return { status: res.status, data };
  }
  throw new Error('expected the client to throw');
}

t.test('TrustedCertificateService and CrlService against the mock', async (t) => {
  const server = await startServer(t, { listen: true, seed: adminSeed([{ id: 't100' }]) });
  const client = clientFor(
    server,
    new BasicAuth({ tenant: 't100', user: 'admin', password: ADMIN_PASSWORD }),
  );
  const certificates = new TrustedCertificateService(client.core);
  const crl = new CrlService(client.core);
  const ca = await rootCa(now, 'Client Root');
  const second = await rootCa(now, 'Client Second Root');

  const created = await certificates.create({
    name: 'Client Root',
    certInPemFormat: ca.certificate.pem,
    status: 'ENABLED',
    autoRegistrationEnabled: true,
  } as Partial<ITrustedCertificate> as ITrustedCertificate);
  t.equal(created.res.status, 201);
  t.equal(created.data.fingerprint, ca.certificate.fingerprint);
  t.equal(created.data.certInPemFormat, ca.certificate.base64);
  server.clock.advance(1000); // the list is in upload order
  await certificates.create({
    certInPemFormat: second.certificate.base64,
    status: 'DISABLED',
  } as Partial<ITrustedCertificate> as ITrustedCertificate);

  const duplicate = await refusal(
    certificates.create({ certInPemFormat: ca.certificate.pem, status: 'ENABLED' } as ITrustedCertificate),
  );
  t.equal(duplicate.status, 409);
  t.match(duplicate.data, { error: 'tenants/Conflict' });

  const page = await certificates.list({ pageSize: 1, withTotalPages: true });
  t.equal(page.res.status, 200);
  t.same(
    page.data.map((c) => c.name),
    ['Client Root'],
  );
  t.equal(page.paging?.totalPages, 2, 'paging read from statistics');
  t.equal(page.paging?.nextPage, 2, 'next page read from the next link');
  const next = await page.paging!.next();
  t.same(
    next.data.map((c) => c.name),
    ['Client Second Root'],
    'Paging.next() follows',
  );

  const detail = await certificates.detail(ca.certificate.fingerprint);
  t.equal(detail.data.subject, 'O=c8y-mtls-mock tests, CN=Client Root');

  const updated = await certificates.update({
    ...detail.data,
    name: 'Renamed by @c8y/client',
    status: 'DISABLED',
  });
  t.equal(updated.res.status, 200);
  t.match(updated.data, { name: 'Renamed by @c8y/client', status: 'DISABLED' });

  const code = await certificates.regeneratePoPVerificationCode(ca.certificate.fingerprint);
  const signature = sign(
    'sha256',
    Buffer.from(code.data.proofOfPossessionUnsignedVerificationCode!, 'utf8'),
    createPrivateKey(await exportPrivateKeyPem(ca.keys.privateKey)),
  ).toString('base64');
  const proved = await certificates.verifySignedVerificationCode(ca.certificate.fingerprint, signature);
  t.equal(proved.data.proofOfPossessionValid, true, 'proof of possession through the client');

  const removed = await certificates.delete(second.certificate.fingerprint);
  t.equal(removed.res.status, 204);
  const gone = await refusal(certificates.detail(second.certificate.fingerprint));
  t.equal(gone.status, 404);

  const uploaded = await crl.uploadCrls([
    { serialNumberInHex: '1000', revocationDate: '2023-01-13T23:00:00.000Z' },
  ]);
  t.equal(uploaded.res.status, 204);
  const file = await crl.uploadCrlFile(
    Buffer.from('SERIALNO,DATE\n1234567890abcdef,2023-01-01T00:00:00.000Z\n'),
  );
  t.equal(file.res.status, 204, 'the CSV file as the client sends it (a form field without a filename)');
  const download = await crl.downloadCrlFile();
  t.equal(download.status, 200);
  const list = new x509.X509Crl(await download.arrayBuffer());
  t.same(list.entries.map((e) => e.serialNumber.toLowerCase()).sort(), ['1000', '1234567890abcdef']);
});

t.test('tenant options and bulk registration through the client', async (t) => {
  const server = await startServer(t, { listen: true, seed: adminSeed([{ id: 't100' }]) });
  const client = clientFor(
    server,
    new BasicAuth({ tenant: 't100', user: 'admin', password: ADMIN_PASSWORD }),
  );
  const options = client.options.tenant;
  const created = await options.create({
    category: 'configuration',
    key: 'crl.offline.check.enabled',
    value: 'true',
  });
  t.equal(created.res.status, 200);
  const read = await options.detail({ category: 'configuration', key: 'crl.offline.check.enabled' });
  t.equal(read.data.value, 'true');
  const changed = await options.update({
    category: 'configuration',
    key: 'crl.offline.check.enabled',
    value: 'false',
  });
  t.equal(changed.data.value, 'false');
  const short = await refusal(
    options.create({ category: 'oauth.internal', key: 'device-token.lifespan.seconds', value: '60' }),
  );
  t.equal(short.status, 422);
  t.match(short.data, { message: /at least 300 seconds/ });
  t.equal(
    (await options.delete({ category: 'configuration', key: 'crl.offline.check.enabled' })).res.status,
    204,
  );

  const bulk = await client.deviceRegistrationBulk.create(
    Buffer.from('ID,AUTH_TYPE,TYPE,NAME\nclient-bulk-01,CERTIFICATES,c8y_Device,From the client\n'),
  );
  t.equal(bulk.res.status, 201);
  t.match(bulk.data, { numberOfAll: 1, numberOfCreated: 1, numberOfFailed: 0 });
});

t.test('a device token in BearerAuth reads user.current() and tenant.current()', async (t) => {
  const ca = await rootCa(now, 'Bearer Root');
  const server = await startServer(t, {
    listen: true,
    seed: adminSeed([{ id: 't100', trusted: [{ pem: ca.certificate.pem }] }]),
  });
  const dev = await device(ca, now, 'client-device-01');
  const token = (
    (await requestToken(server, { cert: dev.certPem, key: dev.keyPem })).json() as { accessToken: string }
  ).accessToken;
  const client = clientFor(server, new BearerAuth(token));

  const user = await client.user.current();
  t.equal(user.res.status, 200);
  t.match(user.data, { userName: 'device_client-device-01', id: 'device_client-device-01' });
  t.ok(
    (user.data.effectiveRoles as { id: string }[] | undefined)?.some((role) => role.id === 'ROLE_DEVICE'),
    'device roles',
  );

  const tenant = await client.tenant.current();
  t.equal(tenant.res.status, 200);
  t.match(tenant.data, { name: 't100', domainName: 't100.example.test', allowCreateTenants: false });

  const admin = await refusal(new TrustedCertificateService(client.core).list());
  t.equal(admin.status, 403, 'the device token cannot administer trust');
});
