import t from 'tap';
import { type AdminRequest, admin, adminSeed, assertError, basic, multipart } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, header, rootCa } from '../helpers/pki.js';
import { ADMIN_SECRET, requestToken, startServer, type TestServer } from '../helpers/server.js';

/*
 * No one acts outside their tenant: t100's administrator on t200's resources
 * (403), t200's certificate named under t100's path (404), a device token on
 * any administration API (403), tenant credentials on the control API (401).
 * After all of it the whole state is exactly what it was.
 */
const now = TEST_NOW;
const root100 = await rootCa(now, 'Isolation t100 CA');
const root200 = await rootCa(now, 'Isolation t200 CA');
const newCa = await rootCa(now, 'Isolation Upload CA');
const seed = adminSeed([
  { id: 't100', trusted: [{ pem: root100.certificate.pem }] },
  { id: 't200', trusted: [{ pem: root200.certificate.pem }] },
]);
const fp200 = root200.certificate.fingerprint;
const fp100 = root100.certificate.fingerprint;
const FORBIDDEN = ['security/Forbidden', 'Access is denied.'] as const;

const csv = await multipart({
  file: {
    content: 'ID;AUTH_TYPE\nisolation-bulk-01;CERTIFICATES\n',
    filename: 'devices.csv',
    type: 'text/csv',
  },
});
const crlCsv = await multipart({
  file: {
    content: `SERIALNO,DATE\n${root200.certificate.serialHex},\n`,
    filename: 'crl.csv',
    type: 'text/csv',
  },
});
const upload = { certInPemFormat: newCa.certificate.pem, status: 'ENABLED', autoRegistrationEnabled: true };

/** Every administration endpoint, with the tenant and fingerprint it names. */
function endpoints(tenant: string, fingerprint: string): [string, AdminRequest][] {
  const trusted = `/tenant/tenants/${tenant}/trusted-certificates`;
  const pop = `/tenant/tenants/${tenant}/trusted-certificates-pop/${fingerprint}`;
  return [
    ['list trusted certificates', { path: trusted }],
    ['upload a trusted certificate', { method: 'POST', path: trusted, json: upload }],
    ['bulk upload', { method: 'POST', path: `${trusted}/bulk`, json: { certificates: [upload] } }],
    ['read a trusted certificate', { path: `${trusted}/${fingerprint}` }],
    [
      'disable a trusted certificate',
      { method: 'PUT', path: `${trusted}/${fingerprint}`, json: { status: 'DISABLED' } },
    ],
    ['delete a trusted certificate', { method: 'DELETE', path: `${trusted}/${fingerprint}` }],
    ['new PoP verification code', { method: 'POST', path: `${pop}/verification-code` }],
    [
      'proof of possession',
      { method: 'POST', path: `${pop}/pop`, json: { proofOfPossessionSignedVerificationCode: 'AAAA' } },
    ],
    ['confirm without proof', { method: 'POST', path: `${pop}/confirmed` }],
  ];
}

/** Endpoints that act on the caller's own tenant: no path names another. */
const ownTenantEndpoints: [string, AdminRequest][] = [
  [
    'verify a chain',
    {
      method: 'POST',
      path: '/tenant/trusted-certificates/verify-cert-chain',
      headers: { 'x-cumulocity-client-cert-chain': header(root100.certificate.pem) },
    },
  ],
  [
    'upload CRL entries',
    {
      method: 'PUT',
      path: '/tenant/trusted-certificates/settings/crl',
      json: { crls: [{ serialNumberInHex: 'abc' }] },
    },
  ],
  [
    'upload a CRL file',
    {
      method: 'PUT',
      path: '/tenant/trusted-certificates/settings/crl',
      body: crlCsv.body,
      contentType: crlCsv.contentType,
    },
  ],
  ['download the CRL', { path: '/tenant/trusted-certificates/settings/crl' }],
  ['list options', { path: '/tenant/options' }],
  [
    'create an option',
    { method: 'POST', path: '/tenant/options', json: { category: 'c', key: 'k', value: 'v' } },
  ],
  ['read a category', { path: '/tenant/options/oauth.internal' }],
  ['set a category', { method: 'PUT', path: '/tenant/options/c', json: { k: 'v' } }],
  ['read an option', { path: '/tenant/options/oauth.internal/device-token.lifespan.seconds' }],
  [
    'set an option',
    {
      method: 'PUT',
      path: '/tenant/options/oauth.internal/device-token.lifespan.seconds',
      json: { value: '300' },
    },
  ],
  ['delete an option', { method: 'DELETE', path: '/tenant/options/c/k' }],
  [
    'bulk registration',
    {
      method: 'POST',
      path: '/devicecontrol/bulkNewDeviceRequests',
      body: csv.body,
      contentType: csv.contentType,
    },
  ],
];

const snapshot = (server: TestServer) => JSON.stringify(server.app.services.state.export().tables);

t.test('no administrator or device acts outside its tenant, and nothing changes', async (t) => {
  const server = await startServer(t, { seed });
  const dev = await device(root100, now, 'isolation-device-01');
  const tokenResponse = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
  const deviceToken = (tokenResponse.json() as { accessToken: string }).accessToken;
  const before = snapshot(server);
  let attempts = 0;

  t.test("t100's administrator on t200's resources: 403", async (t) => {
    for (const [name, request] of endpoints('t200', fp200)) {
      attempts++;
      assertError(t, await admin(server, { ...request, auth: basic('t100/admin') }), 403, ...FORBIDDEN);
      t.comment(name);
    }
    attempts++;
    const verify = await admin(server, {
      method: 'POST',
      path: '/tenant/trusted-certificates/verify-cert-chain',
      headers: {
        'x-cumulocity-client-cert-chain': header(root200.certificate.pem),
        'x-cumulocity-tenantid': 't200',
      },
    });
    assertError(t, verify, 403, ...FORBIDDEN);
  });

  t.test("t200's certificate named under t100's own path: 404", async (t) => {
    const named = endpoints('t100', fp200).filter(([, request]) => request.path.includes(fp200));
    t.equal(named.length, 6);
    for (const [name, request] of named) {
      attempts++;
      const response = await admin(server, { ...request, auth: basic('t100/admin') });
      assertError(
        t,
        response,
        404,
        'certificate/Not Found',
        `Cannot find certificate with fingerprint ${fp200}.`,
      );
      t.comment(name);
    }
  });

  t.test('a device token on every administration API, its own tenant included: 403', async (t) => {
    for (const [name, request] of [...endpoints('t100', fp100), ...ownTenantEndpoints]) {
      attempts++;
      assertError(t, await admin(server, { ...request, auth: `Bearer ${deviceToken}` }), 403, ...FORBIDDEN);
      t.comment(name);
    }
  });

  t.test('tenant credentials on the control API: 401', async (t) => {
    for (const auth of [`Bearer ${deviceToken}`, basic('t100/admin'), `Bearer ${ADMIN_SECRET}x`]) {
      for (const request of [
        { path: '/_mock/state' },
        { method: 'POST', path: '/_mock/reset' },
        { method: 'PUT', path: '/_mock/state', json: {} },
        { path: '/_mock/decisions' },
      ]) {
        attempts++;
        const response = await admin(server, { ...request, auth });
        assertError(
          t,
          response,
          401,
          'security/Unauthorized',
          'The control API needs Authorization: Bearer <admin secret> (--admin-secret).',
        );
      }
    }
  });

  t.test('the state is exactly what it was', async (t) => {
    t.equal(snapshot(server), before, `after ${attempts} refused attempts, every table is unchanged`);
  });

  t.test("what t100's administrator does in t100 leaves t200 alone", async (t) => {
    const dev200 = await device(root200, now, 'isolation-t200-01');
    const revoke = await admin(server, {
      method: 'PUT',
      path: '/tenant/trusted-certificates/settings/crl',
      auth: basic('t100/admin'),
      json: { crls: [{ serialNumberInHex: dev200.credential.certificate.serialHex }] },
    });
    t.equal(revoke.status, 204, "t100 lists t200's device serial in its own CRL");
    const option = await admin(server, {
      method: 'PUT',
      path: '/tenant/options/configuration/crl.offline.check.enabled',
      auth: basic('t100/admin'),
      json: { value: 'true' },
    });
    t.equal(option.status, 200, 't100 turns its offline CRL check on');
    const token200 = await requestToken(server, { cert: dev200.certPem, key: dev200.keyPem });
    t.equal(token200.status, 200, "t200's device still gets its token: t100's CRL is t100's");
    const stored = server.store.listOptions('t200');
    t.same(stored, [], 't200 has no option');
  });
});
