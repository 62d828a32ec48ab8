import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { commonName, createDeviceCertificate } from '../../src/pki/certificate-factory.js';
import { admin, adminSeed, assertError, basic } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { openApi } from '../helpers/openapi.js';
import { DAY, device, rootCa } from '../helpers/pki.js';
import { requestToken, startServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const now = TEST_NOW;
const COLLECTION = '/tenant/tenants/{tenantId}/trusted-certificates';
const SINGLE = `${COLLECTION}/{fingerprint}`;
const spec = openApi();

const seed = adminSeed([{ id: 't100' }, { id: 't200' }]);
const acme = await rootCa(now, 'Acme Root', {
  subject: [{ C: ['DE'] }, { O: ['Acme'] }, { OU: ['Devices'] }, { CN: ['Acme Root'] }],
  serialHex: '48e2e80516001e6c',
});
const rsa = await rootCa(now, 'RSA Root', { keySpec: { type: 'rsa', bits: 2048 } });

/** Facts of a PEM certificate as openssl prints them, independent of the mock's own parser. */
async function opensslFacts(pem: string) {
  const dir = mkdtempSync(join(tmpdir(), 'c8y-facts-'));
  writeFileSync(join(dir, 'c.pem'), pem);
  const { stdout } = await run('openssl', [
    'x509',
    '-in',
    join(dir, 'c.pem'),
    '-noout',
    '-serial',
    '-subject',
    '-issuer',
    '-nameopt',
    'RFC2253',
  ]);
  const field = (name: string) => stdout.match(new RegExp(`^${name}=(.*)$`, 'm'))![1]!;
  const der = Buffer.from(
    pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''),
    'base64',
  );
  return {
    der,
    fingerprint: createHash('sha1').update(der).digest('hex'),
    serialDecimal: BigInt(`0x${field('serial')}`).toString(10),
    // RFC 2253 reverses the DER order and joins with ","; the platform joins with ", ".
    subject: field('subject').split(',').join(', '),
    issuer: field('issuer').split(',').join(', '),
  };
}

const path = (tenantId: string, fingerprint?: string) =>
  `/tenant/tenants/${tenantId}/trusted-certificates${fingerprint ? `/${fingerprint}` : ''}`;

t.test('an upload answers 201 with every field as the platform formats it', async (t) => {
  const server = await startServer(t, { seed });
  const upload = await admin(server, {
    method: 'POST',
    path: path('t100'),
    json: {
      name: 'Acme factory CA',
      status: 'ENABLED',
      autoRegistrationEnabled: 'true',
      certInPemFormat: acme.certificate.pem,
    },
  });
  t.equal(upload.status, 201);
  t.match(upload.headers['content-type'], /^application\/json/);
  spec.assert(t, 'post', COLLECTION, upload);
  const facts = await opensslFacts(acme.certificate.pem);
  const x509 = acme.certificate.x509;
  const expected = {
    algorithmName: 'SHA256withECDSA',
    autoRegistrationEnabled: true,
    certInPemFormat: facts.der.toString('base64'),
    fingerprint: facts.fingerprint,
    issuer: 'CN=Acme Root, OU=Devices, O=Acme, C=DE',
    name: 'Acme factory CA',
    notAfter: new Date(x509.validTo).toISOString(),
    notBefore: new Date(x509.validFrom).toISOString(),
    proofOfPossessionValid: false,
    self: `https://localhost:${server.port}/tenant/tenants/t100/trusted-certificates/${facts.fingerprint}`,
    serialNumber: '5252015224009006700',
    status: 'ENABLED',
    subject: 'CN=Acme Root, OU=Devices, O=Acme, C=DE',
    tenantCertificateAuthority: false,
    version: 3,
  };
  t.same(upload.json(), expected, 'exact body');
  t.same(Object.keys(upload.json() as object), Object.keys(expected), 'fields in the platform order');
  t.equal(facts.subject, expected.subject, 'subject as openssl reads it, reversed, joined by ", "');
  t.equal(facts.serialDecimal, expected.serialNumber, 'decimal serial (0x48E2E80516001E6C)');
  t.match(expected.notAfter, /\.000Z$/);

  const got = await admin(server, { path: path('t100', facts.fingerprint.toUpperCase()) });
  t.equal(got.status, 200, 'GET by fingerprint, any case');
  t.same(got.json(), expected, 'GET returns the same representation');
  spec.assert(t, 'get', SINGLE, got);

  const rsaUpload = await admin(server, {
    method: 'POST',
    path: path('t100'),
    json: { status: 'DISABLED', certInPemFormat: rsa.certificate.pem },
  });
  t.equal(rsaUpload.status, 201);
  t.match(rsaUpload.json(), {
    algorithmName: 'SHA256withRSA',
    name: 'RSA Root',
    status: 'DISABLED',
    autoRegistrationEnabled: false,
    subject: 'O=c8y-mtls-mock tests, CN=RSA Root',
  });
});

t.test('full PEM, PEM without newlines and bare base64 DER are all accepted', async (t) => {
  const server = await startServer(t, { seed });
  const cas = await Promise.all([1, 2, 3, 4].map((n) => rootCa(now, `Form ${n}`)));
  const pems = cas.map((ca) => ca.certificate.pem);
  const forms: [string, string][] = [
    ['full PEM', pems[0]!],
    ['PEM with the newlines removed', pems[1]!.replace(/\n/g, '')],
    ['bare base64 DER', cas[2]!.certificate.base64],
    ['indented PEM as in the OpenAPI example', pems[3]!.replace(/\n/g, '\n  ')],
  ];
  for (const [name, certInPemFormat] of forms) {
    const response = await admin(server, {
      method: 'POST',
      path: path('t100'),
      json: { status: 'ENABLED', certInPemFormat },
    });
    t.equal(response.status, 201, name);
  }
  const list = await admin(server, { path: `${path('t100')}?pageSize=10` });
  t.equal((list.json() as { certificates: unknown[] }).certificates.length, 4);
});

t.test('uploads the platform refuses', async (t) => {
  const server = await startServer(t, { seed });
  const dir = mkdtempSync(join(tmpdir(), 'c8y-v1-'));
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(dir, 'k.pem'),
    '-subj',
    '/CN=v3 first',
    '-days',
    '30',
    '-out',
    join(dir, 'ignored.pem'),
  ]);
  await run('openssl', [
    'req',
    '-new',
    '-key',
    join(dir, 'k.pem'),
    '-subj',
    '/CN=Version One',
    '-out',
    join(dir, 'v1.csr'),
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    join(dir, 'v1.csr'),
    '-signkey',
    join(dir, 'k.pem'),
    '-days',
    '30',
    '-out',
    join(dir, 'v1.pem'),
  ]);
  const v1 = readFileSync(join(dir, 'v1.pem'), 'utf8');
  const leaf = await createDeviceCertificate({
    issuer: acme,
    subject: commonName('not-a-ca'),
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + DAY),
  });
  const expired = await rootCa(now, 'Expired Root', {
    notBefore: new Date(now - 30 * DAY),
    notAfter: new Date(now - DAY),
  });
  const held = await rootCa(now, 'Held Root');
  t.equal(
    (
      await admin(server, {
        method: 'POST',
        path: path('t200'),
        auth: basic('t200/admin'),
        json: { status: 'ENABLED', certInPemFormat: held.certificate.pem },
      })
    ).status,
    201,
  );
  const cases: [string, unknown, number, string, string | RegExp][] = [
    [
      'a version 1 certificate',
      { status: 'ENABLED', certInPemFormat: v1 },
      422,
      'tenants/Invalid Data',
      'Certificate is X.509 version 1; only version 3 certificates are accepted.',
    ],
    [
      'a device certificate (CA:false)',
      { status: 'ENABLED', certInPemFormat: leaf.certificate.pem },
      422,
      'tenants/Invalid Data',
      'Certificate is not a CA certificate: basicConstraints CA:true is required.',
    ],
    [
      'an expired CA',
      { status: 'ENABLED', certInPemFormat: expired.certificate.pem },
      422,
      'tenants/Invalid Data',
      `Certificate expired on ${new Date(expired.certificate.notAfter).toISOString()}.`,
    ],
    [
      'text that is no certificate',
      { status: 'ENABLED', certInPemFormat: 'hello world' },
      422,
      'tenants/Invalid Data',
      /^Cannot parse certificate: /,
    ],
    [
      'a truncated certificate',
      { status: 'ENABLED', certInPemFormat: acme.certificate.base64.slice(0, 120) },
      422,
      'tenants/Invalid Data',
      /^Cannot parse certificate: /,
    ],
    [
      'a CA whose public key OpenSSL cannot read (an unknown curve)',
      { status: 'ENABLED', certInPemFormat: unreadableKey(acme.certificate.der).toString('base64') },
      422,
      'tenants/Invalid Data',
      /^Cannot parse certificate: unsupported or malformed public key/,
    ],
    [
      'two certificates in one upload',
      { status: 'ENABLED', certInPemFormat: acme.certificate.pem + rsa.certificate.pem },
      422,
      'tenants/Invalid Data',
      'Cannot parse certificate: expected one certificate, found 2.',
    ],
    [
      'a certificate another tenant holds',
      { status: 'ENABLED', certInPemFormat: held.certificate.pem },
      409,
      'tenants/Conflict',
      'Duplicate - A certificate with the same fingerprint already exists in another tenant.',
    ],
    [
      'no certificate',
      { status: 'ENABLED' },
      422,
      'tenants/Unprocessable Entity',
      'Field certInPemFormat is required.',
    ],
    [
      'no status (required in the OpenAPI)',
      { certInPemFormat: acme.certificate.pem },
      422,
      'tenants/Unprocessable Entity',
      'Field status is required: one of ENABLED, DISABLED.',
    ],
    [
      'an unknown status',
      { status: 'ACTIVE', certInPemFormat: acme.certificate.pem },
      422,
      'tenants/Unprocessable Entity',
      'Field status must be one of ENABLED, DISABLED; got string "ACTIVE".',
    ],
    [
      'a non-boolean autoRegistrationEnabled',
      { status: 'ENABLED', autoRegistrationEnabled: 'yes', certInPemFormat: acme.certificate.pem },
      422,
      'tenants/Unprocessable Entity',
      'Field autoRegistrationEnabled must be true or false; got string "yes".',
    ],
    [
      'a JSON array',
      [],
      422,
      'tenants/Unprocessable Entity',
      'The request body must be a JSON object; got an array.',
    ],
  ];
  for (const [name, json, status, error, message] of cases) {
    t.test(name, async (t) => {
      const response = await admin(server, { method: 'POST', path: path('t100'), json });
      assertError(t, response, status, error, message);
      spec.assert(t, 'post', COLLECTION, response);
    });
  }
  t.test('the same certificate twice in one tenant', async (t) => {
    const body = { status: 'ENABLED', certInPemFormat: acme.certificate.pem };
    t.equal((await admin(server, { method: 'POST', path: path('t100'), json: body })).status, 201);
    const again = await admin(server, { method: 'POST', path: path('t100'), json: body });
    assertError(
      t,
      again,
      409,
      'tenants/Conflict',
      'Duplicate - A certificate with the same fingerprint already exists.',
    );
    spec.assert(t, 'post', COLLECTION, again);
  });
  t.test('malformed JSON', async (t) => {
    const response = await admin(server, {
      method: 'POST',
      path: path('t100'),
      contentType: 'application/json',
      body: '{"status":',
    });
    assertError(t, response, 400, 'tenants/Bad Request', /^Invalid request body: /);
    spec.assert(t, 'post', COLLECTION, response);
  });
});

async function uploadMany(server: TestServer, count: number) {
  const fingerprints: string[] = [];
  for (let i = 0; i < count; i++) {
    const ca = await rootCa(now, `Paged ${i}`);
    server.clock.advance(1000); // listed in upload order
    const response = await admin(server, {
      method: 'POST',
      path: path('t100'),
      json: { status: 'ENABLED', certInPemFormat: ca.certificate.pem },
    });
    fingerprints.push((response.json() as { fingerprint: string }).fingerprint);
  }
  return fingerprints;
}

t.test('the list pages as the platform does', async (t) => {
  const server = await startServer(t, { seed });
  const fingerprints = await uploadMany(server, 7);
  const base = `https://localhost:${server.port}/tenant/tenants/t100/trusted-certificates`;
  type List = {
    certificates: { fingerprint: string }[];
    next?: string;
    prev?: string;
    self: string;
    statistics: Record<string, number>;
  };

  const first = await admin(server, { path: path('t100') });
  t.equal(first.status, 200);
  spec.assert(t, 'get', COLLECTION, first);
  const page1 = first.json() as List;
  t.same(
    page1.certificates.map((c) => c.fingerprint),
    fingerprints.slice(0, 5),
    'default page size 5, upload order',
  );
  t.same(
    page1.statistics,
    { currentPage: 1, pageSize: 5, totalPages: 2 },
    'totalPages by default (the 2026 spec), totalElements only when asked',
  );
  t.equal(page1.self, `${base}?pageSize=5&currentPage=1`);
  t.equal(page1.next, `${base}?pageSize=5&currentPage=2`);
  t.notOk('prev' in page1, 'no prev on the first page');

  const second = await admin(server, { path: new URL(page1.next!).pathname + new URL(page1.next!).search });
  const page2 = second.json() as List;
  t.same(
    page2.certificates.map((c) => c.fingerprint),
    fingerprints.slice(5),
    'next link gives the rest',
  );
  t.equal(page2.prev, `${base}?pageSize=5&currentPage=1`);
  t.notOk('next' in page2, 'no next on the last page');

  const totals = await admin(server, {
    path: `${path('t100')}?pageSize=3&currentPage=3&withTotalElements=true&withTotalPages=true`,
  });
  spec.assert(t, 'get', COLLECTION, totals);
  const page3 = totals.json() as List;
  t.same(page3.statistics, { currentPage: 3, pageSize: 3, totalPages: 3, totalElements: 7 });
  t.equal(page3.certificates.length, 1);
  t.equal(page3.self, `${base}?pageSize=3&currentPage=3&withTotalElements=true&withTotalPages=true`);
  t.equal(page3.prev, `${base}?pageSize=3&currentPage=2&withTotalElements=true&withTotalPages=true`);

  const beyond = (await admin(server, { path: `${path('t100')}?currentPage=9` })).json() as List;
  t.same(beyond.certificates, [], 'a page past the end is empty');

  const authorities = await admin(server, { path: `${path('t100')}?certificateAuthority=true` });
  t.same((authorities.json() as List).certificates, [], 'no tenant CA in the mock');
  t.equal((authorities.json() as List).self, `${base}?pageSize=5&currentPage=1&certificateAuthority=true`);
  const ordinary = (
    await admin(server, { path: `${path('t100')}?certificateAuthority=false&pageSize=2000` })
  ).json() as List;
  t.equal(ordinary.certificates.length, 7);

  for (const [query, message] of [
    ['pageSize=0', 'Query parameter pageSize must be a whole number from 1 to 2000; got "0".'],
    ['pageSize=2001', 'Query parameter pageSize must be a whole number from 1 to 2000; got "2001".'],
    ['pageSize=abc', 'Query parameter pageSize must be a whole number from 1 to 2000; got "abc".'],
    ['currentPage=0', 'Query parameter currentPage must be a whole number from 1 to 999999999; got "0".'],
    ['currentPage=-1', 'Query parameter currentPage must be a whole number from 1 to 999999999; got "-1".'],
    ['withTotalPages=yes', 'Query parameter withTotalPages must be true or false; got "yes".'],
    ['certificateAuthority=1', 'Query parameter certificateAuthority must be true or false; got "1".'],
    ['pageSize=1&pageSize=2', 'Query parameter pageSize is given more than once.'],
  ] as const) {
    const response = await admin(server, { path: `${path('t100')}?${query}` });
    assertError(t, response, 400, 'tenants/Bad Request', message);
    spec.assert(t, 'get', COLLECTION, response);
  }
});

t.test('update and delete', async (t) => {
  const server = await startServer(t, { seed });
  const [fingerprint] = await uploadMany(server, 1);
  const single = path('t100', fingerprint);

  const updated = await admin(server, {
    method: 'PUT',
    path: single,
    json: {
      name: 'Renamed',
      status: 'DISABLED',
      autoRegistrationEnabled: 'true',
      certInPemFormat: 'ignored',
    },
  });
  t.equal(updated.status, 200);
  spec.assert(t, 'put', SINGLE, updated);
  t.match(updated.json(), {
    name: 'Renamed',
    status: 'DISABLED',
    autoRegistrationEnabled: true,
    fingerprint,
  });
  const onlyStatus = await admin(server, { method: 'PUT', path: single, json: { status: 'ENABLED' } });
  t.match(
    onlyStatus.json(),
    { name: 'Renamed', status: 'ENABLED', autoRegistrationEnabled: true },
    'a partial update',
  );

  const bad = await admin(server, { method: 'PUT', path: single, json: { name: '' } });
  assertError(t, bad, 422, 'tenants/Unprocessable Entity', 'Field name must not be empty.');
  spec.assert(t, 'put', SINGLE, bad);

  const unknown = '0000000000000000000000000000000000000000';
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const response = await admin(server, {
      method,
      path: path('t100', unknown),
      ...(method === 'PUT' ? { json: { name: 'x' } } : {}),
    });
    assertError(
      t,
      response,
      404,
      'certificate/Not Found',
      `Cannot find certificate with fingerprint ${unknown}.`,
    );
    spec.assert(t, method, SINGLE, response);
  }

  const deleted = await admin(server, { method: 'DELETE', path: single });
  t.equal(deleted.status, 204);
  t.equal(deleted.text, '', 'no body');
  spec.assert(t, 'delete', SINGLE, deleted);
  assertError(
    t,
    await admin(server, { path: single }),
    404,
    'certificate/Not Found',
    `Cannot find certificate with fingerprint ${fingerprint}.`,
  );
});

t.test('bulk upload adds all or nothing', async (t) => {
  const server = await startServer(t, { seed });
  const [a, b, c] = await Promise.all(['Bulk A', 'Bulk B', 'Bulk C'].map((n) => rootCa(now, n)));
  const bulk = path('t100') + '/bulk';
  const created = await admin(server, {
    method: 'POST',
    path: bulk,
    json: {
      certificates: [
        { name: 'A', status: 'ENABLED', certInPemFormat: a!.certificate.pem },
        { name: 'B', status: 'DISABLED', certInPemFormat: b!.certificate.base64 },
      ],
    },
  });
  t.equal(created.status, 201);
  spec.assert(t, 'post', `${COLLECTION}/bulk`, created);
  t.match(created.json(), {
    certificates: [
      { name: 'A', status: 'ENABLED' },
      { name: 'B', status: 'DISABLED' },
    ],
  });

  const refused = await admin(server, {
    method: 'POST',
    path: bulk,
    json: {
      certificates: [
        { status: 'ENABLED', certInPemFormat: c!.certificate.pem },
        { status: 'ENABLED', certInPemFormat: a!.certificate.pem },
      ],
    },
  });
  assertError(
    t,
    refused,
    409,
    'tenants/Conflict',
    'certificates[1]: Duplicate - A certificate with the same fingerprint already exists.',
  );
  spec.assert(t, 'post', `${COLLECTION}/bulk`, refused);
  const list = (await admin(server, { path: path('t100') })).json() as { certificates: { name: string }[] };
  t.same(list.certificates.map((x) => x.name).sort(), ['A', 'B'], 'C was not added');
  const afterwards = await admin(server, {
    method: 'POST',
    path: bulk,
    json: { certificates: [{ status: 'ENABLED', certInPemFormat: c!.certificate.pem }] },
  });
  t.equal(afterwards.status, 201, 'C can be added after the rolled-back attempt');

  const notArray = await admin(server, { method: 'POST', path: bulk, json: { certificates: 'x' } });
  assertError(
    t,
    notArray,
    422,
    'tenants/Unprocessable Entity',
    'Field certificates must be an array; got string "x".',
  );
});

t.test('who may call: Basic in both forms, 401, 403 across tenants and for device tokens', async (t) => {
  const root = await rootCa(now, 'Auth Root');
  const server = await startServer(t, {
    seed: adminSeed([{ id: 't100', trusted: [{ pem: root.certificate.pem }] }, { id: 't200' }]),
  });
  const list = path('t100');
  const ok = await admin(server, { path: list });
  t.equal(ok.status, 200, '<tenantId>/<user>:<password>');
  const byHost = await admin(server, { path: list, auth: basic('admin'), host: 't100.example.test' });
  t.equal(byHost.status, 200, '<user>:<password> on the tenant domain');

  const cases: [string, Parameters<typeof admin>[1], number, string, string][] = [
    [
      'no credentials',
      { path: list, auth: null },
      401,
      'security/Unauthorized',
      'Full authentication is required to access this resource',
    ],
    [
      'a wrong password',
      { path: list, auth: basic('t100/admin', 'nope') },
      401,
      'security/Unauthorized',
      'Invalid credentials! : Bad credentials',
    ],
    [
      'an unknown user',
      { path: list, auth: basic('t100/nobody') },
      401,
      'security/Unauthorized',
      'Invalid credentials! : Bad credentials',
    ],
    [
      'no tenant and a host that is no tenant domain',
      { path: list, auth: basic('admin') },
      401,
      'security/Unauthorized',
      'Invalid credentials! : Bad credentials',
    ],
    [
      "t200's administrator on t100",
      { path: list, auth: basic('t200/admin') },
      403,
      'security/Forbidden',
      'Access is denied.',
    ],
    [
      "t200's administrator deleting t100's certificate",
      { method: 'DELETE', path: path('t100', root.certificate.fingerprint), auth: basic('t200/admin') },
      403,
      'security/Forbidden',
      'Access is denied.',
    ],
    [
      'a tenant that does not exist',
      { path: path('t999') },
      404,
      'security/Not Found',
      'There is no tenant with id = t999',
    ],
  ];
  for (const [name, request, status, error, message] of cases) {
    const response = await admin(server, request);
    t.test(name, async (t) => {
      assertError(t, response, status, error, message);
      spec.assert(t, request.method ?? 'get', request.method === 'DELETE' ? SINGLE : COLLECTION, response);
    });
  }

  const dev = await device(root, now, 'auth-device-01');
  const token = (
    (await requestToken(server, { cert: dev.certPem, key: dev.keyPem })).json() as { accessToken: string }
  ).accessToken;
  const withToken = await admin(server, { path: list, auth: `Bearer ${token}` });
  assertError(t, withToken, 403, 'security/Forbidden', 'Access is denied.');
  spec.assert(t, 'get', COLLECTION, withToken);
  t.equal(
    (await admin(server, { path: path('t100', root.certificate.fingerprint) })).status,
    200,
    'the certificate is still there',
  );
});

/** The DER with its P-256 curve identifier changed into one nobody knows. */
function unreadableKey(der: Buffer): Buffer {
  const copy = Buffer.from(der);
  const p256 = Buffer.from('06082a8648ce3d030107', 'hex');
  copy[copy.indexOf(p256) + p256.length - 1] = 0x09;
  return copy;
}
