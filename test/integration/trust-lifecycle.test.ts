import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { admin, adminSeed, assertError } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, rootCa } from '../helpers/pki.js';
import { call, requestToken, startServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const now = TEST_NOW;

/** The CA names the server asks client certificates from, as `openssl s_client` shows them. */
async function acceptableCaNames(server: TestServer): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'c8y-sclient-'));
  writeFileSync(join(dir, 'ca.pem'), server.serverCa);
  const pending = run('openssl', [
    's_client',
    '-connect',
    `127.0.0.1:${server.port}`,
    '-servername',
    'localhost',
    '-CAfile',
    join(dir, 'ca.pem'),
    '-tls1_2',
  ]);
  pending.child.stdin?.end();
  const { stdout } = await pending;
  const section = stdout.split('Acceptable client certificate CA names\n')[1];
  if (!section) return [];
  const names: string[] = [];
  for (const line of section.split('\n')) {
    if (/^(Requested|Client Certificate Types|Shared|Peer|---)/.test(line)) break;
    names.push(line.trim());
  }
  return names;
}

t.test(
  'an administrator changes trust over the API; tokens and the TLS CA list follow at once',
  async (t) => {
    const other = await rootCa(now, 'Other Tenant CA');
    const server = await startServer(t, {
      listen: true,
      seed: adminSeed([{ id: 't100' }, { id: 't200', trusted: [{ pem: other.certificate.pem }] }]),
    });
    const ca = await rootCa(now, 'Lifecycle CA');
    const dev = await device(ca, now, 'lifecycle-01');
    const spare = await device(ca, now, 'lifecycle-02');
    const lifecycleName = 'CN = Lifecycle CA, O = c8y-mtls-mock tests';
    const tokenStatus = async (d = dev) =>
      (await requestToken(server, { cert: d.certPem, key: d.keyPem })).status;

    t.same(
      await acceptableCaNames(server),
      ['CN = Other Tenant CA, O = c8y-mtls-mock tests'],
      'before: only t200’s CA',
    );
    assertError(
      t,
      await requestToken(server, { cert: dev.certPem, key: dev.keyPem }),
      401,
      'security/Unauthorized',
      'Invalid certificate chain!',
    );

    const upload = await admin(server, {
      method: 'POST',
      path: '/tenant/tenants/t100/trusted-certificates',
      json: {
        name: 'Lifecycle CA',
        status: 'ENABLED',
        autoRegistrationEnabled: true,
        certInPemFormat: ca.certificate.pem,
      },
    });
    t.equal(upload.status, 201, 'uploaded');
    const fingerprint = (upload.json() as { fingerprint: string }).fingerprint;
    const single = `/tenant/tenants/t100/trusted-certificates/${fingerprint}`;
    t.ok((await acceptableCaNames(server)).includes(lifecycleName), 'the TLS layer now asks for the new CA');

    const issued = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
    t.equal(issued.status, 200, 'a device of the new CA gets a token');
    const token = (issued.json() as { accessToken: string }).accessToken;
    t.equal(
      (await call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${token}` } }))
        .status,
      200,
    );

    t.equal(
      (await admin(server, { method: 'PUT', path: single, json: { status: 'DISABLED' } })).status,
      200,
      'disabled',
    );
    t.notOk((await acceptableCaNames(server)).includes(lifecycleName), 'a DISABLED CA is not asked for');
    assertError(
      t,
      await requestToken(server, { cert: dev.certPem, key: dev.keyPem }),
      401,
      'security/Unauthorized',
      'Invalid certificate chain!',
    );
    t.equal(
      (await call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${token}` } }))
        .status,
      401,
      'its tokens stop working too',
    );

    t.equal(
      (await admin(server, { method: 'PUT', path: single, json: { status: 'ENABLED' } })).status,
      200,
      'enabled',
    );
    t.ok((await acceptableCaNames(server)).includes(lifecycleName));
    t.equal(await tokenStatus(), 200, 'works again');

    const revoke = await admin(server, {
      method: 'PUT',
      path: '/tenant/trusted-certificates/settings/crl',
      json: { crls: [{ serialNumberInHex: dev.credential.certificate.serialHex }] },
    });
    t.equal(revoke.status, 204);
    t.equal(await tokenStatus(), 200, 'revoked, but the offline check is still off');
    const check = await admin(server, {
      method: 'PUT',
      path: '/tenant/options/configuration',
      json: { 'crl.offline.check.enabled': 'true' },
    });
    t.equal(check.status, 200, 'offline check on');
    assertError(
      t,
      await requestToken(server, { cert: dev.certPem, key: dev.keyPem }),
      401,
      'security/Unauthorized',
      'Invalid certificate chain!',
    );
    t.equal(await tokenStatus(spare), 200, 'another device of the CA still gets tokens');

    const removed = await admin(server, { method: 'DELETE', path: single });
    t.equal(removed.status, 204, 'deleted');
    t.same(
      await acceptableCaNames(server),
      ['CN = Other Tenant CA, O = c8y-mtls-mock tests'],
      'gone from the TLS layer',
    );
    assertError(
      t,
      await requestToken(server, { cert: spare.certPem, key: spare.keyPem }),
      401,
      'security/Unauthorized',
      'Invalid certificate chain!',
    );
  },
);
