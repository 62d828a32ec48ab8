import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Certificate, CertificateFormatError } from '../../src/pki/certificate.js';
import { issueCertificate, type JsonName } from '../../src/pki/certificate-factory.js';
import { x509 } from '../../src/pki/x509.js';
import { DAY, rootCa, validAround } from '../helpers/pki.js';

const now = Date.parse('2026-06-01T12:00:00.000Z');

t.test('facts in the platform formats (the go-c8y-cli recorded response)', async (t) => {
  const ca = await rootCa(now);
  const { certificate } = await issueCertificate({
    issuer: ca,
    subject: [{ CN: ['tedge04'] }, { O: ['Thin Edge'] }, { OU: ['Test Device'] }],
    serialHex: '48e2e80516001e6c',
    notBefore: new Date('2022-06-17T13:47:33Z'),
    notAfter: new Date('2023-06-17T13:47:33Z'),
  });
  t.equal(certificate.subject, 'OU=Test Device, O=Thin Edge, CN=tedge04', 'RDNs reversed, joined by ", "');
  t.equal(certificate.serialDecimal, '5252015224009006700', 'serial in decimal');
  t.equal(certificate.serialHex, '48e2e80516001e6c');
  t.equal(certificate.algorithmName, 'SHA256withECDSA');
  t.equal(certificate.version, 3);
  t.equal(certificate.notBefore, Date.parse('2022-06-17T13:47:33Z'));
  t.equal(certificate.notAfter, Date.parse('2023-06-17T13:47:33Z'));
  t.match(certificate.fingerprint, /^[0-9a-f]{40}$/);
  t.same(certificate.commonNames, ['tedge04']);
  t.equal(certificate.base64, certificate.der.toString('base64'));
  t.notMatch(certificate.base64, /\n/);

  const dir = mkdtempSync(join(tmpdir(), 'c8y-cert-'));
  writeFileSync(join(dir, 'c.pem'), certificate.pem);
  const openssl = execFileSync('openssl', [
    'x509',
    '-in',
    join(dir, 'c.pem'),
    '-noout',
    '-fingerprint',
    '-sha1',
    '-serial',
  ]).toString();
  t.match(
    openssl,
    new RegExp(`sha1 Fingerprint=${certificate.fingerprint.toUpperCase().match(/../g)!.join(':')}`, 'i'),
    'same fingerprint as openssl',
  );
  t.match(openssl, 'serial=48E2E80516001E6C', 'same serial as openssl');
});

t.test('RSA signature names, basicConstraints and keyUsage', async (t) => {
  const ca = await rootCa(now, 'RSA CA', { keySpec: { type: 'rsa', bits: 2048 }, pathLen: 3 });
  t.equal(ca.certificate.algorithmName, 'SHA256withRSA');
  t.equal(ca.certificate.keyDescription, 'RSA 2048');
  t.equal(ca.certificate.isCa, true);
  t.equal(ca.certificate.pathLen, 3);
  t.equal(ca.certificate.allowsCertificateSigning, true);
  t.equal(ca.certificate.selfIssued, true);
  t.same(ca.certificate.unprocessedCriticalExtensions, []);
  const leaf = await issueCertificate({
    issuer: ca,
    subject: [{ CN: ['a'] }, { CN: ['b'] }],
    basicConstraints: 'omit',
    keyUsage: x509.KeyUsageFlags.digitalSignature,
    extensions: [new x509.Extension('1.2.3.4.5', true, new Uint8Array([5, 0]))],
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + DAY),
  });
  t.equal(leaf.certificate.isCa, false, 'no basicConstraints means not a CA');
  t.equal(leaf.certificate.pathLen, undefined);
  t.equal(leaf.certificate.allowsCertificateSigning, false);
  t.same(leaf.certificate.commonNames, ['a', 'b'], 'several CNs are all seen');
  t.same(leaf.certificate.unprocessedCriticalExtensions, ['1.2.3.4.5']);
  t.equal(leaf.certificate.keyDescription, 'EC P-256');
});

t.test('malformed DER is refused with a reason, never a crash', async (t) => {
  const ca = await rootCa(now);
  const der = ca.certificate.der;
  const cases: [string, Buffer, RegExp][] = [
    ['empty', Buffer.alloc(0), /truncated/],
    ['trailing bytes', Buffer.concat([der, Buffer.from([0, 0])]), /2 trailing bytes/],
    ['truncated', der.subarray(0, der.length - 10), /truncated/],
    ['not a sequence', Buffer.from('hello world'), /malformed DER/],
    ['indefinite length', Buffer.from([0x30, 0x80, 0, 0]), /indefinite length/],
    ['non-minimal length', Buffer.from([0x30, 0x81, 0x01, 0x00]), /non-minimal/],
  ];
  for (const [name, bytes, reason] of cases) {
    t.throws(() => Certificate.fromDer(bytes), CertificateFormatError, name);
    try {
      Certificate.fromDer(bytes);
    } catch (error) {
      t.match((error as Error).message, reason, `${name}: ${(error as Error).message}`);
    }
  }
  // Every single-byte corruption either parses or fails with CertificateFormatError.
  let refused = 0;
  for (let i = 0; i < der.length; i++) {
    const copy = Buffer.from(der);
    copy[i] = copy[i]! ^ 0xff;
    try {
      const parsed = Certificate.fromDer(copy);
      // What the chain check and the representations read must not throw later.
      void [parsed.keyDescription, parsed.subject, parsed.issuer, parsed.commonNames, parsed.serialDecimal];
    } catch (error) {
      if (!(error instanceof CertificateFormatError))
        t.fail(`byte ${i}: ${(error as Error).name}: ${(error as Error).message}`);
      refused++;
    }
  }
  t.ok(refused > 0, `${refused} of ${der.length} corruptions refused, none crashed`);
});

t.test(
  'a certificate whose public key cannot be read is refused as unparsable when its key is asked for',
  async (t) => {
    const ca = await rootCa(now);
    const der = Buffer.from(ca.certificate.der);
    const p256 = Buffer.from('06082a8648ce3d030107', 'hex');
    const at = der.indexOf(p256);
    t.ok(at > 0, 'the P-256 curve identifier is in the certificate');
    der[at + p256.length - 1] = 0x09; // an EC curve nobody knows
    const certificate = Certificate.fromDer(der);
    t.ok(certificate.keyDescription, 'what is read from the DER alone is there');
    t.throws(
      () => certificate.withReadableKey(),
      { name: 'CertificateFormatError', message: /^unsupported or malformed public key/ },
      'refused with a parse error',
    );
    t.equal(ca.certificate.withReadableKey(), ca.certificate, 'a readable key passes');
    t.equal(certificate.signed(ca.certificate), false, 'as an issuer it signs nothing, and does not throw');
  },
);

t.test('the hash option is honoured for RSA issuers too, not only ECDSA', async (t) => {
  const rsa = await rootCa(now, 'RSA hash CA', { keySpec: { type: 'rsa', bits: 2048 } });
  const ec = await rootCa(now, 'EC hash CA');
  for (const [issuer, hash, name] of [
    [rsa, 'SHA-1', 'SHA1withRSA'],
    [rsa, 'SHA-384', 'SHA384withRSA'],
    [rsa, undefined, 'SHA256withRSA'],
    [ec, 'SHA-1', 'SHA1withECDSA'],
  ] as const) {
    const { certificate } = await issueCertificate({
      issuer,
      subject: [{ CN: [`hash-${hash}`] }],
      ...(hash ? { hash } : {}),
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + DAY),
    });
    t.equal(certificate.algorithmName, name, `${issuer.certificate.keyDescription} with ${hash}: ${name}`);
    t.ok(certificate.x509.verify(issuer.certificate.publicKey), 'and the signature verifies');
  }
  const selfSigned = await rootCa(now, 'RSA SHA-1 self-signed', {
    keySpec: { type: 'rsa', bits: 2048 },
    hash: 'SHA-1',
  });
  t.equal(selfSigned.certificate.algorithmName, 'SHA1withRSA', 'self-signed too');
});

t.test('CNs are read from the DER, not from an escaped rendering', async (t) => {
  const ca = await rootCa(now);
  const cases: [string, JsonName, string[]][] = [
    ['a comma', [{ CN: ['Acme, Inc.'] }], ['Acme, Inc.']],
    ['a quote', [{ CN: ['a"b'] }], ['a"b']],
    ['a backslash (escaped in a JSON name)', [{ CN: ['a\\\\b'] }], ['a\\b']],
    ['a control character', [{ CN: ['a\u0001b'] }], ['a\u0001b']],
    ['a newline that looks like another attribute', [{ CN: ['a\nCN=admin'] }], ['a\nCN=admin']],
    ['UTF-8', [{ CN: ['gerät-01'] }], ['gerät-01']],
    ['two CNs in one RDN', [{ CN: ['a', 'b'] }], ['a', 'b']],
    ['CN after O', [{ O: ['Acme'] }, { CN: ['dev-01'] }], ['dev-01']],
    ['no CN', [{ O: ['Acme'] }], []],
  ];
  for (const [name, subject, expected] of cases) {
    const { certificate } = await issueCertificate({
      issuer: ca,
      subject,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + DAY),
    });
    t.same(certificate.commonNames, expected, name);
  }
});

t.test('the DER reading agrees with OpenSSL', async (t) => {
  const rsa = await rootCa(now, 'RSA 3072 CA', { keySpec: { type: 'rsa', bits: 3072 } });
  const subjects: [string, Record<string, string[]>[]][] = [
    ['plain', [{ CN: ['device-1'] }, { O: ['Acme'] }, { C: ['DE'] }]],
    ['UTF-8', [{ CN: ['Gerät München ✓'] }, { OU: ['Entwicklung'] }]],
    ['special characters', [{ CN: ['a,b+c'] }, { O: ['Acme "Inc" <x>'] }]],
    [
      'email and serial',
      [{ CN: ['x'] }, { '1.2.840.113549.1.9.1': ['x@example.com'] }, { '2.5.4.5': ['1234'] }],
    ],
  ];
  for (const [name, subject] of subjects) {
    const { certificate } = await issueCertificate({
      issuer: rsa,
      subject,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + DAY),
    });
    const openssl = certificate.x509.subject.split('\n');
    t.same(
      certificate.commonNames,
      openssl.filter((l) => l.startsWith('CN=')).map((l) => l.slice(3).replace(/\\(.)/g, '$1')),
      `${name}: CN`,
    );
    t.equal(certificate.subject.split(', ').length, openssl.length, `${name}: one part per attribute`);
    t.equal(certificate.keyDescription, 'EC P-256', `${name}: key`);
    t.equal(
      rsa.certificate.signed(certificate),
      certificate.x509.verify(rsa.certificate.publicKey),
      `${name}: signature as OpenSSL sees it`,
    );
    t.equal(rsa.certificate.signed(certificate), true);
  }
  t.equal(rsa.certificate.keyDescription, 'RSA 3072');
  const other = await rootCa(now, 'Other');
  t.equal(other.certificate.signed(rsa.certificate), false, 'a wrong issuer does not verify');
  // SHA-1 with an EC issuer: the same rule for another key type.
  const sha1 = await issueCertificate({
    issuer: other,
    subject: [{ CN: ['sha1'] }],
    hash: 'SHA-1',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + DAY),
  });
  t.equal(sha1.certificate.algorithmName, 'SHA1withECDSA');
  t.equal(
    other.certificate.signed(sha1.certificate),
    true,
    'SHA-1 signatures verify (the chain rule refuses them)',
  );
  t.equal(
    other.certificate.signed(sha1.certificate),
    sha1.certificate.x509.verify(other.certificate.publicKey),
  );
});

t.test('an extension that appears twice makes the certificate unparsable (RFC 5280 4.2)', async (t) => {
  const ca = await rootCa(now);
  const twice = (extensions: x509.Extension[]) =>
    issueCertificate({ issuer: ca, subject: [{ CN: ['twice'] }], extensions, ...validAround(now) });
  await t.rejects(
    twice([new x509.BasicConstraintsExtension(true, undefined, true)]),
    {
      name: 'CertificateFormatError',
      message: 'the basicConstraints extension (2.5.29.19) appears more than once',
    },
    'basicConstraints: the factory adds one, the test another',
  );
  const unknown = () => new x509.Extension('1.3.6.1.4.1.55555.7', false, new Uint8Array([5, 0]));
  await t.rejects(twice([unknown(), unknown()]), {
    message: 'the extension 1.3.6.1.4.1.55555.7 appears more than once',
  });
  const once = await twice([unknown()]);
  t.equal(
    once.certificate.extensions.filter((e) => e.oid === '1.3.6.1.4.1.55555.7').length,
    1,
    'once is fine',
  );
});

t.test('usages, policies and names as the chain check reads them', async (t) => {
  const ca = await rootCa(now);
  const leaf = (
    await issueCertificate({
      issuer: ca,
      subject: [{ CN: ['usages'] }],
      keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
      extendedKeyUsage: ['1.3.6.1.5.5.7.3.2', '2.5.29.37.0'],
      extensions: [
        new x509.CertificatePolicyExtension(['1.3.6.1.4.1.55555.100.1'], true),
        new x509.Extension('2.5.29.30', true, new Uint8Array([0x30, 0])),
      ],
      ...validAround(now),
    })
  ).certificate;
  t.same(leaf.extendedKeyUsage, ['1.3.6.1.5.5.7.3.2', '2.5.29.37.0']);
  t.same(leaf.keyUsage?.slice(0, 5), [true, false, false, false, true]);
  t.equal(leaf.netscapeCertType, undefined);
  t.same(leaf.criticalPolicyQualifiers, [], 'a critical certificatePolicies without qualifiers');
  t.same(leaf.unprocessedCriticalExtensions, ['2.5.29.30'], 'nameConstraints is not processed');
  t.match(leaf.sha256, /^[0-9a-f]{64}$/);
  t.equal(leaf.sha256, createHash('sha256').update(leaf.der).digest('hex'));
  t.ok(leaf.namesIssuer(ca.certificate), 'issued by the CA');
  t.notOk(ca.certificate.namesIssuer(leaf));
  // The same name in another string type, case and spacing matches (RFC 5280 7.1, OpenSSL, Java).
  const utf8 = await issueCertificate({ subject: [{ CN: ['Acme  Root CA'] }], ...validAround(now) });
  const printable = await issueCertificate({
    subject: [{ CN: [' ACME root ca '] }],
    ...validAround(now),
  });
  t.not(utf8.certificate.subjectKey, printable.certificate.subjectKey, 'different bytes');
  t.equal(utf8.certificate.subjectCanonical, printable.certificate.subjectCanonical, 'the same name');
  const other = await issueCertificate({ subject: [{ CN: ['Acme Root CA 2'] }], ...validAround(now) });
  t.not(utf8.certificate.subjectCanonical, other.certificate.subjectCanonical);
});

t.test('malformed usages are parse errors that name the extension', async (t) => {
  const ca = await rootCa(now);
  const made = (oid: string, value: number[]) =>
    issueCertificate({
      issuer: ca,
      subject: [{ CN: ['malformed'] }],
      extensions: [new x509.Extension(oid, false, new Uint8Array(value))],
      ...validAround(now),
    });
  await t.rejects(made('2.5.29.37', [0x30, 0]), {
    message: 'malformed extendedKeyUsage extension (no entry)',
  });
  await t.rejects(made('2.5.29.37', [0x30, 2, 2, 0]), {
    message: 'malformed extendedKeyUsage extension (an entry is not an OBJECT IDENTIFIER)',
  });
  await t.rejects(made('2.5.29.32', [0x30, 0]), {
    message: 'malformed certificatePolicies extension (no policy)',
  });
});
