import t from 'tap';
import { admin, adminSeed, assertError, basic, multipart } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { openApi } from '../helpers/openapi.js';
import { DAY, device, header, intermediateCa, rootCa } from '../helpers/pki.js';
import { type ClientResponse, startServer, type TestServer } from '../helpers/server.js';

const now = TEST_NOW;
const spec = openApi();
const VERIFY = '/tenant/trusted-certificates/verify-cert-chain';
const root = await rootCa(now, 'Verify Root');
const issuing = await intermediateCa(root, now, 'Verify Issuing CA');
const otherRoot = await rootCa(now, 'Other Root');
const disabledRoot = await rootCa(now, 'Disabled Root');
const dev = await device(issuing, now, 'iotdevice0001', {
  subject: [{ C: ['EU'] }, { ST: ['PL'] }, { O: ['device'] }, { CN: ['iotdevice0001'] }],
});
const seed = adminSeed([
  {
    id: 't100',
    trusted: [{ pem: root.certificate.pem }, { pem: disabledRoot.certificate.pem, status: 'DISABLED' }],
  },
  { id: 't200', trusted: [{ pem: otherRoot.certificate.pem }] },
]);

/** The header value: each certificate's PEM on one line, certificates separated by ",". */
const commaChain = (...pems: string[]) => pems.map((pem) => header(pem)).join(',');

function verify(server: TestServer, headers: Record<string, string>, auth?: string) {
  return admin(server, { method: 'POST', path: VERIFY, headers, ...(auth ? { auth } : {}) });
}

async function verifyFile(
  server: TestServer,
  pem: string,
  fields: Record<string, string> = {},
  headers = {},
) {
  const form = await multipart({
    ...fields,
    file: { content: pem, filename: 'chain.pem', type: 'application/x-pem-file' },
  });
  return admin(server, {
    method: 'POST',
    path: VERIFY,
    body: form.body,
    contentType: form.contentType,
    headers,
  });
}

const validated = {
  successfullyValidated: true,
  tenantId: 't100',
  subject: 'CN=iotdevice0001,O=device,ST=PL,C=EU',
  issuer: 'O=c8y-mtls-mock tests,CN=Verify Issuing CA',
};

t.test('a valid chain, by header or file, answers as documented', async (t) => {
  const server = await startServer(t, { seed });
  const cases: [string, () => Promise<ClientResponse>][] = [
    [
      'headers with the tenant',
      () =>
        verify(server, {
          'x-cumulocity-tenantid': 't100',
          'x-cumulocity-client-cert-chain': commaChain(dev.certPem, issuing.certificate.pem),
        }),
    ],
    [
      'headers without the tenant (the caller’s tenant)',
      () =>
        verify(server, {
          'x-cumulocity-client-cert-chain': commaChain(dev.certPem, issuing.certificate.pem),
        }),
    ],
    [
      'the whole chain up to the root, with spaces after the commas',
      () =>
        verify(server, {
          'x-cumulocity-client-cert-chain': commaChain(
            dev.certPem,
            issuing.certificate.pem,
            root.certificate.pem,
          ).replaceAll(',', ', '),
        }),
    ],
    [
      'a PEM file with the tenant as a form field',
      () => verifyFile(server, dev.chainPem, { tenantId: 't100' }),
    ],
    [
      'a file wins over a broken header',
      () => verifyFile(server, dev.chainPem, {}, { 'x-cumulocity-client-cert-chain': 'garbage' }),
    ],
  ];
  for (const [name, send] of cases) {
    t.test(name, async (t) => {
      const response = await send();
      t.equal(response.status, 200);
      t.match(response.headers['content-type'], /^application\/json/);
      t.same(response.json(), validated);
      spec.assert(t, 'post', VERIFY, response);
    });
  }
});

t.test('refusals', async (t) => {
  const server = await startServer(t, { seed });
  const stranger = await device(await rootCa(now, 'Stranger Root'), now, 'stranger-01');
  const ofT200 = await device(otherRoot, now, 't200-device-01');
  const ofDisabled = await device(disabledRoot, now, 'disabled-01');
  const expired = await device(issuing, now, 'expired-01', {
    notBefore: new Date(now - 10 * DAY),
    notAfter: new Date(now - DAY),
  });
  const many = Array.from({ length: 6 }, () => issuing.certificate.pem);
  const chain401 = ['security/Unauthorized', 'Invalid certificate chain!'] as const;
  const cases: [string, () => Promise<ClientResponse>, number, string, string | RegExp][] = [
    [
      'an untrusted chain',
      () => verify(server, { 'x-cumulocity-client-cert-chain': commaChain(stranger.certPem) }),
      401,
      ...chain401,
    ],
    [
      "another tenant's chain, checked against the caller's tenant",
      () => verify(server, { 'x-cumulocity-client-cert-chain': commaChain(ofT200.certPem) }),
      401,
      ...chain401,
    ],
    [
      'a DISABLED anchor',
      () => verify(server, { 'x-cumulocity-client-cert-chain': commaChain(ofDisabled.certPem) }),
      401,
      ...chain401,
    ],
    [
      'an expired leaf',
      () =>
        verify(server, {
          'x-cumulocity-client-cert-chain': commaChain(expired.certPem, issuing.certificate.pem),
        }),
      401,
      ...chain401,
    ],
    [
      'another tenant named in the header',
      () =>
        verify(server, {
          'x-cumulocity-tenantid': 't200',
          'x-cumulocity-client-cert-chain': commaChain(ofT200.certPem),
        }),
      403,
      'security/Forbidden',
      'Access is denied.',
    ],
    [
      'a tenant that does not exist',
      () =>
        verify(server, {
          'x-cumulocity-tenantid': 't999',
          'x-cumulocity-client-cert-chain': commaChain(dev.certPem),
        }),
      404,
      'Device Certificates/Not Found',
      "Tenant Id doesn't exists",
    ],
    [
      'an unparsable header',
      () =>
        verify(server, {
          'x-cumulocity-client-cert-chain': '-----BEGIN CERTIFICATE----- MIIB**** -----END CERTIFICATE-----',
        }),
      400,
      'Device Certificates/Bad Request',
      'Cannot parse X509 certificate. : invalid base64 content',
    ],
    [
      'six certificates in the header',
      () => verify(server, { 'x-cumulocity-client-cert-chain': commaChain(...many) }),
      400,
      'Device Certificates/Bad Request',
      'X-Cumulocity-Client-Cert-Chain holds 6 certificates; at most 5 are supported there (a file may hold 10).',
    ],
    [
      'eleven certificates in a file',
      () => verifyFile(server, Array.from({ length: 11 }, () => issuing.certificate.pem).join('')),
      400,
      'Device Certificates/Bad Request',
      'the file holds 11 certificates; at most 10 are supported there.',
    ],
    [
      'no chain at all',
      () => verify(server, {}),
      400,
      'Device Certificates/Bad Request',
      'Send the certificate chain in the X-Cumulocity-Client-Cert-Chain header (PEM certificates separated by ",") or as a multipart file.',
    ],
    [
      'an empty file',
      () => verifyFile(server, ''),
      400,
      'Device Certificates/Bad Request',
      'Send the certificate chain (PEM) in the multipart field "file".',
    ],
    [
      'no credentials',
      () => admin(server, { method: 'POST', path: VERIFY, auth: null }),
      401,
      'security/Unauthorized',
      'Full authentication is required to access this resource',
    ],
  ];
  for (const [name, send, status, error, message] of cases) {
    t.test(name, async (t) => {
      const response = await send();
      assertError(t, response, status, error, message);
      spec.assert(t, 'post', VERIFY, response);
    });
  }
  t.test("t200's administrator verifies t200's chain", async (t) => {
    const response = await verify(
      server,
      { 'x-cumulocity-client-cert-chain': commaChain(ofT200.certPem) },
      basic('t200/admin'),
    );
    t.equal(response.status, 200);
    t.match(response.json(), { successfullyValidated: true, tenantId: 't200', subject: 'CN=t200-device-01' });
  });
  t.test('a revoked serial with the offline check on', async (t) => {
    const chain = { 'x-cumulocity-client-cert-chain': commaChain(dev.certPem, issuing.certificate.pem) };
    await admin(server, {
      method: 'PUT',
      path: '/tenant/trusted-certificates/settings/crl',
      json: { crls: [{ serialNumberInHex: dev.credential.certificate.serialHex }] },
    });
    t.equal((await verify(server, chain)).status, 200, 'the check is off');
    await admin(server, {
      method: 'PUT',
      path: '/tenant/options/configuration',
      json: { 'crl.offline.check.enabled': 'true' },
    });
    assertError(t, await verify(server, chain), 401, ...chain401);
  });
});
