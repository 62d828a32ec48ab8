import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Certificate } from '../../src/pki/certificate.js';
import { generateKeyPair } from '../../src/pki/certificate-factory.js';
import { CsrFormatError, createCsr, decodeCsrBody, readCsr } from '../../src/pki/csr.js';
import { readElement } from '../../src/pki/der.js';
import { bitString, DER_TAG, integer, oid, time, tlv } from '../../src/pki/der-writer.js';
import { base64Lines, certsOnlyPkcs7, readCertsOnlyPkcs7 } from '../../src/pki/pkcs7.js';
import { importSpki } from '../../src/pki/public-key.js';
import { runTool, tempDir } from '../helpers/cli.js';
import {
  BASIC_CONSTRAINTS,
  cnName,
  EC_SPKI,
  EXTENSION_REQUEST,
  extensionRequest,
  RSA_SHA256,
  request,
  SET,
} from '../helpers/csr-parts.js';

/*
 * The CSR reader and the DER the tenant CA writes, held to openssl: requests
 * openssl makes (EC, RSA, RSA-PSS, with and without a CA:TRUE extension
 * request) and what openssl reads back.
 */
const dir = tempDir(t, 'c8y-csr-');
async function openssl(...args: string[]) {
  const result = await runTool('openssl', args, { cwd: dir });
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`);
  return result;
}
const file = (name: string) => readFileSync(join(dir, name));
// The P-256 point with x = 5, and the same point with p added to its x (still 32 bytes).
const X_5 = Buffer.alloc(32, 0);
X_5[31] = 5;
const UNREDUCED_X = Buffer.from('ffffffff00000001000000000000000000000001000000000000000000000004', 'hex');
const Y_OF_5 = Buffer.from('459243b9aa581806fe913bce99817ade11ca503c64d9a3c533415c083248fbcc', 'hex');
const p256Spki = (x: Buffer, y: Buffer) => Buffer.concat([EC_SPKI.subarray(0, EC_SPKI.length - 64), x, y]);

t.test('an EC key must lie on its curve with its coordinates reduced', async (t) => {
  t.equal(importSpki(p256Spki(X_5, Y_OF_5)).asymmetricKeyType, 'ec', 'x = 5 is on P-256');
  t.throws(() => importSpki(p256Spki(UNREDUCED_X, Y_OF_5)), 'the same point with x + p is refused');
});

t.test('requests made by openssl: subject, key, CA:TRUE', async (t) => {
  await openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-384',
    '-nodes',
    '-keyout',
    'p384.key',
    '-subj',
    '/C=DE/O=Acme, Inc./CN=device-384',
    '-outform',
    'DER',
    '-out',
    'p384.der',
  );
  const p384 = await readCsr(file('p384.der'));
  t.equal(p384.subject, 'CN=device-384, O=Acme\\, Inc., C=DE', 'the platform’s form of the subject');
  t.same(p384.commonNames, ['device-384']);
  t.equal(p384.keyDescription, 'EC P-384');
  t.equal(p384.requestsCa, false);

  await openssl(
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-subj',
    '/CN=wants-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-outform',
    'DER',
    '-out',
    'ca.der',
  );
  const ca = await readCsr(file('ca.der'));
  t.equal(ca.requestsCa, true, 'the extensionRequest asks for CA:TRUE');
  t.equal(ca.keyDescription, 'RSA 2048');

  await openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'leaf.key',
    '-subj',
    '/CN=not-ca',
    '-addext',
    'basicConstraints=CA:FALSE',
    '-addext',
    'keyUsage=digitalSignature',
    '-outform',
    'DER',
    '-out',
    'leaf.der',
  );
  t.equal((await readCsr(file('leaf.der'))).requestsCa, false, 'CA:FALSE is no CA request');

  await openssl(
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'pss.key',
    '-subj',
    '/CN=pss',
    '-sigopt',
    'rsa_padding_mode:pss',
    '-outform',
    'DER',
    '-out',
    'pss.der',
  );
  await t.rejects(readCsr(file('pss.der')), {
    name: 'CsrFormatError',
    message: /1\.2\.840\.113549\.1\.1\.10, which is not supported/,
  });
});

t.test('bodies that are no request', async (t) => {
  const keys = await generateKeyPair();
  const good = await createCsr('CN=good', keys as CryptoKeyPair);
  // The version INTEGER inside the request info, set to 1 (v2, which PKCS#10 does not define).
  const v2 = Buffer.from(good);
  const info = readElement(v2, readElement(v2, 0).contentStart);
  v2[readElement(v2, info.contentStart).contentStart] = 1;
  const cases: [string, Buffer, RegExp][] = [
    ['trailing bytes', Buffer.concat([good, Buffer.from([0])]), /1 trailing bytes/],
    ['a certificate', Buffer.from(good.subarray(0, 2)), /not a PKCS#10/],
    ['version 2', v2, /version is not 1/],
  ];
  for (const [name, der, message] of cases) {
    await t.rejects(readCsr(der), { name: 'CsrFormatError', message }, name);
  }
  t.throws(
    () => decodeCsrBody(Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')),
    {
      message: /found a CERTIFICATE block where a CERTIFICATE REQUEST was expected/,
    },
  );
  t.same(decodeCsrBody(good), good, 'raw DER is read as it is');
  const pem = `-----BEGIN NEW CERTIFICATE REQUEST-----\n${base64Lines(good)}\n-----END NEW CERTIFICATE REQUEST-----\n`;
  t.same(decodeCsrBody(Buffer.from(pem)), good, 'the NEW CERTIFICATE REQUEST label too');
  t.type(new CsrFormatError('x'), Error);
});

t.test('the DER writer: times and integers as RFC 5280 and DER want them', async (t) => {
  t.equal(
    time(Date.parse('2049-12-31T23:59:59Z')).toString('latin1', 2),
    '491231235959Z',
    'UTCTime through 2049',
  );
  t.equal(
    time(Date.parse('2050-01-01T00:00:00Z')).toString('latin1', 2),
    '20500101000000Z',
    'GeneralizedTime from 2050',
  );
  t.equal(integer('80').toString('hex'), '02020080', 'a leading zero keeps it positive');
  t.equal(integer('0001').toString('hex'), '020101', 'no superfluous leading zero');
  t.equal(integer('0').toString('hex'), '020100');
  // Definite lengths at each size's edges, read back by the DER reader: short, then 1 to 3 octets.
  for (const [size, header] of [
    [0, '0400'],
    [127, '047f'],
    [128, '048180'],
    [255, '0481ff'],
    [256, '04820100'],
    [65_535, '0482ffff'],
    [65_536, '0483010000'],
  ] as const) {
    const element = size === 0 ? tlv(0x04) : tlv(0x04, Buffer.alloc(size - 1, 7), Buffer.from([9]));
    t.equal(element.subarray(0, header.length / 2).toString('hex'), header, `length ${size}`);
    t.match(readElement(element, 0), { tag: 0x04, contentStart: header.length / 2, end: element.length });
    t.equal(element.length, header.length / 2 + size);
  }
  t.equal(
    tlv(0x30, Buffer.from([1]), Buffer.from([2, 3])).toString('hex'),
    '3003010203',
    'contents in order',
  );
});

t.test('certs-only PKCS#7: read back, and by openssl', async (t) => {
  const keys = await generateKeyPair();
  const { issueCertificate, commonName } = await import('../../src/pki/certificate-factory.js');
  const one = await issueCertificate({
    subject: commonName('one'),
    keys,
    notBefore: new Date(0),
    notAfter: new Date(2e12),
  });
  const two = await issueCertificate({
    subject: commonName('two'),
    keys,
    notBefore: new Date(0),
    notAfter: new Date(2e12),
  });
  const p7 = certsOnlyPkcs7([one.certificate.der, two.certificate.der]);
  t.same(
    (await readCertsOnlyPkcs7(p7)).map((der) => Certificate.fromDer(der).fingerprint),
    [one.certificate.fingerprint, two.certificate.fingerprint],
  );
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'two.p7'), p7);
  const printed = await openssl('pkcs7', '-inform', 'DER', '-in', 'two.p7', '-print_certs', '-noout');
  t.match(printed.stdout, /subject=CN = one[\s\S]*subject=CN = two/);
  await t.rejects(readCertsOnlyPkcs7(Buffer.from('nope')), { name: 'Pkcs7Error' });
});

/*
 * Hostile requests, built part by part and signed with their own key, so that each reaches the
 * check it is meant for; openssl (`req -verify`) reads the same bytes.
 */
/** What `openssl req -verify` says of the request: loaded and verified, or its first error line. */
async function opensslVerdict(der: Buffer, name: string): Promise<string> {
  writeFileSync(join(dir, name), der);
  const result = await runTool('openssl', ['req', '-inform', 'DER', '-in', name, '-verify', '-noout'], {
    cwd: dir,
  });
  if (result.code === 0) return 'verified';
  return /Unable to load X509 request/.test(result.stderr) ? 'unreadable' : result.stderr.split('\n')[0]!;
}

t.test('hostile requests: the precise reason, where openssl refuses them too', async (t) => {
  t.equal(await opensslVerdict(request(), 'baseline.der'), 'verified', 'the unedited request is good');
  t.match(await readCsr(request()), { subject: 'CN=dev-01', keyDescription: 'EC P-256', requestsCa: false });

  const offCurve = Buffer.from(EC_SPKI);
  offCurve[offCurve.length - 1]! ^= 0x01;
  const cases: [string, Buffer, string | RegExp, string | RegExp][] = [
    [
      'a signature in an OCTET STRING',
      request({ signatureValue: (signature) => tlv(0x04, signature) }),
      'not a PKCS#10 certification request (not a CertificationRequest (SEQUENCE of request info, algorithm, signature))',
      'unreadable',
    ],
    [
      'request info without a key',
      request({ info: tlv(DER_TAG.SEQUENCE, integer('0'), cnName(Buffer.from('dev-01'))) }),
      'not a PKCS#10 certification request (not a CertificationRequestInfo (version, subject, subjectPKInfo))',
      'unreadable',
    ],
    [
      'an algorithm without its identifier',
      request({ algorithm: tlv(DER_TAG.SEQUENCE, Buffer.from([0x05, 0x00])) }),
      'not a PKCS#10 certification request (no signature algorithm)',
      'unreadable',
    ],
    [
      'a signature BIT STRING with an unused bit',
      request({ signatureValue: (signature) => tlv(DER_TAG.BIT_STRING, Buffer.from([1]), signature) }),
      'not a PKCS#10 certification request (malformed signature)',
      /invalid bit string bits left/,
    ],
    [
      'an ECDSA signature labelled sha256WithRSAEncryption',
      request({ algorithm: tlv(DER_TAG.SEQUENCE, oid(RSA_SHA256), Buffer.from([0x05, 0x00])) }),
      "the request's signature algorithm (1.2.840.113549.1.1.11) does not fit its ec key",
      /wrong public key type/,
    ],
    [
      'an ECDSA signature labelled Ed25519',
      request({ algorithm: tlv(DER_TAG.SEQUENCE, oid('1.3.101.112')) }),
      "the request's signature algorithm (1.3.101.112) does not fit its ec key",
      /wrong public key type/,
    ],
    [
      'a P-256 point off the curve',
      request({ spki: offCurve }),
      /^unsupported or malformed public key \(.+\)$/,
      /decode error/,
    ],
    [
      'a P-256 point on the curve only once its x is reduced modulo p',
      request({ spki: p256Spki(UNREDUCED_X, Y_OF_5) }),
      /^unsupported or malformed public key \(.+\)$/,
      /decode error/,
    ],
    [
      'a key of an unknown algorithm (1.2.3.4)',
      request({
        spki: tlv(DER_TAG.SEQUENCE, tlv(DER_TAG.SEQUENCE, oid('1.2.3.4')), bitString(Buffer.from([1, 2, 3]))),
      }),
      /^unsupported or malformed public key \(.+\)$/,
      /decode error/,
    ],
    [
      'a relative name that is a SEQUENCE, not a SET',
      request({
        subject: tlv(
          DER_TAG.SEQUENCE,
          tlv(DER_TAG.SEQUENCE, tlv(DER_TAG.SEQUENCE, oid('2.5.4.3'), tlv(0x0c, Buffer.from('dev-01')))),
        ),
      }),
      'the request cannot be read (a relative name is not a SET)',
      'unreadable',
    ],
    [
      'a CN in a UniversalString beyond Unicode (U+110000)',
      request({ subject: cnName(Buffer.from('00110000', 'hex'), 0x1c) }),
      'the request cannot be read (UniversalString code point 110000 is beyond Unicode)',
      'unreadable',
    ],
  ];
  for (const [name, der, message, openssl] of cases) {
    await t.rejects(readCsr(der), { name: 'CsrFormatError', message }, name);
    t.match(await opensslVerdict(der, 'hostile.der'), openssl, `${name}: openssl refuses it too`);
  }

  // The mock refuses what it cannot read even where openssl verifies the signature: a version no
  // PKCS#10 defines, and basicConstraints that are no SEQUENCE (openssl prints "..." for them): whether
  // such a request asks to be a CA cannot be told.
  const notConstraints = request({
    attributes: extensionRequest(oid(BASIC_CONSTRAINTS), tlv(0x04, integer('1'))),
  });
  await t.rejects(readCsr(notConstraints), {
    message: 'the request cannot be read (expected tag 0x30, found 0x2)',
  });
  t.equal(await opensslVerdict(notConstraints, 'bc.der'), 'verified');
  const v2 = request({ version: integer('1') });
  await t.rejects(readCsr(v2), { message: /the request version is not 1/ });
  t.equal(await opensslVerdict(v2, 'v2.der'), 'verified', 'openssl 3 loads version 2 requests');
});

t.test('requests the reader accepts: attributes it skips, none at all, other keys', async (t) => {
  const caTrue = request({
    attributes: extensionRequest(
      oid(BASIC_CONSTRAINTS),
      tlv(0x04, tlv(DER_TAG.SEQUENCE, Buffer.from([1, 1, 0xff]))),
    ),
  });
  t.equal((await readCsr(caTrue)).requestsCa, true, 'built by hand, CA:TRUE is seen');

  const noAttributes = request({ attributes: null });
  t.equal(await opensslVerdict(noAttributes, 'noattrs.der'), 'verified');
  t.match(await readCsr(noAttributes), { subject: 'CN=dev-01', requestsCa: false }, 'without [0] attributes');

  // An attribute that is no (type, SET) pair and an extension without its value: nothing asks for CA.
  const oddAttributes = request({
    attributes: tlv(
      DER_TAG.CONTEXT_0,
      tlv(DER_TAG.SEQUENCE, integer('1')),
      tlv(
        DER_TAG.SEQUENCE,
        oid(EXTENSION_REQUEST),
        tlv(
          SET,
          tlv(DER_TAG.SEQUENCE, tlv(DER_TAG.SEQUENCE, oid(BASIC_CONSTRAINTS), Buffer.from([1, 1, 0xff]))),
        ),
      ),
    ),
  });
  t.equal((await readCsr(oddAttributes)).requestsCa, false, 'malformed attributes ask for nothing');

  // A challengePassword attribute (RFC 2985), as EST clients built on openssl may send.
  writeFileSync(
    join(dir, 'challenge.cnf'),
    '[req]\ndistinguished_name = dn\nattributes = attrs\nprompt = no\n[dn]\nCN = challenged\n[attrs]\nchallengePassword = a-challenge\n',
  );
  await openssl(
    'req',
    '-new',
    '-config',
    'challenge.cnf',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'challenge.key',
    '-outform',
    'DER',
    '-out',
    'challenge.der',
  );
  t.match(await readCsr(file('challenge.der')), { commonNames: ['challenged'], requestsCa: false });

  await openssl(
    'req',
    '-new',
    '-newkey',
    'ed25519',
    '-nodes',
    '-keyout',
    'ed.key',
    '-subj',
    '/CN=ed-device',
    '-outform',
    'DER',
    '-out',
    'ed.der',
  );
  t.equal(
    (await readCsr(file('ed.der'))).keyDescription,
    'ED25519',
    'Ed25519 verifies (the EST rules refuse it)',
  );
  await openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:secp256k1',
    '-nodes',
    '-keyout',
    'k1.key',
    '-subj',
    '/CN=k1-device',
    '-outform',
    'DER',
    '-out',
    'k1.der',
  );
  t.equal((await readCsr(file('k1.der'))).keyDescription, 'EC secp256k1', 'a curve without a NIST name');
});

t.test('bodies: one PEM block, base64 only', async (t) => {
  const der = request();
  const block = `-----BEGIN CERTIFICATE REQUEST-----\n${base64Lines(der)}\n-----END CERTIFICATE REQUEST-----\n`;
  t.throws(() => decodeCsrBody(Buffer.from(block + block)), {
    name: 'CsrFormatError',
    message: 'expected one PEM block, found 2',
  });
  t.throws(() => decodeCsrBody(Buffer.from(`${der.toString('base64').slice(0, 40)}!`)), {
    name: 'CsrFormatError',
    message: 'the body is not base64: truncated base64 content',
  });
  t.throws(() => decodeCsrBody(Buffer.from(`${der.toString('base64').slice(0, 40)}*!!!`)), {
    message: 'the body is not base64: invalid base64 content',
  });
});

t.test('PKCS#7 that is not certs-only: the precise reason, beside openssl pkcs7', async (t) => {
  writeFileSync(join(dir, 'message.txt'), 'hello\n');
  await openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'recipient.key',
    '-out',
    'recipient.pem',
    '-subj',
    '/CN=recipient',
    '-days',
    '1',
  );
  const print = (name: string) =>
    runTool('openssl', ['pkcs7', '-inform', 'DER', '-in', name, '-print_certs', '-noout'], { cwd: dir });

  // EnvelopedData (smime -encrypt): openssl loads it and finds no certificate in it.
  await openssl(
    'smime',
    '-encrypt',
    '-in',
    'message.txt',
    '-outform',
    'DER',
    '-out',
    'enveloped.p7',
    'recipient.pem',
  );
  await t.rejects(readCertsOnlyPkcs7(file('enveloped.p7')), {
    name: 'Pkcs7Error',
    message: 'not a SignedData (content type 1.2.840.113549.1.7.3)',
  });
  t.match(await print('enveloped.p7'), { code: 0, stdout: '' }, 'openssl: no certificate either');

  // A SignedData content type whose content is no SignedData: openssl cannot load it.
  const hollow = tlv(DER_TAG.SEQUENCE, oid('1.2.840.113549.1.7.2'), tlv(DER_TAG.CONTEXT_0, integer('1')));
  await t.rejects(readCertsOnlyPkcs7(hollow), {
    name: 'Pkcs7Error',
    message: /^not a PKCS#7 SignedData \(.+\)$/,
  });
  writeFileSync(join(dir, 'hollow.p7'), hollow);
  t.match(await print('hollow.p7'), { code: 1, stderr: /unable to load PKCS7 object/ });

  // certs-only without certificates (crl2pkcs7 -nocrl and no -certfile): nothing to read, as for openssl.
  await openssl('crl2pkcs7', '-nocrl', '-outform', 'DER', '-out', 'empty.p7');
  t.same(await readCertsOnlyPkcs7(file('empty.p7')), [], 'no certificates');
  t.match(await print('empty.p7'), { code: 0, stdout: '' });

  // A signed message (smime -sign): its certificates are read, as openssl prints them.
  await openssl(
    'smime',
    '-sign',
    '-in',
    'message.txt',
    '-signer',
    'recipient.pem',
    '-inkey',
    'recipient.key',
    '-nodetach',
    '-outform',
    'DER',
    '-out',
    'signed.p7',
  );
  t.same(
    (await readCertsOnlyPkcs7(file('signed.p7'))).map((der) => Certificate.fromDer(der).subject),
    ['CN=recipient'],
  );
  t.match((await print('signed.p7')).stdout, /subject=CN = recipient/);
});
