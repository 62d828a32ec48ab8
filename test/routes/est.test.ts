import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Certificate } from '../../src/pki/certificate.js';
import { readCsr } from '../../src/pki/csr.js';
import { DER_TAG, oid, tlv } from '../../src/pki/der-writer.js';
import { base64Lines } from '../../src/pki/pkcs7.js';
import { basic } from '../helpers/admin.js';
import { runTool, tempDir } from '../helpers/cli.js';
import { cnName, EC_SPKI, RSA_SHA256, request } from '../helpers/csr-parts.js';
import {
  answerCertificates,
  asAdmin,
  deviceCsr,
  EST_NOW,
  enroll,
  estServer,
  inject,
  registerWithOtp,
} from '../helpers/est.js';
import { estApiSpec } from '../helpers/openapi.js';
import type { ClientResponse, TestServer } from '../helpers/server.js';

/*
 * EST enrollment and re-enrollment through inject on a fixed clock: the forms
 * go-c8y and thin-edge send and read, the certificate the platform issues,
 * and every refusal with the platform's status and body. openssl is the
 * oracle for the PKCS#7 and the certificate.
 */
const spec = estApiSpec();
const ENROLL = '/.well-known/est/simpleenroll';
const REENROLL = '/.well-known/est/simplereenroll';
const DAY = 86_400_000;
const NO_REQUEST =
  'No newDeviceRequest found for this ID. It may already be registered, check the audit logs for details.';

/** A server with t100's CA made and the given devices registered with their one-time passwords. */
async function ready(
  t: Parameters<typeof estServer>[0],
  devices: [string, string][],
  options: Parameters<typeof estServer>[1] = {},
): Promise<TestServer> {
  const server = await estServer(t, options);
  const ca = await asAdmin(server, 'POST', '/certificate-authority');
  if (ca.status !== 201) throw new Error(`no CA: ${ca.status} ${ca.text}`);
  if (devices.length > 0) {
    const registered = await registerWithOtp(server, devices);
    if (registered.status !== 201)
      throw new Error(`no registration: ${registered.status} ${registered.text}`);
  }
  return server;
}

const authority = (server: TestServer) => server.app.services.authorities.current('t100')!.certificate;

/** Status 401/4xx and exactly `{message}`, as the platform's EST answers its errors. */
function assertEstError(
  t: Test,
  response: ClientResponse,
  status: number,
  message: string | RegExp,
  path = ENROLL,
) {
  t.equal(response.status, status, `status ${status}`);
  t.match(String(response.headers['content-type']), /^application\/json/, 'JSON');
  const body = response.json() as Record<string, unknown>;
  t.same(Object.keys(body), ['message'], 'the body is {message} alone');
  if (typeof message === 'string') t.equal(body.message, message);
  else t.match(body.message, message);
  spec.assert(t, 'post', path, response);
}

const tokenFor = (server: TestServer, certificate: Certificate) =>
  inject(server, {
    method: 'POST',
    url: '/devicecontrol/deviceAccessToken',
    headers: { accept: 'application/json' },
    clientCertificate: [certificate.der],
  });

t.test(
  "go-c8y's and thin-edge's requests both get 200, and both clients' readers find the certificate",
  async (t) => {
    const server = await ready(t, [
      ['goc8y-01', 'otp-goc8y-01'],
      ['tedge-01', 'otp-tedge-01'],
    ]);
    // go-c8y's subject; thin-edge's test device subject.
    const go = await deviceCsr([{ O: ['Cumulocity'] }, { OU: ['Device'] }, { CN: ['goc8y-01'] }]);
    const tedge = await deviceCsr([{ CN: ['tedge-01'] }, { O: ['Thin Edge'] }, { OU: ['Test Device'] }]);

    for (const [name, id, otp, csr, form] of [
      ['go-c8y', 'goc8y-01', 'otp-goc8y-01', go, 'goC8y'],
      ['thin-edge', 'tedge-01', 'otp-tedge-01', tedge, 'tedge'],
    ] as const) {
      const response = await enroll(server, id, otp, csr.der, form);
      t.equal(response.status, 200, `${name}: 200, not the OpenAPI's 201`);
      spec.assert(t, 'post', ENROLL, response);
      t.equal(
        response.headers['content-type'],
        'application/pkcs7-mime; smime-type=certs-only',
        `${name}: type`,
      );
      t.equal(
        response.headers['content-transfer-encoding'],
        'base64',
        `${name}: go-c8y decodes only with this`,
      );
      const lines = response.text.split('\n');
      t.ok(
        lines.slice(0, -1).every((line) => line.length === 64) && lines.at(-1)!.length <= 64,
        `${name}: base64 in lines of 64 characters`,
      );
      t.notMatch(response.text, /\r|\n$/, `${name}: LF only, no final newline (as the platform sends it)`);
      const byGo = await answerCertificates(response, 'goC8y');
      const byTedge = await answerCertificates(response, 'tedge');
      t.equal(byGo.length, 1, `${name}: only the certificate, no chain`);
      t.equal(
        byGo[0]!.fingerprint,
        byTedge[0]!.fingerprint,
        `${name}: both readers find the same certificate`,
      );
      t.same(byGo[0]!.commonNames, [id]);
    }
  },
);

t.test(
  'the certificate is the one the platform issues: v3, no extensions, the CSR subject, serial = issuance time',
  async (t) => {
    const server = await ready(t, [['shape-01', 'otp-shape-01']]);
    const csr = await deviceCsr([{ CN: ['shape-01'] }, { O: ['Thin Edge'] }, { OU: ['Test Device'] }]);
    const response = await enroll(server, 'shape-01', 'otp-shape-01', csr.der, 'tedge');
    t.equal(response.status, 200);
    const [certificate] = await answerCertificates(response);
    if (!certificate) throw new Error('no certificate');
    t.equal(certificate.version, 3);
    t.same(certificate.extensions, [], 'no extensions at all');
    t.equal(
      certificate.subject,
      'OU=Test Device, O=Thin Edge, CN=shape-01',
      'the subject copied from the CSR',
    );
    const read = await readCsr(csr.der);
    t.ok(certificate.der.includes(read.subjectDer), 'byte for byte');
    t.equal(BigInt(`0x${certificate.serialHex}`), BigInt(EST_NOW), 'serial: the issuance time in epoch ms');
    t.equal(certificate.notBefore, Math.floor(EST_NOW / 1000) * 1000);
    t.equal(certificate.notAfter, certificate.notBefore + 365 * DAY, 'one year, the platform default');
    t.equal(certificate.algorithmName, 'SHA256withECDSA', 'signed by the P-256 CA');
    t.equal(certificate.issuer, authority(server).subject);
    t.ok(authority(server).signed(certificate), "the CA's signature");
    t.same(certificate.spki, read.spki, "the CSR's key");

    const token = await tokenFor(server, certificate);
    t.equal(token.status, 200, "the mock's chain rules accept it: the certificate gets a token over mTLS");
    const [decision] = server.app.services.decisions.list({ limit: 1 });
    t.match(decision, { door: 'rest', outcome: 'issued', externalId: 'shape-01', tenantId: 't100' });
  },
);

t.test('openssl reads the answer and accepts the certificate with the CA (the oracle)', async (t) => {
  const server = await ready(t, [['openssl-01', 'otp-openssl-01']]);
  const csr = await deviceCsr('CN=openssl-01');
  const response = await enroll(server, 'openssl-01', 'otp-openssl-01', csr.der);
  const dir = tempDir(t, 'c8y-est-');
  writeFileSync(join(dir, 'p7.b64'), response.text);
  writeFileSync(join(dir, 'ca.pem'), authority(server).pem);
  const printed = await runTool(
    'sh',
    ['-c', 'base64 -d p7.b64 | openssl pkcs7 -inform DER -print_certs -out dev.pem'],
    {
      cwd: dir,
    },
  );
  t.equal(printed.code, 0, `openssl pkcs7 -print_certs: ${printed.stderr}`);
  const at = String(Math.floor(EST_NOW / 1000) + 60);
  const verified = await runTool(
    'openssl',
    ['verify', '-purpose', 'sslclient', '-attime', at, '-CAfile', 'ca.pem', 'dev.pem'],
    {
      cwd: dir,
    },
  );
  t.equal(verified.stdout.trim(), 'dev.pem: OK', `openssl verify -purpose sslclient: ${verified.stderr}`);
  // The same structure as `openssl crl2pkcs7 -nocrl` makes (what the platform's answer decodes to).
  const rebuilt = await runTool(
    'sh',
    ['-c', 'openssl crl2pkcs7 -nocrl -certfile dev.pem -outform DER | base64 -w 64 | tr -d "\\n"'],
    { cwd: dir },
  );
  t.equal(rebuilt.stdout, response.text.replaceAll('\n', ''), 'byte for byte as openssl crl2pkcs7 -nocrl');
});

t.test('keys the platform signs: EC P-256 and P-384, RSA 2048', async (t) => {
  const server = await ready(t, [
    ['p384-01', 'otp-p384'],
    ['rsa-01', 'otp-rsa'],
    ['rsa1024-01', 'otp-rsa1024'],
  ]);
  for (const [id, otp, keySpec] of [
    ['p384-01', 'otp-p384', { type: 'ec', curve: 'P-384' }],
    ['rsa-01', 'otp-rsa', { type: 'rsa', bits: 2048 }],
  ] as const) {
    const keys = await globalThis.crypto.subtle.generateKey(
      keySpec.type === 'ec'
        ? { name: 'ECDSA', namedCurve: keySpec.curve }
        : {
            name: 'RSASSA-PKCS1-v1_5',
            modulusLength: keySpec.bits,
            publicExponent: new Uint8Array([1, 0, 1]),
            hash: 'SHA-256',
          },
      true,
      ['sign', 'verify'],
    );
    const csr = await deviceCsr(`CN=${id}`, { keys });
    const response = await enroll(server, id, otp, csr.der);
    t.equal(response.status, 200, id);
    t.equal(
      (await answerCertificates(response))[0]!.keyDescription,
      keySpec.type === 'ec' ? 'EC P-384' : 'RSA 2048',
    );
  }
  const weak = await globalThis.crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 1024,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
  const refused = await enroll(
    server,
    'rsa1024-01',
    'otp-rsa1024',
    (await deviceCsr('CN=rsa1024-01', { keys: weak })).der,
  );
  assertEstError(
    t,
    refused,
    422,
    "The CSR's key is RSA 1024; use an EC key (P-256, P-384) or RSA with at least 2048 bits.",
  );
});

t.test('refusals with the platform status and body, each a decision of the est door', async (t) => {
  const server = await ready(t, [
    ['refused-01', 'right-otp-01'],
    ['used-01', 'otp-used-01'],
  ]);
  const good = await deviceCsr('CN=refused-01');

  assertEstError(t, await enroll(server, 'unknown-01', 'whatever', good.der), 401, NO_REQUEST);
  assertEstError(
    t,
    await enroll(server, 'refused-01', 'wrong-otp', good.der),
    401,
    'Invalid credentials! : Bad credentials',
  );

  const noAuth = await inject(server, {
    method: 'POST',
    url: ENROLL,
    headers: { 'content-type': 'application/pkcs10' },
    body: good.der.toString('base64'),
  });
  assertEstError(t, noAuth, 401, 'Full authentication is required to access this resource');

  const otherCn = await deviceCsr('CN=someone-else');
  assertEstError(
    t,
    await enroll(server, 'refused-01', 'right-otp-01', otherCn.der),
    422,
    "The CSR's common name (CN) must be the device ID 'refused-01'; its subject is 'CN=someone-else'.",
  );
  const twoCns = await deviceCsr([{ CN: ['refused-01'] }, { CN: ['refused-01'] }]);
  t.equal((await enroll(server, 'refused-01', 'right-otp-01', twoCns.der)).status, 422, 'exactly one CN');

  const caRequest = await deviceCsr('CN=refused-01', { requestCa: true });
  assertEstError(
    t,
    await enroll(server, 'refused-01', 'right-otp-01', caRequest.der),
    422,
    'CSR request with CA:TRUE constraint is not supported.',
  );

  const tampered = Buffer.from(good.der);
  tampered[tampered.length - 5]! ^= 0x01;
  for (const [name, body] of [
    ['not base64', Buffer.from('this is no CSR at all')],
    ['not ASN.1', Buffer.from(Buffer.from('hello').toString('base64'))],
    ['truncated', Buffer.from(good.der.subarray(0, 60).toString('base64'))],
    ['a broken signature', Buffer.from(tampered.toString('base64'))],
    ['empty', Buffer.alloc(0)],
  ] as const) {
    const response = await inject(server, {
      method: 'POST',
      url: ENROLL,
      headers: { authorization: basic('refused-01', 'right-otp-01'), 'content-type': 'application/pkcs10' },
      body,
    });
    assertEstError(t, response, 400, /^Cannot read the certificate signing request: /);
    t.comment(`${name}: ${(response.json() as { message: string }).message}`);
  }
  const wrongType = await inject(server, {
    method: 'POST',
    url: ENROLL,
    headers: { authorization: basic('refused-01', 'right-otp-01'), 'content-type': 'application/json' },
    body: '{}',
  });
  assertEstError(
    t,
    wrongType,
    415,
    /^Send the certificate signing request as Content-Type: application\/pkcs10/,
  );

  t.equal(
    (await enroll(server, 'refused-01', 'right-otp-01', good.der)).status,
    200,
    'refusals did not use the password up',
  );
  assertEstError(t, await enroll(server, 'refused-01', 'right-otp-01', good.der), 401, NO_REQUEST);

  const decisions = server.app.services.decisions.list({ tenantId: 't100', externalId: 'refused-01' });
  t.match(decisions[0], { door: 'est', outcome: 'refused', status: 401, rule: 'enrollment-request' });
  t.match(decisions[1], { door: 'est', outcome: 'issued', status: 200, leaf: { subject: 'CN=refused-01' } });
  t.match(decisions.at(-1), { door: 'est', outcome: 'refused', status: 401, rule: 'enrollment-otp' });
  t.ok(
    decisions.some((d) => d.rule === 'csr-common-name') &&
      decisions.some((d) => d.rule === 'csr-ca') &&
      decisions.some((d) => d.rule === 'csr'),
    'each CSR rule is on the record',
  );
});

t.test('hostile requests: 400 with the reason, 422 for a key the platform does not sign', async (t) => {
  const server = await ready(t, [['hostile-01', 'otp-hostile-01']]);
  const cn = cnName(Buffer.from('hostile-01'));
  const offCurve = Buffer.from(EC_SPKI);
  offCurve[offCurve.length - 1]! ^= 0x01;
  const pem = (der: Buffer) =>
    `-----BEGIN CERTIFICATE REQUEST-----\n${base64Lines(der)}\n-----END CERTIFICATE REQUEST-----\n`;
  const send = (body: string) =>
    inject(server, {
      method: 'POST',
      url: ENROLL,
      headers: { authorization: basic('hostile-01', 'otp-hostile-01'), 'content-type': 'application/pkcs10' },
      body,
    });
  const b64 = (der: Buffer) => der.toString('base64');
  const cases: [string, string, string | RegExp][] = [
    [
      'an ECDSA signature labelled sha256WithRSAEncryption',
      b64(request({ subject: cn, algorithm: tlv(DER_TAG.SEQUENCE, oid(RSA_SHA256)) })),
      "the request's signature algorithm (1.2.840.113549.1.1.11) does not fit its ec key",
    ],
    [
      'a key point off the curve',
      b64(request({ subject: cn, spki: offCurve })),
      /^unsupported or malformed public key \(.+\)$/,
    ],
    [
      'a subject whose relative name is no SET',
      b64(
        request({
          subject: tlv(DER_TAG.SEQUENCE, tlv(DER_TAG.SEQUENCE, tlv(DER_TAG.SEQUENCE, oid('2.5.4.3')))),
        }),
      ),
      'the request cannot be read (a relative name is not a SET)',
    ],
    [
      'a CN in a UniversalString beyond Unicode (once a 500)',
      b64(request({ subject: cnName(Buffer.from('0011000000110000', 'hex'), 0x1c) })),
      'the request cannot be read (UniversalString code point 110000 is beyond Unicode)',
    ],
    [
      'two PEM blocks',
      pem(request({ subject: cn })) + pem(request({ subject: cn })),
      'expected one PEM block, found 2',
    ],
    [
      'base64 with a stray character',
      `${b64(request({ subject: cn })).slice(0, 60)}*!!!`,
      'the body is not base64: invalid base64 content',
    ],
  ];
  for (const [name, body, reason] of cases) {
    const response = await send(body);
    const message =
      typeof reason === 'string'
        ? `Cannot read the certificate signing request: ${reason}.`
        : new RegExp(`^Cannot read the certificate signing request: ${reason.source.slice(1, -1)}\\.$`);
    assertEstError(t, response, 400, message);
    t.match(
      server.app.services.decisions.list({ limit: 1 })[0],
      { door: 'est', outcome: 'refused', status: 400, rule: 'csr' },
      `${name}: on the record`,
    );
  }

  const ed25519 = generateKeyPairSync('ed25519');
  const edRequest = request({
    subject: cn,
    spki: ed25519.publicKey.export({ type: 'spki', format: 'der' }),
    key: ed25519.privateKey,
    hash: null,
    algorithm: tlv(DER_TAG.SEQUENCE, oid('1.3.101.112')),
  });
  assertEstError(
    t,
    await send(b64(edRequest)),
    422,
    "The CSR's key is ED25519; use an EC key (P-256, P-384) or RSA with at least 2048 bits.",
  );
  t.equal(
    (await send(b64(request({ subject: cn })))).status,
    200,
    'the refusals did not use the password up; the same parts, untouched, enroll',
  );
});

t.test('no tenant CA: the documented refusal; the password stays usable', async (t) => {
  const server = await estServer(t);
  await registerWithOtp(server, [['noca-01', 'otp-noca-01']]);
  const csr = await deviceCsr('CN=noca-01');
  assertEstError(
    t,
    await enroll(server, 'noca-01', 'otp-noca-01', csr.der),
    404,
    'Tenant CA certificate is either missing, expired, or has a validity of less than one year',
  );
  t.equal((await asAdmin(server, 'POST', '/certificate-authority')).status, 201);
  t.equal((await enroll(server, 'noca-01', 'otp-noca-01', csr.der)).status, 200, 'with a CA it works');

  // A CA with less than a certificate's validity left does not sign (the docs: "less than one year").
  server.clock.set(EST_NOW + 1095 * DAY - 300 * DAY);
  await registerWithOtp(server, [['late-01', 'otp-late-01']]);
  assertEstError(
    t,
    await enroll(server, 'late-01', 'otp-late-01', (await deviceCsr('CN=late-01')).der),
    404,
    /less than one year/,
  );
});

t.test('the one-time password expires (--enrollment-otp-validity, default a day)', async (t) => {
  const server = await ready(t, [['expiring-01', 'otp-expiring']]);
  const csr = await deviceCsr('CN=expiring-01');
  server.clock.advance(DAY);
  assertEstError(
    t,
    await enroll(server, 'expiring-01', 'otp-expiring', csr.der),
    401,
    'The one-time password of expiring-01 expired at 2026-06-02T12:00:00.123Z; register the device again.',
  );
  assertEstError(
    t,
    await enroll(server, 'expiring-01', 'a-wrong-one', csr.der),
    401,
    'Invalid credentials! : Bad credentials',
  );
  await registerWithOtp(server, [['expiring-01', 'otp-again']]);
  t.equal(
    (await enroll(server, 'expiring-01', 'otp-again', csr.der)).status,
    200,
    'registered again, it enrolls',
  );

  const short = await ready(t, [['short-01', 'otp-short']], {
    config: { enrollment: { otpValidityMs: 60_000 } },
  });
  short.clock.advance(59_000);
  t.equal((await enroll(short, 'short-01', 'otp-short', (await deviceCsr('CN=short-01')).der)).status, 200);
});

t.test('the tenant: the host of the request, or <tenantId>/<id>', async (t) => {
  const server = await ready(t, [
    ['host-01', 'otp-host-01'],
    ['prefix-01', 'otp-prefix-01'],
  ]);
  const unknownHost = await enroll(
    server,
    'host-01',
    'otp-host-01',
    (await deviceCsr('CN=host-01')).der,
    'goC8y',
    {
      host: '127.0.0.1:8443',
    },
  );
  assertEstError(
    t,
    unknownHost,
    401,
    /^Cannot tell the tenant: the host "127.0.0.1:8443" is no tenant's domain/,
  );
  const wrongTenant = await enroll(
    server,
    'host-01',
    'otp-host-01',
    (await deviceCsr('CN=host-01')).der,
    'goC8y',
    {
      host: 't200.example.test',
    },
  );
  assertEstError(t, wrongTenant, 401, NO_REQUEST, ENROLL);
  const prefixed = await enroll(
    server,
    't100/prefix-01',
    'otp-prefix-01',
    (await deviceCsr('CN=prefix-01')).der,
    'goC8y',
    {
      host: '127.0.0.1:8443',
    },
  );
  t.equal(prefixed.status, 200, 't100/<id> from any host');
});

t.test('serials stay unique when two certificates are issued in the same millisecond', async (t) => {
  const server = await ready(t, [
    ['same-ms-01', 'otp-1'],
    ['same-ms-02', 'otp-2'],
    ['same-ms-03', 'otp-3'],
  ]);
  const responses = await Promise.all(
    (['same-ms-01', 'same-ms-02', 'same-ms-03'] as const).map(async (id, i) =>
      enroll(server, id, `otp-${i + 1}`, (await deviceCsr(`CN=${id}`)).der),
    ),
  );
  t.same(
    responses.map((r) => r.status),
    [200, 200, 200],
  );
  const serials = (await Promise.all(responses.map((r) => answerCertificates(r))))
    .map(([leaf]) => BigInt(`0x${leaf!.serialHex}`))
    .sort();
  t.same(
    serials,
    [BigInt(EST_NOW), BigInt(EST_NOW + 1), BigInt(EST_NOW + 2)],
    'the clock stood still: +1 ms each',
  );
});

t.test('one password, two requests at once: one certificate', async (t) => {
  const server = await ready(t, [['race-01', 'otp-race']]);
  const [a, b] = await Promise.all([
    deviceCsr('CN=race-01').then((csr) => enroll(server, 'race-01', 'otp-race', csr.der)),
    deviceCsr('CN=race-01').then((csr) => enroll(server, 'race-01', 'otp-race', csr.der)),
  ]);
  t.same([a!.status, b!.status].sort(), [200, 401]);
  t.equal(server.app.services.issuedCertificates.list('t100', 10).length, 1);
});

t.test(
  'simplereenroll: the device token, any key, the same CN; the old certificate keeps working',
  async (t) => {
    const server = await ready(t, [['renew-01', 'otp-renew-01']]);
    const first = await deviceCsr('CN=renew-01');
    const old = (await answerCertificates(await enroll(server, 'renew-01', 'otp-renew-01', first.der)))[0]!;
    const token = ((await tokenFor(server, old)).json() as { accessToken: string }).accessToken;

    server.clock.advance(1000);
    const second = await deviceCsr('CN=renew-01');
    const renewed = await inject(server, {
      method: 'POST',
      url: REENROLL,
      // thin-edge's renew sends only the content type and the bearer token.
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/pkcs10' },
      body: second.der.toString('base64'),
    });
    t.equal(renewed.status, 200);
    spec.assert(t, 'post', REENROLL, renewed);
    const fresh = (await answerCertificates(renewed))[0]!;
    t.same(fresh.commonNames, ['renew-01'], 'the same CN (go-c8y asserts it)');
    t.not(fresh.fingerprint, old.fingerprint);
    t.not(fresh.spki.toString('hex'), old.spki.toString('hex'), 'a new key is allowed');
    t.equal(BigInt(`0x${fresh.serialHex}`), BigInt(EST_NOW + 1000));

    t.equal((await tokenFor(server, fresh)).status, 200, 'the new certificate gets a token');
    t.equal(
      (await tokenFor(server, old)).status,
      200,
      'and the old one still does, until it expires or is revoked',
    );
    t.match(
      server.app.services.decisions.list({ externalId: 'renew-01' }).find((d) => d.door === 'est'),
      {
        door: 'est',
        outcome: 'issued',
        leaf: { fingerprint: fresh.fingerprint },
      },
    );
    t.same(
      server.app.services.issuedCertificates.list('t100', 10).map((c) => c.kind),
      ['reenroll', 'enroll'],
    );

    // The same key again is fine too.
    const sameKey = await inject(server, {
      method: 'POST',
      url: REENROLL,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/pkcs10',
        'content-transfer-encoding': 'base64',
      },
      body: (await deviceCsr('CN=renew-01', { keys: second.keys })).der.toString('base64'),
    });
    t.equal(sameKey.status, 200);
  },
);

t.test('simplereenroll refusals: mTLS alone is 401, an administrator 403, another CN 422', async (t) => {
  const server = await ready(t, [['renew-02', 'otp-renew-02']]);
  const csr = await deviceCsr('CN=renew-02');
  const certificate = (
    await answerCertificates(await enroll(server, 'renew-02', 'otp-renew-02', csr.der))
  )[0]!;
  const token = ((await tokenFor(server, certificate)).json() as { accessToken: string }).accessToken;

  const mtlsOnly = await inject(server, {
    method: 'POST',
    url: REENROLL,
    headers: { 'content-type': 'application/pkcs10' },
    body: csr.der.toString('base64'),
    clientCertificate: [certificate.der],
  });
  assertEstError(t, mtlsOnly, 401, 'Full authentication is required to access this resource', REENROLL);

  const admin = await inject(server, {
    method: 'POST',
    url: REENROLL,
    headers: { authorization: basic('t100/admin'), 'content-type': 'application/pkcs10' },
    body: csr.der.toString('base64'),
  });
  assertEstError(t, admin, 403, 'Access is denied.', REENROLL);

  const badToken = await inject(server, {
    method: 'POST',
    url: REENROLL,
    headers: { authorization: 'Bearer not.a.token', 'content-type': 'application/pkcs10' },
    body: csr.der.toString('base64'),
  });
  assertEstError(t, badToken, 401, 'Invalid credentials! : Bad credentials', REENROLL);

  const other = await inject(server, {
    method: 'POST',
    url: REENROLL,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/pkcs10' },
    body: (await deviceCsr('CN=renew-03')).der.toString('base64'),
  });
  assertEstError(
    t,
    other,
    422,
    "The CSR's common name (CN) must be the device ID 'renew-02'; its subject is 'CN=renew-03'.",
    REENROLL,
  );
});

t.test('--issued-certificate-validity: renewal within minutes', async (t) => {
  const server = await ready(t, [['minutes-01', 'otp-minutes']], {
    config: { enrollment: { issuedCertificateValidityMs: 10 * 60_000 } },
  });
  const csr = await deviceCsr('CN=minutes-01');
  const first = (await answerCertificates(await enroll(server, 'minutes-01', 'otp-minutes', csr.der)))[0]!;
  t.equal(first.notAfter - first.notBefore, 10 * 60_000, 'ten minutes');
  const token = ((await tokenFor(server, first)).json() as { accessToken: string }).accessToken;

  server.clock.advance(9 * 60_000);
  const renewed = await inject(server, {
    method: 'POST',
    url: REENROLL,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/pkcs10' },
    body: csr.der.toString('base64'),
  });
  t.equal(renewed.status, 200, 'renewed a minute before the end');
  const second = (await answerCertificates(renewed))[0]!;

  server.clock.advance(2 * 60_000);
  const expired = await tokenFor(server, first);
  t.equal(expired.status, 401, 'the first certificate has expired');
  t.match(server.app.services.decisions.list({ limit: 1 })[0], { rule: 'not-expired' });
  t.equal((await tokenFor(server, second)).status, 200, 'the renewed one works');
});

t.test('the issued certificate carries no extension the chain rules would need', async (t) => {
  // The chain rules read keyUsage, extendedKeyUsage and netscapeCertType only when present.
  const server = await ready(t, [['rules-01', 'otp-rules']]);
  const certificate = (
    await answerCertificates(
      await enroll(server, 'rules-01', 'otp-rules', (await deviceCsr('CN=rules-01')).der),
    )
  )[0]!;
  t.equal(certificate.keyUsage, undefined);
  t.equal(certificate.extendedKeyUsage, undefined);
  t.equal(certificate.isCa, false, 'no basicConstraints: not a CA');
  const verdict = server.app.services.chains.verifyForwarded([certificate], 't100');
  t.equal(verdict.ok, true, verdict.reason ?? 'every rule passes');
});
