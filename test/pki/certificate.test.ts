import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, ECDH, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Certificate, CertificateFormatError, describeKey } from '../../src/pki/certificate.js';
import {
  chainPem,
  commonName,
  createServerCertificate,
  issueCertificate,
  type JsonName,
} from '../../src/pki/certificate-factory.js';
import { encodeCrl } from '../../src/pki/crl-encoder.js';
import { children, decodeOid, decodeTime, integerHex, readElement, readOid } from '../../src/pki/der.js';
import { describeExtensions } from '../../src/pki/extension-description.js';
import { Memo } from '../../src/pki/memo.js';
import { decodeCertificateBlocks } from '../../src/pki/pem.js';
import { describeSpki, importSpki } from '../../src/pki/public-key.js';
import { StringPool } from '../../src/pki/string-pool.js';
import { decodeName } from '../../src/pki/x500-name.js';
import { x509 } from '../../src/pki/x509.js';
import { buildChain, KeyPool } from '../helpers/chain-builder.js';
import { simpleChain } from '../helpers/chain-spec.js';
import { TEST_NOW } from '../helpers/clock.js';
import { rsaPem } from '../helpers/keys.js';
import { DAY, device, intermediateCa, rootCa, validAround } from '../helpers/pki.js';

const now = TEST_NOW;

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

t.test('malformed usages and policies: each form has its reason', async (t) => {
  const ca = await rootCa(now);
  const made = (oid: string, value: number[]) =>
    issueCertificate({
      issuer: ca,
      subject: [{ CN: ['malformed'] }],
      extensions: [new x509.Extension(oid, false, new Uint8Array(value))],
      ...validAround(now),
    });
  const OID = [0x06, 0x03, 0x55, 0x1d, 0x20]; // 2.5.29.32, as a policy identifier
  const cases: [string, string, number[], string][] = [
    ['extendedKeyUsage', '2.5.29.37', [0x30, 0x05, ...OID, 0x00], 'trailing bytes'],
    ['certificatePolicies', '2.5.29.32', [0x30, 0x07, 0x30, 0x05, ...OID, 0x00], 'trailing bytes'],
    ['certificatePolicies', '2.5.29.32', [0x30, 0x02, 0x02, 0x00], 'a policy is not a SEQUENCE'],
    ['certificatePolicies', '2.5.29.32', [0x30, 0x04, 0x30, 0x02, 0x02, 0x00], 'malformed PolicyInformation'],
    [
      'certificatePolicies',
      '2.5.29.32',
      [0x30, 0x0b, 0x30, 0x09, ...OID, 0x30, 0x00, 0x02, 0x00],
      'malformed PolicyInformation',
    ],
    [
      'certificatePolicies',
      '2.5.29.32',
      [0x30, 0x09, 0x30, 0x07, ...OID, 0x30, 0x00],
      'malformed policyQualifiers',
    ],
    [
      'certificatePolicies',
      '2.5.29.32',
      [0x30, 0x09, 0x30, 0x07, ...OID, 0x02, 0x00],
      'malformed policyQualifiers',
    ],
  ];
  for (const [name, oid, value, reason] of cases) {
    await t.rejects(made(oid, value), { message: `malformed ${name} extension (${reason})` }, reason);
  }
});

/** DER of one element: tag, length (short or long form) and content. */
const der = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  const length =
    body.length < 0x80
      ? Buffer.from([body.length])
      : body.length < 0x100
        ? Buffer.from([0x81, body.length])
        : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
};
const hex = (text: string) => Buffer.from(text, 'hex');

t.test('a tbsCertificate without all its fields, or of an unknown version, is refused', async (t) => {
  const ca = await rootCa(now);
  const outer = children(ca.certificate.der, readElement(ca.certificate.der, 0));
  const [tbs, algorithm, signature] = outer.map((e) => ca.certificate.der.subarray(e.start, e.end));
  const fields = children(tbs!, readElement(tbs!, 0)).map((e) => tbs!.subarray(e.start, e.end));
  const rebuilt = (tbsFields: Buffer[]) => der(0x30, der(0x30, ...tbsFields), algorithm!, signature!);
  const [, serial, , issuer, validity, subject, spki, ...extensions] = fields;
  const version5 = der(0xa0, der(0x02, Buffer.from([4])));
  const oneTime = der(
    0x30,
    children(validity!, readElement(validity!, 0)).map((e) => validity!.subarray(e.start, e.end))[0]!,
  );
  const cases: [string, Buffer, string][] = [
    ['fields missing', rebuilt(fields.slice(0, 4)), 'incomplete tbsCertificate'],
    ['version 5', rebuilt([version5, ...fields.slice(1)]), 'unknown version 5'],
    [
      'one validity time',
      rebuilt([fields[0]!, serial!, fields[2]!, issuer!, oneTime, subject!, spki!, ...extensions]),
      'incomplete validity',
    ],
  ];
  for (const [name, bytes, message] of cases) {
    t.throws(() => Certificate.fromDer(bytes), new CertificateFormatError(message), name);
  }
});

t.test(
  "an issuer's name is decoded once per issuer: the same forms, and a malformed one still refused",
  async (t) => {
    const ca = await rootCa(now, 'Issuer Forms CA');
    const [first, second] = [
      await device(ca, now, 'issuer-forms-01'),
      await device(ca, now, 'issuer-forms-02'),
    ];
    const [a, b] = [first, second].map((d) => Certificate.fromDer(Buffer.from(d.credential.certificate.der)));
    t.equal(a!.issuer, ca.certificate.subject, 'the platform form of the issuer');
    t.ok(a!.namesIssuer(ca.certificate) && b!.namesIssuer(ca.certificate), 'both name their issuer');
    t.equal(a!.issuer, b!.issuer);
    // The issuer field of a certificate whose issuer is known, with one byte of its name changed:
    // a SEQUENCE where a relative name's SET belongs.
    const bytes = Buffer.from(second.credential.certificate.der);
    const outer = children(bytes, readElement(bytes, 0));
    const fields = children(bytes, outer[0]!);
    const issuer = fields[fields[0]!.tag === 0xa0 ? 3 : 2]!;
    const rdn = children(bytes, issuer)[0]!;
    bytes[rdn.start] = 0x30;
    t.throws(
      () => Certificate.fromDer(bytes),
      new CertificateFormatError('malformed DER (a relative name is not a SET)'),
      'a malformed issuer name is a format error',
    );
  },
);

t.test('object identifiers and names in every encoding the platform may meet', async (t) => {
  t.throws(() => decodeOid(Buffer.alloc(0)), { message: 'empty object identifier' });
  t.throws(() => decodeOid(hex('2a80')), { message: 'non-minimal object identifier arc' });
  t.throws(() => decodeOid(hex('2affffffffffffffffff7f')), { message: 'object identifier arc too large' });
  // readOid: decodeOid once per distinct identifier; one that does not decode, every time.
  const oidElement = (content: string) => {
    const element = der(0x06, hex(content));
    return readOid(element, readElement(element, 0));
  };
  t.equal(oidElement('2a864886f70d01010b'), '1.2.840.113549.1.1.11');
  t.equal(oidElement('2a864886f70d01010b'), '1.2.840.113549.1.1.11', 'known');
  t.equal(oidElement('551d13'), '2.5.29.19');
  for (const attempt of ['first', 'second']) {
    t.throws(() => oidElement('2a80'), { message: 'non-minimal object identifier arc' }, attempt);
  }
  t.equal(integerHex(hex('00')), '0', 'a zero serial number reads as 0');
  for (const [bytes, expected] of [
    ['', '0'],
    ['0000', '0'],
    ['0f', 'f'],
    ['000f', 'f'],
    ['0100', '100'],
    ['10', '10'],
    ['ff00', 'ff00'],
  ]) {
    t.equal(integerHex(hex(bytes!)), expected, `${bytes || 'no bytes'} reads as ${expected}`);
  }
  t.equal(
    integerHex(hex('0000ff')),
    'ff',
    'leading zero octets (a positive INTEGER with its top bit set) go',
  );
  const old = await issueCertificate({
    subject: [{ CN: ['from the last century'] }],
    notBefore: new Date('1999-12-31T23:59:59Z'),
    notAfter: new Date('2049-12-31T23:59:59Z'),
  });
  t.equal(old.certificate.notBefore, Date.parse('1999-12-31T23:59:59Z'), 'UTCTime 99 is 1999');
  t.equal(old.certificate.notAfter, Date.parse('2049-12-31T23:59:59Z'), 'UTCTime 49 is 2049');
  const time = (tag: number, text: string) => {
    const element = der(tag, Buffer.from(text, 'latin1'));
    return decodeTime(element, readElement(element, 0));
  };
  t.equal(time(0x17, '500101000000Z'), Date.parse('1950-01-01T00:00:00Z'), 'UTCTime 50 is 1950');
  t.equal(time(0x18, '20240229235959Z'), Date.parse('2024-02-29T23:59:59Z'), 'GeneralizedTime, a leap day');
  for (const [tag, text] of [
    [0x18, '20230229000000Z'], // no 29 February in 2023
    [0x17, '260431000000Z'], // 31 April
    [0x18, '20260601240000Z'],
    [0x18, '20260601126000Z'],
    [0x18, '20260601120060Z'],
    [0x17, '2606011200Z'], // without seconds: RFC 5280 requires them
    [0x18, '20260601120000.5Z'], // fractions: RFC 5280 forbids them
    [0x02, '20260601120000Z'], // not a time type at all
    [0x18, '2026060112000aZ'], // a letter among the digits
    [0x17, '26060112000+Z'],
    [0x17, '260601120000z'], // a lower-case z
    [0x18, '20260601120000Z0'], // past the Z
  ] as const) {
    t.throws(
      () => time(tag, text),
      { name: 'DerError', message: `invalid time ${JSON.stringify(text)}` },
      text,
    );
  }

  const cnOid = der(0x06, hex('550403'));
  const nameOf = (...values: Buffer[]) =>
    der(0x30, ...values.map((value) => der(0x31, der(0x30, cnOid, value))));
  const read = (name: Buffer) => decodeName(name, readElement(name, 0));
  const bmp = Buffer.from('Zürich ✓', 'utf16le').swap16();
  const universal = Buffer.alloc(8);
  universal.writeUInt32BE(0x1f512, 0); // a code point beyond the BMP
  universal.writeUInt32BE(0x41, 4);
  t.same(
    read(nameOf(der(0x1e, bmp), der(0x1c, universal), der(0x04, hex('cafe')))).map((rdn) => rdn[0]!.value),
    ['Zürich ✓', '\u{1f512}A', '#cafe'],
    'BMPString, UniversalString, and an octet string shown as hex',
  );
  t.throws(() => read(nameOf(der(0x1e, hex('00')))), { message: 'odd-length BMPString' });
  t.throws(() => read(nameOf(der(0x1c, hex('000041')))), {
    message: 'UniversalString length not a multiple of 4',
  });
});

t.test('keys as `certs inspect` describes them, Ed25519 included', async (t) => {
  const { privateKey: ed } = generateKeyPairSync('ed25519');
  t.equal(describeKey(ed), 'ED25519');
  t.equal(describeKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey), 'EC P-256');
  t.equal(describeKey(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey), 'EC P-384');
  t.equal(describeKey(generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey), 'EC P-521');
  t.equal(describeKey(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey), 'EC secp256k1');
  t.equal(describeKey(createPrivateKey(rsaPem(2048, 0))), 'RSA 2048');
});

t.test("a public key as OpenSSL's DER decoder reads it, whichever way it is imported", async (t) => {
  const spkiOf = (type: 'rsa' | 'ec' | 'ed25519', options: object = {}) =>
    generateKeyPairSync(type as 'rsa', options as { modulusLength: number }).publicKey.export({
      type: 'spki',
      format: 'der',
    });
  const p256 = spkiOf('ec', { namedCurve: 'P-256' });
  // The same point compressed: 02/03 and X, under the P-256 SPKI prefix with the shorter lengths.
  const point = p256.subarray(-65);
  const compressed = Buffer.concat([
    Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
    ECDH.convertKey(point, 'prime256v1', undefined, undefined, 'compressed') as Buffer,
  ]);
  const offCurve = Buffer.from(p256);
  offCurve[offCurve.length - 1]! ^= 1;
  const rsa = spkiOf('rsa', { modulusLength: 2048 });
  // The modulus with a superfluous leading zero (02 82 01 02 00 00 …): not DER, so OpenSSL decides.
  const modulusAt = rsa.indexOf(Buffer.from('0282010100', 'hex'));
  t.ok(modulusAt > 0, 'the test found the modulus');
  const padded = Buffer.concat([
    Buffer.from('30820123300d06092a864886f70d01010105000382011000', 'hex'),
    Buffer.from('3082010b028201020000', 'hex'),
    rsa.subarray(modulusAt + 5),
  ]);
  // The same bytes without the zero that keeps them positive (02 82 01 00 …): a negative modulus.
  const negative = Buffer.concat([
    Buffer.from('30820121300d06092a864886f70d01010105000382010e00', 'hex'),
    Buffer.from('3082010902820100', 'hex'),
    rsa.subarray(modulusAt + 5),
  ]);
  // Every other form the JWK path must leave to OpenSSL, built from the RSA key's parts: SPKI ::=
  // SEQUENCE { SEQUENCE { OID, parameters }, BIT STRING { unused bits, RSAPublicKey } }.
  const [rsaAlgorithm, rsaKey] = children(rsa, readElement(rsa, 0));
  const rsaOid = rsa.subarray(rsaAlgorithm!.contentStart, rsaAlgorithm!.contentStart + 11);
  const rsaPublicKey = rsa.subarray(rsaKey!.contentStart + 1, rsaKey!.end);
  const [modulus, exponent] = children(rsaPublicKey, readElement(rsaPublicKey, 0)).map((e) =>
    rsaPublicKey.subarray(e.start, e.end),
  );
  const spki = (algorithm: Buffer[], key: Buffer, unusedBits = 0, outer = 0x30, keyTag = 0x03) =>
    der(outer, der(0x30, ...algorithm), der(keyTag, Buffer.from([unusedBits]), key));
  const nullParameters = hex('0500');
  const rsaWith = (...parts: Buffer[]) => spki([rsaOid, nullParameters], der(0x30, ...parts));
  const rsaPss = hex('06092a864886f70d01010a');
  const ecOid = p256.subarray(4, 13);
  const cases: [string, Buffer, string][] = [
    ['RSA 2048', rsa, 'RSA 2048'],
    ['RSA rebuilt from its parts', rsaWith(modulus!, exponent!), 'RSA 2048'],
    ['RSA, unused bits in its BIT STRING', spki([rsaOid, nullParameters], rsaPublicKey, 1), 'RSA 2048'],
    ['RSA without parameters', spki([rsaOid], rsaPublicKey), 'RSA 2048'],
    ['RSA with an OID for parameters', spki([rsaOid, rsaPss], rsaPublicKey), 'RSA 2048'],
    ['RSA with a NULL that has content', spki([rsaOid, hex('050100')], rsaPublicKey), 'RSA 2048'],
    [
      'RSA, an AlgorithmIdentifier of three',
      spki([rsaOid, nullParameters, nullParameters], rsaPublicKey),
      'RSA 2048',
    ],
    ['RSA-PSS', spki([rsaPss, hex('3000')], rsaPublicKey), 'RSA 2048'],
    ['RSAPublicKey of three INTEGERs', rsaWith(modulus!, exponent!, exponent!), 'RSA 2048'],
    ['RSAPublicKey with an OCTET STRING exponent', rsaWith(modulus!, der(0x04, hex('010001'))), 'RSA 2048'],
    [
      'RSAPublicKey with a byte after it',
      spki([rsaOid, nullParameters], Buffer.concat([rsaPublicKey, hex('00')])),
      'RSA 2048',
    ],
    ['RSAPublicKey as a SET', spki([rsaOid, nullParameters], der(0x31, modulus!, exponent!)), 'RSA 2048'],
    ['an exponent of zero', rsaWith(modulus!, hex('020100')), 'RSA 2048'],
    ['a modulus of zero', rsaWith(hex('020100'), exponent!), 'RSA 0'],
    ['a modulus of no bytes', rsaWith(hex('0200'), exponent!), 'RSA 0'],
    ['RSAPublicKey without a modulus', rsaWith(), 'RSA ?'],
    ['an SPKI as a SET', spki([rsaOid, nullParameters], rsaPublicKey, 0, 0x31), 'RSA 2048'],
    ['the key as an OCTET STRING', spki([rsaOid, nullParameters], rsaPublicKey, 0, 0x30, 0x04), 'RSA 2048'],
    [
      'an SPKI of three',
      der(0x30, der(0x30, rsaOid, nullParameters), der(0x03, hex('00'), rsaPublicKey), hex('0500')),
      'RSA 2048',
    ],
    ['an empty SPKI', der(0x30), 'unknown'],
    ['an SPKI without its key', der(0x30, der(0x30, rsaOid, nullParameters)), 'unknown'],
    ['EC with explicit (non-OID) parameters', spki([ecOid, hex('3000')], point), 'EC ?'],
    ['EC on an unknown curve', spki([ecOid, hex('06052b81040027')], point), 'EC 1.3.132.0.39'],
    ['RSA 1024, exponent 3', spkiOf('rsa', { modulusLength: 1024, publicExponent: 3 }), 'RSA 1024'],
    ['EC P-256', p256, 'EC P-256'],
    ['EC P-384', spkiOf('ec', { namedCurve: 'P-384' }), 'EC P-384'],
    ['EC P-521', spkiOf('ec', { namedCurve: 'P-521' }), 'EC P-521'],
    ['EC secp256k1', spkiOf('ec', { namedCurve: 'secp256k1' }), 'EC secp256k1'],
    ['Ed25519', spkiOf('ed25519'), 'ED25519'],
    ['a compressed P-256 point', compressed, 'EC P-256'],
    ['a point off its curve', offCurve, 'EC P-256'],
    ['a byte after the key', Buffer.concat([p256, Buffer.from([0])]), 'EC P-256'],
    ['a truncated key', rsa.subarray(0, 100), 'unknown'],
    ['a modulus not minimally encoded', padded, 'RSA 2048'],
    ['a negative modulus', negative, 'RSA 2048'],
  ];
  for (const [name, spki, described] of cases) {
    let expected: unknown;
    let actual: unknown;
    try {
      expected = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
    } catch {
      expected = 'refused';
    }
    try {
      actual = importSpki(spki).export({ format: 'jwk' });
    } catch {
      actual = 'refused';
    }
    t.same(actual, expected, `${name}: ${expected === 'refused' ? 'refused' : 'the same key'}`);
    t.equal(describeSpki(spki), described, `${name}: described as ${described}`);
  }
});

t.test('extensions as the dashboard and `certs inspect` describe them', async (t) => {
  const ca = await rootCa(now, 'Described CA');
  const raw = (oid: string, value: string) => new x509.Extension(oid, false, new Uint8Array(hex(value)));
  const described = await issueCertificate({
    issuer: ca,
    subject: [{ CN: ['described'] }],
    ...validAround(now),
    extensions: [
      new x509.IssuerAlternativeNameExtension([{ type: 'url', value: 'https://ca.example.test/' }]),
      new x509.CRLDistributionPointsExtension(['http://crl.example.test/ca.crl']),
      new x509.AuthorityInfoAccessExtension({
        ocsp: [new x509.GeneralName('url', 'http://ocsp.example.test')],
        caIssuers: [new x509.GeneralName('dns', 'ca.example.test')],
      }),
      new x509.CertificatePolicyExtension(['1.3.6.1.4.1.99999.1']),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth, '1.3.6.1.4.1.99999.2']),
      raw('1.2.3.4.5', '0500'),
    ],
  });
  const byName = Object.fromEntries(
    describeExtensions(described.certificate).map((e) => [e.name, e.value]),
  ) as Record<string, string>;
  t.equal(byName.issuerAltName, 'URI:https://ca.example.test/');
  t.equal(byName.crlDistributionPoints, 'URI:http://crl.example.test/ca.crl');
  t.equal(byName.authorityInfoAccess, 'OCSP URI:http://ocsp.example.test, caIssuers DNS:ca.example.test');
  t.equal(byName.certificatePolicies, '1.3.6.1.4.1.99999.1');
  t.equal(byName.extendedKeyUsage, 'clientAuth, 1.3.6.1.4.1.99999.2', 'a purpose without a name by its OID');
  t.same(
    decodeCertificateBlocks(chainPem(described, false)).map((der) => Certificate.fromDer(der).commonNames[0]),
    ['described'],
    'a chain file without its root',
  );
  t.equal(byName['1.2.3.4.5'], '2 bytes, not decoded', 'an extension the mock does not know');
  const caNames = Object.fromEntries(
    describeExtensions(ca.certificate).map((e) => [e.name, e.value]),
  ) as Record<string, string>;
  t.equal(caNames.basicConstraints, 'CA:true');
  t.equal(caNames.keyUsage, 'digitalSignature, keyCertSign, cRLSign');
  t.match(caNames.subjectKeyIdentifier, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
  const server = await createServerCertificate({
    issuer: await intermediateCa(ca, now, 'Described Issuing CA', { pathLen: 0 }),
    subject: [{ CN: ['described.example.test'] }],
    names: ['described.example.test', '192.0.2.1'],
    ...validAround(now),
  });
  const serverNames = Object.fromEntries(
    describeExtensions(server.certificate).map((e) => [e.name, e.value]),
  ) as Record<string, string>;
  t.equal(serverNames.basicConstraints, 'CA:false');
  t.equal(serverNames.extendedKeyUsage, 'serverAuth');
  t.equal(serverNames.subjectAltName, 'DNS:described.example.test, IP:192.0.2.1');
  t.equal(
    Object.fromEntries(describeExtensions(server.issuers[0]!).map((e) => [e.name, e.value])).basicConstraints,
    'CA:true, pathlen:0',
  );

  // Distribution points without a URI (reasons only, a DNS name), an authority key identifier by
  // issuer and serial, and an extension that does not decode as its type says.
  const odd = await issueCertificate({
    subject: [{ CN: ['odd extensions'] }],
    ...validAround(now),
    extensions: [
      raw('2.5.29.31', '30103004810205a03008a006a00482026361'),
      raw('2.5.29.35', '3009a10482026361820101'),
      raw('1.3.6.1.5.5.7.1.1', '0400'),
    ],
  });
  const oddNames = Object.fromEntries(
    describeExtensions(odd.certificate).map((e) => [e.name, e.value]),
  ) as Record<string, string>;
  t.equal(oddNames.crlDistributionPoints, 'present');
  t.equal(oddNames.authorityKeyIdentifier, 'issuer and serial');
  t.equal(oddNames.authorityInfoAccess, '2 bytes, not decoded');
});

t.test('a CRL signed with an RSA key, and a serial of odd hex length', async (t) => {
  const issuer = await rootCa(now, 'RSA CRL Issuer', { keySpec: { type: 'rsa', bits: 2048 } });
  const crl = await encodeCrl({
    issuer: commonName('RSA CRL Issuer', 'c8y-mtls-mock tests'),
    signingKey: issuer.keys.privateKey,
    thisUpdate: now,
    nextUpdate: now + DAY,
    entries: [{ serialHex: 'abc', revocationDate: now }],
  });
  const parsed = new x509.X509Crl(new Uint8Array(crl));
  t.equal(parsed.signatureAlgorithm.name, 'RSASSA-PKCS1-v1_5');
  t.ok(await parsed.verify({ publicKey: issuer.keys.publicKey }), 'the signature verifies');
  t.same(
    parsed.entries.map((e) => e.serialNumber),
    ['0abc'],
  );
});

t.test(
  'a certificate read from a larger buffer keeps its own bytes, and its parts as OpenSSL reads them',
  async (t) => {
    const ca = await rootCa(now);
    const { certificate: issued } = await issueCertificate({
      issuer: ca,
      subject: [{ CN: ['compact-1'] }, { O: ['Acme'] }],
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + DAY),
      keyUsage: x509.KeyUsageFlags.digitalSignature,
    });
    // A header's certificates are views into one buffer (Buffer's pool for small ones): a cached
    // certificate must not keep the rest of it.
    const padded = Buffer.concat([Buffer.alloc(100, 7), issued.der, Buffer.alloc(200, 9)]);
    const view = padded.subarray(100, 100 + issued.der.length);
    const certificate = Certificate.fromDer(view);
    t.not(certificate.der.buffer, padded.buffer, 'the bytes are copied');
    t.equal(certificate.der.buffer.byteLength, issued.der.length, 'into a buffer of their own size');
    t.ok(certificate.der.equals(issued.der));
    const whole = Certificate.fromDer(issued.der);
    t.equal(whole.der, issued.der, 'a buffer of its own is kept as it is');
    t.equal(certificate.sha256, createHash('sha256').update(issued.der).digest('hex'));
    t.equal(certificate.fingerprint, createHash('sha1').update(issued.der).digest('hex'));
    t.equal(
      Certificate.fromDer(issued.der, 'given').sha256,
      'given',
      "the caller's SHA-256 (the cache's key) is taken as it is",
    );

    // The parts read again from the offsets are the DER's, as OpenSSL and the pre-parse find them.
    const [tbs, , signature] = children(issued.der, readElement(issued.der, 0));
    t.ok(certificate.tbs.equals(issued.der.subarray(tbs!.start, tbs!.end)), 'tbsCertificate');
    t.ok(certificate.signature.equals(issued.der.subarray(signature!.contentStart + 1, signature!.end)));
    t.ok(
      certificate.spki.equals(certificate.x509.publicKey.export({ type: 'spki', format: 'der' })),
      'the public key as OpenSSL exports it',
    );
    t.equal(ca.certificate.signed(certificate), true, 'the signature verifies over the tbs read again');
    t.equal(certificate.subjectKey, issued.subjectKey);
    t.equal(certificate.issuerKey, ca.certificate.subjectKey, "the issuer's name is its issuer's subject");
    t.equal(certificate.subject, 'O=Acme, CN=compact-1');
    t.equal(certificate.subjectRfc2253, 'O=Acme,CN=compact-1');
    t.equal(certificate.issuerRfc2253, ca.certificate.subjectRfc2253);
    t.same(certificate.commonNames, ['compact-1']);
    t.ok(
      Object.isFrozen(certificate.commonNames),
      'the CNs a cached certificate hands out cannot be changed',
    );
    t.same(
      certificate.extensions.map((e) => e.oid),
      whole.extensions.map((e) => e.oid),
    );
    t.same(
      describeExtensions(certificate).map((e) => e.name),
      describeExtensions(whole).map((e) => e.name),
    );
    t.ok(certificate.extensions.length >= 2, 'the extensions are read again from the DER');
    t.equal(certificate.issuer, whole.issuer);
    t.equal(certificate.issuer, ca.certificate.subject);
  },
);

t.test('a version 1 certificate has no extensions to read again', async (t) => {
  const keys = await KeyPool.generate(1, ['ec-p256']);
  const chain = buildChain(simpleChain({ version: 1 }, {}), keys, now, 1);
  const certificate = Certificate.fromDer(chain.leaf);
  t.equal(certificate.version, 1);
  t.same(certificate.extensions, []);
  t.same(certificate.unprocessedCriticalExtensions, []);
  t.same(certificate.commonNames, ['device-1']);
});

// The pool behind the shared issuer names and OIDs of cached certificates.
t.test('equal values come back as the first one; past its capacity the pool starts again', async (t) => {
  const pool = new StringPool(3);
  const first = ['CN=Fleet CA', 'O=Acme'].join(', ');
  const again = ['CN=Fleet CA', 'O=Acme'].join(', ');
  t.equal(pool.get(first), first);
  t.equal(pool.get(again), first, 'the equal string held already');
  t.equal(pool.size, 1);
  pool.get('2.5.29.19');
  pool.get('2.5.29.15');
  t.equal(pool.size, 3);
  t.equal(pool.get('2.5.29.37'), '2.5.29.37', 'a value past the capacity is kept');
  t.equal(pool.size, 1, 'and the others forgotten, so the pool never holds more than its capacity');
  t.equal(pool.get(again), again, 'a forgotten value is held anew');
});

t.test(
  'a memo makes each value once, forgets all past its capacity, and keeps nothing that threw',
  async (t) => {
    const made: string[] = [];
    const memo = new Memo(2, 8, (key) => {
      if (key === 'bad') throw new Error(`cannot make ${key}`);
      made.push(key);
      return { key };
    });
    const a = memo.get('a');
    t.equal(memo.get('a'), a, 'kept');
    memo.get('b');
    t.same(made, ['a', 'b']);
    t.equal(memo.size, 2);
    memo.get('c');
    t.equal(memo.size, 1, 'past the capacity the others are forgotten');
    t.not(memo.get('a'), a, 'and made anew');
    t.same(made, ['a', 'b', 'c', 'a']);
    for (const attempt of ['first', 'second']) t.throws(() => memo.get('bad'), /cannot make bad/, attempt);
    t.equal(memo.size, 2, 'nothing kept for what threw');
    const long = memo.get('longer than eight');
    t.same(long, { key: 'longer than eight' });
    t.not(memo.get('longer than eight'), long, 'a key past the longest kept is made every time');
    t.equal(memo.size, 2, 'and never kept');
  },
);
