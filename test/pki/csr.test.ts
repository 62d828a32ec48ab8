import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Certificate } from '../../src/pki/certificate.js';
import { generateKeyPair } from '../../src/pki/certificate-factory.js';
import { CsrFormatError, createCsr, decodeCsrBody, readCsr } from '../../src/pki/csr.js';
import { readElement } from '../../src/pki/der.js';
import { integer, time } from '../../src/pki/der-writer.js';
import { base64Lines, certsOnlyPkcs7, readCertsOnlyPkcs7 } from '../../src/pki/pkcs7.js';
import { runTool, tempDir } from '../helpers/cli.js';

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
    readCertsOnlyPkcs7(p7).map((der) => Certificate.fromDer(der).fingerprint),
    [one.certificate.fingerprint, two.certificate.fingerprint],
  );
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'two.p7'), p7);
  const printed = await openssl('pkcs7', '-inform', 'DER', '-in', 'two.p7', '-print_certs', '-noout');
  t.match(printed.stdout, /subject=CN = one[\s\S]*subject=CN = two/);
  t.throws(() => readCertsOnlyPkcs7(Buffer.from('nope')), { name: 'Pkcs7Error' });
});
