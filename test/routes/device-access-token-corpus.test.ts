import t, { type Test } from 'tap';
import {
  CA_KEY_USAGE,
  type Credential,
  commonName,
  generateKeyPair,
  issueCertificate,
  type JsonName,
} from '../../src/pki/certificate-factory.js';
import { x509 } from '../../src/pki/x509.js';
import { admin, adminSeed, assertError, basic } from '../helpers/admin.js';
import {
  type BuiltChain,
  buildChain,
  pemOf as certificatesPem,
  KeyPool,
  leafCredentials,
} from '../helpers/chain-builder.js';
import { type CertificateSpec, simpleChain } from '../helpers/chain-spec.js';
import { TEST_NOW } from '../helpers/clock.js';
import {
  asDevice,
  certificateWithUnreadableKey,
  resignWithMd5,
  withBrokenSignature,
} from '../helpers/hostile-certs.js';
import { DAY, device, header, intermediateCa, rootCa, type TestDevice } from '../helpers/pki.js';
import { requestToken, startServer, type TestServer } from '../helpers/server.js';

/*
 * The hostile-certificate corpus: broken and malicious chains a QA pipeline
 * feeds the token endpoint, each with the status, the exact Cumulocity error
 * body and the rule the decision log names. Certificates are made here, with
 * the project's own PKI code. The app is driven through inject, the client
 * certificates through the seam as the handshake gives them
 * (test/tls/handshake-seam.test.ts holds the two equal); what Node's HTTP parser
 * refuses (a head over --max-header-size) goes over real TLS.
 */
const now = TEST_NOW;
const tests = 'c8y-mtls-mock tests';

// --- trust anchors, one tenant each ---------------------------------------------------------------
const rootA = await rootCa(now, 'Corpus Root A');
const interA = await intermediateCa(rootA, now, 'Corpus Issuing CA');
const rootB = await rootCa(now, 'Corpus Root B');
const interB = await intermediateCa(rootB, now, 'Corpus Issuing CA B');
const disabledRoot = await rootCa(now, 'Corpus Disabled Root');
const deletedRoot = await rootCa(now, 'Corpus Deleted Root');
const tightRoot = await rootCa(now, 'Corpus PathLen 0 Root', { pathLen: 0 });
const rsaRoot = await rootCa(now, 'Corpus RSA Root', { keySpec: { type: 'rsa', bits: 2048 } });
const crlRoot = await rootCa(now, 'Corpus CRL Root');
const longRoot = await rootCa(now, 'Corpus Long Root');
const closedRoot = await rootCa(now, 'Corpus No Auto-registration Root');

// Chains with the differential test's builder (identifiers that lie, extensions twice, critical
// extensions, usages, names in other encodings), each under its own root, all trusted by t1000.
const builderKeys = await KeyPool.generate(3, ['ec-p256', 'rsa-2048']);
let builderId = 9000;
const built = (leaf: Partial<CertificateSpec>, ...cas: Partial<CertificateSpec>[]): BuiltChain =>
  buildChain(simpleChain(leaf, ...cas), builderKeys, now, builderId++);
const mislabelledLeaf = built({ algorithm: 'other-family' }, {});
const mislabelledUnderIntermediate = built({ algorithm: 'other-family' }, {}, { key: 'rsa-2048' });
const twiceBasicConstraintsCa = built({}, { duplicate: 'basicConstraints' }, {});
const twiceExtendedKeyUsageLeaf = built({ duplicate: 'extKeyUsage' }, {});
const serverOnlyLeaf = built({ extKeyUsage: { purposes: ['serverAuth'], critical: true } }, {});
const anyUsageLeaf = built({ extKeyUsage: { purposes: ['any'], critical: false } }, {});
const netscapeServerLeaf = built({ netscapeCertType: { sslClient: false } }, {});
const keyAgreementLeaf = built({ keyUsage: { bits: ['keyAgreement'], critical: true } }, {});
const qualifiedPoliciesCa = built(
  {},
  { policies: { critical: true, qualifier: true, anyPolicy: false } },
  {},
);
const plainPoliciesCa = built({}, { policies: { critical: true, qualifier: false, anyPolicy: false } }, {});
const criticalAuthorityKeyIdLeaf = built({ authorityKeyId: { critical: true, matches: true } }, {});
const nameConstrainedCa = built({}, { other: { name: 'nameConstraints', critical: true } }, {});
const otherEncodingNames = built({ issuerName: 'extra-spaces' }, { issuerName: 'printable-string' }, {});
const builtChains = [
  mislabelledLeaf,
  mislabelledUnderIntermediate,
  twiceBasicConstraintsCa,
  twiceExtendedKeyUsageLeaf,
  serverOnlyLeaf,
  anyUsageLeaf,
  netscapeServerLeaf,
  keyAgreementLeaf,
  qualifiedPoliciesCa,
  plainPoliciesCa,
  criticalAuthorityKeyIdLeaf,
  nameConstrainedCa,
  otherEncodingNames,
];
/** The device of a built chain: its leaf over TLS, the certificates between it and the root in the header. */
const builtDevice = (chain: BuiltChain) => ({
  ...leafCredentials(chain),
  header: chain.untrusted.length > 0 ? header(certificatesPem(...chain.untrusted)) : undefined,
});

const seed = adminSeed([
  { id: 't100', trusted: [{ pem: rootA.certificate.pem }] },
  { id: 't200', trusted: [{ pem: rootB.certificate.pem }] },
  { id: 't300', trusted: [{ pem: disabledRoot.certificate.pem, status: 'DISABLED' }] },
  { id: 't400', trusted: [{ pem: deletedRoot.certificate.pem }] },
  { id: 't500', trusted: [{ pem: tightRoot.certificate.pem }] },
  { id: 't600', trusted: [{ pem: rsaRoot.certificate.pem }] },
  {
    id: 't700',
    trusted: [{ pem: crlRoot.certificate.pem }],
    options: [{ category: 'configuration', key: 'crl.offline.check.enabled', value: 'true' }],
  },
  { id: 't800', trusted: [{ pem: longRoot.certificate.pem }] },
  { id: 't900', trusted: [{ pem: closedRoot.certificate.pem, auto: false }] },
  {
    id: 't1000',
    trusted: builtChains.map((chain, i) => ({ name: `t1000 CA ${i}`, pem: certificatesPem(chain.anchor) })),
  },
]);

// --- certificates of the corpus ---------------------------------------------------------------
const valid = (days = 365) => ({ notBefore: new Date(now - DAY), notAfter: new Date(now + days * DAY) });
const good = await device(interA, now, 'corpus-good-01');
const goodB = await device(interB, now, 'corpus-b-01');
const direct = await device(rootA, now, 'corpus-direct-01');
const other = await device(interA, now, 'corpus-other-01');
const selfSigned = await asDevice(
  await issueCertificate({
    subject: commonName('corpus-self-01'),
    basicConstraints: { ca: false },
    ...valid(),
  }),
);
const selfSignedCa = await asDevice(
  await issueCertificate({
    subject: commonName('corpus-self-ca-01'),
    basicConstraints: { ca: true },
    ...valid(),
  }),
);
const stranger = await device(await rootCa(now, 'Corpus Stranger Root'), now, 'corpus-stranger-01');
const brokenSignature = { ...direct, certPem: withBrokenSignature(direct.credential.certificate).pem };

// Two CAs that issued each other, and a leaf under one of them.
const loopKeysY = (await rootCa(now, 'Corpus Loop Y')).keys;
const loopSeedY = await rootCa(now, 'Corpus Loop Y', { keys: loopKeysY });
const loopX = await intermediateCa(loopSeedY, now, 'Corpus Loop X');
const loopY = await intermediateCa(loopX, now, 'Corpus Loop Y', { keys: loopKeysY });
const underLoop = await device(loopX, now, 'corpus-loop-01');

// Names of trusted CAs, other keys.
const attackerRoot = await rootCa(now, 'Corpus Attacker Root');
const forgedIntermediate = await intermediateCa(attackerRoot, now, 'Corpus Issuing CA');
const underForgedIntermediate = await device(forgedIntermediate, now, 'corpus-forged-01');
const forgedRoot = await rootCa(now, 'Corpus Root A');
const underForgedRoot = await device(forgedRoot, now, 'corpus-forged-root-01');

// Extensions and constraints.
const caLeaf = await asDevice(
  await issueCertificate({
    issuer: interA,
    subject: commonName('corpus-ca-leaf-01'),
    basicConstraints: { ca: true },
    keyUsage: CA_KEY_USAGE,
    ...valid(),
  }),
);
const tightIntermediate = await intermediateCa(tightRoot, now, 'Corpus Below PathLen 0');
const underTight = await device(tightIntermediate, now, 'corpus-pathlen-01');
const noBasicConstraintsCa = await issueCertificate({
  issuer: rootA,
  subject: commonName('Corpus CA Without basicConstraints', tests),
  basicConstraints: 'omit',
  keyUsage: CA_KEY_USAGE,
  ...valid(),
});
const underNoBasicConstraints = await device(noBasicConstraintsCa, now, 'corpus-no-bc-01');
const leafWithoutBasicConstraints = await asDevice(
  await issueCertificate({
    issuer: interA,
    subject: commonName('corpus-leaf-no-bc-01'),
    basicConstraints: 'omit',
    ...valid(),
  }),
);
const noCertSignCa = await issueCertificate({
  issuer: rootA,
  subject: commonName('Corpus CA Without keyCertSign', tests),
  basicConstraints: { ca: true },
  keyUsage: x509.KeyUsageFlags.digitalSignature,
  ...valid(),
});
const underNoCertSign = await device(noCertSignCa, now, 'corpus-no-certsign-01');
const unknownCritical = () => [new x509.Extension('1.3.6.1.4.1.55555.1', true, new Uint8Array([0x05, 0x00]))];
const criticalLeaf = await device(interA, now, 'corpus-critical-01', { extensions: unknownCritical() });
const criticalCa = await intermediateCa(rootA, now, 'Corpus Critical CA', { extensions: unknownCritical() });
const underCriticalCa = await device(criticalCa, now, 'corpus-critical-ca-01');

// Weak signatures and keys.
const md5Leaf = await device(rsaRoot, now, 'corpus-md5-01');
md5Leaf.certPem = resignWithMd5(md5Leaf.credential.certificate, rsaRoot).pem;
// An intermediate re-signed with MD5 keeps its key, which signs the leaf below it.
const md5CaBase = await intermediateCa(rsaRoot, now, 'Corpus MD5 CA');
const md5Ca: Credential = { ...md5CaBase, certificate: resignWithMd5(md5CaBase.certificate, rsaRoot) };
const underMd5Ca = await device(md5Ca, now, 'corpus-under-md5-01');
const sha1RsaLeaf = await device(rsaRoot, now, 'corpus-sha1-rsa-01', { hash: 'SHA-1' });
const sha1EcLeaf = await device(interA, now, 'corpus-sha1-ec-01', { hash: 'SHA-1' });
const sha1Ca = await intermediateCa(rsaRoot, now, 'Corpus SHA-1 CA', { hash: 'SHA-1' });
const underSha1Ca = await device(sha1Ca, now, 'corpus-under-sha1-01');
const rsa1024Leaf = await device(rsaRoot, now, 'corpus-rsa1024-01', { keySpec: { type: 'rsa', bits: 1024 } });
const rsa1024Ca = await intermediateCa(rsaRoot, now, 'Corpus RSA-1024 CA', {
  keySpec: { type: 'rsa', bits: 1024 },
});
const underRsa1024Ca = await device(rsa1024Ca, now, 'corpus-under-rsa1024-01');

// Validity.
const expiredLeaf = await device(interA, now, 'corpus-expired-01', {
  notBefore: new Date(now - 30 * DAY),
  notAfter: new Date(now - DAY),
});
const futureLeaf = await device(interA, now, 'corpus-future-01', {
  notBefore: new Date(now + DAY),
  notAfter: new Date(now + 30 * DAY),
});
const expiredCa = await intermediateCa(rootA, now, 'Corpus Expired CA', {
  notBefore: new Date(now - 30 * DAY),
  notAfter: new Date(now - DAY),
});
const underExpiredCa = await device(expiredCa, now, 'corpus-under-expired-01');

// Long chains: the root, then 98 intermediates, each issued by the one before (with one key:
// the names and signatures make the chain, and a key each would take most of this file's time).
const longChain: Credential[] = [];
const longKeys = await generateKeyPair();
let longIssuer = longRoot;
for (let n = 1; n <= 98; n++) {
  longIssuer = await intermediateCa(longIssuer, now, `L${n}`, { keys: longKeys });
  longChain.push(longIssuer);
}
const pemsDown = (count: number) =>
  longChain
    .slice(0, count)
    .reverse()
    .map((c) => c.certificate.pem);
const leaf11 = await device(longChain[8]!, now, 'corpus-11-01');
const leaf100 = await device(longChain[97]!, now, 'corpus-100-01');
const header11 = header(leaf11.certPem, ...pemsDown(9), longRoot.certificate.pem);
const header100 = header(leaf100.certPem, ...pemsDown(98), longRoot.certificate.pem);

// Anchors that changed, revocation, registration.
const underDisabled = await device(disabledRoot, now, 'corpus-disabled-01');
const underDeleted = await device(deletedRoot, now, 'corpus-deleted-01');
const revokedLeaf = await device(crlRoot, now, 'corpus-revoked-01');
const crlIntermediate = await intermediateCa(crlRoot, now, 'Corpus Revoked CA');
const underRevokedCa = await device(crlIntermediate, now, 'corpus-under-revoked-01');
const unregistered = await device(closedRoot, now, 'corpus-unregistered-01');

// A CA whose key nobody can read, named like the issuer of a leaf an attacker holds.
const weirdName = [{ CN: ['Corpus Weird CA'] }];
const unreadableKeyCaDer = await certificateWithUnreadableKey(rootA, weirdName, now);
const weirdNamedIssuer = await issueCertificate({
  issuer: attackerRoot,
  subject: weirdName,
  basicConstraints: { ca: true },
  keyUsage: CA_KEY_USAGE,
  ...valid(),
});
const underWeirdName = await device(weirdNamedIssuer, now, 'corpus-weird-01');

// A leaf whose CN, a UniversalString (UTF-32), holds code points beyond Unicode (U+110000): the
// CN's 16 bytes of PrintableString edited in place, lengths unchanged. It once escaped as a
// RangeError (500).
const ucs4Cn = 'corpus-ucs4-0001';
const ucs4Leaf = (await device(interA, now, ucs4Cn)).credential.certificate.der;
const printableCn = Buffer.concat([Buffer.from([0x13, 0x10]), Buffer.from(ucs4Cn)]);
const beyondUnicodeDer = Buffer.from(ucs4Leaf);
const cnAt = beyondUnicodeDer.indexOf(printableCn);
if (cnAt < 0) throw new Error('the CN is not the PrintableString expected');
Buffer.from(`1c10${'00110000'.repeat(4)}`, 'hex').copy(beyondUnicodeDer, cnAt);

// Device IDs.
const withSubject = (cn: string, subject: JsonName) => device(interA, now, cn, { subject });
const cnCases: [string, Promise<TestDevice>][] = [
  ['an empty CN', withSubject('', [{ CN: [''] }])],
  ['no CN at all (only O)', withSubject('', [{ O: ['Corpus'] }])],
  ['two CNs', withSubject('', [{ CN: ['corpus-two-a'] }, { CN: ['corpus-two-b'] }])],
  ['two CNs in one RDN', withSubject('', [{ CN: ['corpus-rdn-a', 'corpus-rdn-b'] }])],
  ["a CN with ':'", device(interA, now, 'corpus:colon')],
  ["a CN with '/'", device(interA, now, 'corpus/slash')],
  ["a CN with '..'", device(interA, now, 'corpus..dots')],
  // @peculiar/x509 reads JSON names with RFC 4514 escapes: a doubled backslash is one in the CN.
  ["a CN with '\\'", device(interA, now, 'corpus\\\\backslash')],
  ['a CN with a control character (U+0001)', device(interA, now, 'corpus\u0001control')],
  ['a CN with a newline', device(interA, now, 'corpus\nCN=admin')],
  ['a CN with a space', device(interA, now, 'corpus space')],
  ['a CN of 65 characters', device(interA, now, 'c'.repeat(65))],
  ['a CN of 10,000 characters', device(interA, now, 'c'.repeat(10_000))],
];
const cn64 = await device(interA, now, 'd'.repeat(64));
const cnComma = await device(interA, now, 'corpus,comma-01');

// --- expected answers ---------------------------------------------------------------
interface Expected {
  status: number;
  error?: string;
  message?: string | RegExp;
  /** The rule the decision log records; undefined when the request never reaches the route. */
  rule?: string;
  /** For 200: the token's subject. */
  sub?: string;
}
const parse = (reason: string): Expected => ({
  status: 400,
  error: 'Device Certificates/Bad Request',
  message: `Cannot parse X509 certificate. : ${reason}`,
  rule: 'parse',
});
const chain = (rule: string): Expected => ({
  status: 401,
  error: 'security/Unauthorized',
  message: 'Invalid certificate chain!',
  rule,
});
const deviceId: Expected = {
  status: 422,
  error: 'Invalid Data',
  message: 'Cannot process certificate data.',
  rule: 'device-id',
};
const accepted = (cn: string): Expected => ({ status: 200, sub: `device_${cn}` });
const tooLarge: Expected = {
  status: 431,
  error: 'general/Request Header Fields Too Large',
  message: 'Request headers are larger than 65536 bytes (--max-header-size).',
};

type Client = Parameters<typeof requestToken>[1];
interface Case {
  category: string;
  name: string;
  client: Client;
  expected: Expected;
  /** Sent over real TLS: Node's HTTP parser answers it, before the app (no inject can show it). */
  socket?: boolean;
  /** Over real TLS to a server with --max-header-size 262144, for headers too large for the default. */
  bigHeaders?: boolean;
}
const tls = (d: Pick<TestDevice, 'certPem' | 'keyPem'>, chainHeader?: string, ciphers?: string): Client => ({
  cert: d.certPem,
  key: d.keyPem,
  ...(chainHeader === undefined ? {} : { chainHeader }),
  ...(ciphers ? { ciphers } : {}),
});
/** Lets the client present what OpenSSL calls too weak (MD5, SHA-1); the server must refuse it itself. */
const WEAK = 'DEFAULT@SECLEVEL=0';
const leafB64 = good.credential.certificate.base64;
const pemOf = (label: string, base64: string) => `-----BEGIN ${label}----- ${base64} -----END ${label}-----`;
const interAHeader = header(interA.certificate.pem);
const keyBase64 = good.keyPem.replace(/-----[A-Z ]+-----|\s/g, '');

const cases: Case[] = [
  // Text and DER that are no certificate: 400.
  {
    category: 'parse',
    name: 'truncated base64',
    client: tls(good, pemOf('CERTIFICATE', leafB64.slice(0, 301))),
    expected: parse('truncated base64 content'),
  },
  {
    category: 'parse',
    name: 'corrupt base64 (a * inside)',
    client: tls(good, pemOf('CERTIFICATE', `${leafB64.slice(0, 100)}*${leafB64.slice(101)}`)),
    expected: parse('invalid base64 content'),
  },
  {
    category: 'parse',
    name: 'truncated DER',
    client: tls(
      good,
      pemOf('CERTIFICATE', good.credential.certificate.der.subarray(0, 300).toString('base64')),
    ),
    expected: parse('malformed DER (truncated content)'),
  },
  {
    category: 'parse',
    name: 'DER with 3 trailing bytes',
    client: tls(
      good,
      pemOf(
        'CERTIFICATE',
        Buffer.concat([good.credential.certificate.der, Buffer.from([1, 2, 3])]).toString('base64'),
      ),
    ),
    expected: parse('3 trailing bytes after the certificate'),
  },
  {
    category: 'parse',
    name: 'indefinite-length BER',
    client: tls(
      good,
      pemOf('CERTIFICATE', Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00]).toString('base64')),
    ),
    expected: parse('malformed DER (indefinite length is not DER)'),
  },
  {
    category: 'parse',
    name: '300 bytes of 0x41 as a certificate',
    client: tls(good, pemOf('CERTIFICATE', Buffer.alloc(300, 0x41).toString('base64'))),
    expected: parse('malformed DER (expected tag 0x30, found 0x41)'),
  },
  {
    category: 'parse',
    name: 'wrong PEM label (X509 CRL)',
    client: tls(good, pemOf('X509 CRL', leafB64)),
    expected: parse('found a X509 CRL block where a CERTIFICATE was expected'),
  },
  {
    category: 'parse',
    name: 'BEGIN and END labels differ',
    client: tls(good, `-----BEGIN CERTIFICATE----- ${leafB64} -----END PUBLIC KEY-----`),
    expected: parse('PEM block BEGIN CERTIFICATE ends with END PUBLIC KEY'),
  },
  {
    category: 'parse',
    name: 'a private key pasted as the chain',
    client: tls(good, good.keyPem.replace(/\n/g, ' ')),
    expected: parse('found a PRIVATE KEY block where a CERTIFICATE was expected'),
  },
  {
    category: 'parse',
    name: 'a private key labelled CERTIFICATE',
    client: tls(good, pemOf('CERTIFICATE', keyBase64)),
    expected: parse('not a certificate structure'),
  },
  {
    category: 'parse',
    name: 'a public key',
    client: tls(good, pemOf('PUBLIC KEY', keyBase64)),
    expected: parse('found a PUBLIC KEY block where a CERTIFICATE was expected'),
  },
  {
    category: 'parse',
    name: 'a CSR',
    client: tls(good, pemOf('CERTIFICATE REQUEST', leafB64)),
    expected: parse('found a CERTIFICATE REQUEST block where a CERTIFICATE was expected'),
  },
  {
    category: 'parse',
    name: 'no END line',
    client: tls(good, `-----BEGIN CERTIFICATE----- ${leafB64}`),
    expected: parse('incomplete PEM block (no matching END line)'),
  },
  {
    category: 'parse',
    name: "the docs' typo: END line without its dashes",
    client: tls(good, `-----BEGIN CERTIFICATE----- ${leafB64} -----END CERTIFICATE`),
    expected: parse('incomplete PEM block (no matching END line)'),
  },
  {
    category: 'parse',
    name: 'an empty PEM block',
    client: tls(good, '-----BEGIN CERTIFICATE----- -----END CERTIFICATE-----'),
    expected: parse('empty base64 content'),
  },
  {
    category: 'parse',
    name: 'a lower-case label',
    client: tls(good, pemOf('certificate', leafB64)),
    expected: parse('malformed PEM label'),
  },
  {
    category: 'parse',
    name: 'bare base64 DER without PEM lines',
    client: tls(good, leafB64),
    expected: parse('unexpected text outside PEM blocks'),
  },
  {
    category: 'parse',
    name: 'text between two certificates',
    client: tls(good, `${header(good.certPem)} and ${interAHeader}`),
    expected: parse('unexpected text outside PEM blocks'),
  },
  {
    category: 'parse',
    name: 'broken URL encoding',
    client: tls(good, '%E0%A4%A'),
    expected: parse('invalid URL encoding'),
  },
  {
    category: 'parse',
    name: 'a URL-encoded NUL byte',
    client: tls(good, `%00${encodeURIComponent(good.certPem)}`),
    expected: parse('unexpected text outside PEM blocks'),
  },
  {
    category: 'parse',
    name: 'a CN in a UniversalString beyond Unicode',
    client: tls(good, pemOf('CERTIFICATE', beyondUnicodeDer.toString('base64'))),
    expected: parse('malformed DER (UniversalString code point 110000 is beyond Unicode)'),
  },
  {
    category: 'parse',
    name: 'an issuer whose public key cannot be read',
    client: tls(underWeirdName, pemOf('CERTIFICATE', unreadableKeyCaDer.toString('base64'))),
    // In parentheses, OpenSSL's own words: "error:03000072:digital envelope routines::decode
    // error" from OpenSSL 3.0 (Node 20), "Failed to read asymmetric key" from 3.5 (Node 24).
    expected: {
      ...parse('unsupported or malformed public key'),
      message: /^Cannot parse X509 certificate\. : unsupported or malformed public key \(.+\)$/,
    },
  },

  // Chains that do not lead to an enabled anchor under the platform's rules: 401.
  {
    category: 'chain',
    name: 'no client certificate in the TLS handshake',
    client: {},
    expected: chain('certificate-present'),
  },
  {
    category: 'chain',
    name: 'X-Ssl-Cert-Chain without a TLS client certificate',
    client: { chainHeader: header(good.certPem, interA.certificate.pem) },
    expected: chain('certificate-present'),
  },
  {
    category: 'chain',
    name: "the header's leaf is another device's",
    client: tls(good, header(other.certPem, interA.certificate.pem)),
    expected: chain('leaf-matches-tls'),
  },
  { category: 'chain', name: 'an untrusted root', client: tls(stranger), expected: chain('trusted-anchor') },
  {
    category: 'chain',
    name: 'a self-signed leaf',
    client: tls(selfSigned),
    expected: chain('trusted-anchor'),
  },
  {
    category: 'chain',
    name: 'a self-signed leaf claiming CA:true',
    client: tls(selfSignedCa),
    expected: chain('trusted-anchor'),
  },
  {
    category: 'chain',
    name: 'a loop: two CAs that issued each other',
    client: tls(underLoop, header(loopX.certificate.pem, loopY.certificate.pem)),
    expected: chain('trusted-anchor'),
  },
  {
    category: 'chain',
    name: "an intermediate from another tenant (t100's for a t200 leaf)",
    client: tls(goodB, interAHeader),
    expected: chain('trusted-anchor'),
  },
  {
    category: 'chain',
    name: "a forged intermediate with t100's intermediate's name",
    client: tls(underForgedIntermediate, header(forgedIntermediate.certificate.pem)),
    expected: chain('trusted-anchor'),
  },
  {
    category: 'chain',
    name: "a forged root with t100's root's name, sent along",
    client: tls(underForgedRoot, header(forgedRoot.certificate.pem)),
    expected: chain('trusted-anchor'),
  },
  {
    category: 'chain',
    name: "the leaf's signature altered",
    client: tls(brokenSignature),
    // Node completes the TLS chain with the trusted root it found in its CA list: the
    // leaf names a trusted anchor, and its signature is what fails.
    expected: chain('signature'),
  },
  {
    category: 'chain',
    name: 'a leaf with CA:true',
    client: tls(caLeaf, interAHeader),
    expected: chain('leaf-not-ca'),
  },
  {
    category: 'chain',
    name: 'pathLen 0 exceeded',
    client: tls(underTight, header(tightIntermediate.certificate.pem)),
    expected: chain('path-length'),
  },
  {
    category: 'chain',
    name: 'an intermediate without basicConstraints',
    client: tls(underNoBasicConstraints, header(noBasicConstraintsCa.certificate.pem)),
    expected: chain('issuer-is-ca'),
  },
  {
    category: 'chain',
    name: 'an intermediate whose keyUsage lacks keyCertSign',
    client: tls(underNoCertSign, header(noCertSignCa.certificate.pem)),
    expected: chain('issuer-key-usage'),
  },
  {
    category: 'chain',
    name: 'an MD5-signed leaf',
    client: tls(md5Leaf, undefined, WEAK),
    expected: chain('signature-algorithm'),
  },
  {
    category: 'chain',
    name: 'an MD5-signed intermediate',
    client: tls(underMd5Ca, header(md5Ca.certificate.pem)),
    expected: chain('signature-algorithm'),
  },
  {
    category: 'chain',
    name: 'a SHA-1 (RSA) signed leaf',
    client: tls(sha1RsaLeaf, undefined, WEAK),
    expected: chain('signature-algorithm'),
  },
  {
    category: 'chain',
    name: 'a SHA-1 (ECDSA) signed leaf',
    client: tls(sha1EcLeaf, interAHeader, WEAK),
    expected: chain('signature-algorithm'),
  },
  {
    category: 'chain',
    name: 'a SHA-1 signed intermediate',
    client: tls(underSha1Ca, header(sha1Ca.certificate.pem)),
    expected: chain('signature-algorithm'),
  },
  // OpenSSL 3.5 (Node 24) will not even present a 1024-bit key at its default security level.
  {
    category: 'chain',
    name: 'an RSA-1024 leaf',
    client: tls(rsa1024Leaf, undefined, WEAK),
    expected: chain('key-size'),
  },
  {
    category: 'chain',
    name: 'an RSA-1024 intermediate',
    client: tls(underRsa1024Ca, header(rsa1024Ca.certificate.pem)),
    expected: chain('key-size'),
  },
  {
    category: 'chain',
    name: 'an unknown critical extension on the leaf',
    client: tls(criticalLeaf, interAHeader),
    expected: chain('critical-extensions'),
  },
  {
    category: 'chain',
    name: 'an unknown critical extension on the intermediate',
    client: tls(underCriticalCa, header(criticalCa.certificate.pem)),
    expected: chain('critical-extensions'),
  },
  ...builtCases([
    [
      'chain',
      'an ECDSA signature labelled SHA256withRSA (leaf)',
      mislabelledLeaf,
      chain('signature-algorithm'),
    ],
    [
      'chain',
      'an ECDSA signature labelled SHA256withRSA, under an RSA intermediate',
      mislabelledUnderIntermediate,
      chain('signature-algorithm'),
    ],
    [
      'chain',
      'a leaf for TLS servers only (critical extendedKeyUsage serverAuth)',
      serverOnlyLeaf,
      chain('leaf-extended-key-usage'),
    ],
    [
      'chain',
      'a leaf whose netscapeCertType lacks SSL client',
      netscapeServerLeaf,
      chain('leaf-netscape-cert-type'),
    ],
    ['chain', 'a leaf whose keyUsage is keyAgreement only', keyAgreementLeaf, chain('leaf-key-usage')],
    [
      'chain',
      'a critical certificatePolicies with a CPS qualifier (intermediate)',
      qualifiedPoliciesCa,
      chain('certificate-policies'),
    ],
    [
      'chain',
      'a critical authorityKeyIdentifier on the leaf',
      criticalAuthorityKeyIdLeaf,
      chain('critical-extensions'),
    ],
    ['chain', 'a critical nameConstraints (intermediate)', nameConstrainedCa, chain('critical-extensions')],
    [
      'parse',
      'an intermediate with two basicConstraints',
      twiceBasicConstraintsCa,
      parse('the basicConstraints extension (2.5.29.19) appears more than once'),
    ],
    [
      'parse',
      'a leaf with two extendedKeyUsage',
      twiceExtendedKeyUsageLeaf,
      parse('the extendedKeyUsage extension (2.5.29.37) appears more than once'),
    ],
    ['accepted', 'a leaf whose extendedKeyUsage is anyExtendedKeyUsage', anyUsageLeaf, 'accepted'],
    [
      'accepted',
      'a critical certificatePolicies without qualifiers (intermediate)',
      plainPoliciesCa,
      'accepted',
    ],
    [
      'accepted',
      'issuer names in another string type, case and spacing than the issuers wrote them',
      otherEncodingNames,
      'accepted',
    ],
  ]),
  {
    category: 'chain',
    name: 'an expired leaf',
    client: tls(expiredLeaf, interAHeader),
    expected: chain('not-expired'),
  },
  {
    category: 'chain',
    name: 'a leaf not valid yet',
    client: tls(futureLeaf, interAHeader),
    expected: chain('not-yet-valid'),
  },
  {
    category: 'chain',
    name: 'an expired intermediate',
    client: tls(underExpiredCa, header(expiredCa.certificate.pem)),
    expected: chain('not-expired'),
  },
  {
    category: 'chain',
    name: '11 certificates',
    client: tls(leaf11, header11),
    expected: chain('chain-length'),
  },
  {
    category: 'chain',
    name: '100 certificates (with --max-header-size 262144)',
    client: tls(leaf100, header100),
    expected: chain('chain-length'),
    bigHeaders: true,
  },
  {
    category: 'chain',
    name: 'a DISABLED anchor',
    client: tls(underDisabled),
    expected: chain('anchor-enabled'),
  },
  {
    category: 'chain',
    name: 'a deleted anchor',
    client: tls(underDeleted),
    expected: chain('trusted-anchor'),
  },
  {
    category: 'chain',
    name: 'a revoked leaf serial',
    client: tls(revokedLeaf),
    expected: chain('not-revoked'),
  },
  {
    category: 'chain',
    name: 'a revoked intermediate serial',
    client: tls(underRevokedCa, header(crlIntermediate.certificate.pem)),
    expected: chain('not-revoked'),
  },

  // The leaf's CN cannot name a device: 422.
  ...(await Promise.all(
    cnCases.map(async ([name, d]) => ({
      category: 'device id',
      name,
      client: tls(await d, interAHeader),
      expected: deviceId,
    })),
  )),
  {
    category: 'device id',
    name: 'an unknown device where auto-registration is off',
    client: tls(unregistered),
    expected: {
      status: 422,
      error: 'Auto registeration is failed for device/Unprocessable Entity',
      message: 'Cannot process certificate data.',
      rule: 'registration',
    },
  },

  // Headers too large for --max-header-size: refused by Node's parser, answered by the clientError handler.
  {
    category: 'size',
    name: 'a header of 1 MB',
    client: tls(good, 'A'.repeat(1024 * 1024)),
    expected: tooLarge,
    socket: true,
  },
  {
    category: 'size',
    name: '100 certificates at the default --max-header-size',
    client: tls(leaf100, header100),
    expected: tooLarge,
    socket: true,
  },

  // Odd but valid: accepted.
  {
    category: 'accepted',
    name: 'a duplicated chain',
    client: tls(
      good,
      header(
        good.certPem,
        interA.certificate.pem,
        interA.certificate.pem,
        rootA.certificate.pem,
        rootA.certificate.pem,
      ),
    ),
    expected: accepted('corpus-good-01'),
  },
  {
    category: 'accepted',
    name: 'a reversed chain (root first)',
    client: tls(good, header(rootA.certificate.pem, interA.certificate.pem, good.certPem)),
    expected: accepted('corpus-good-01'),
  },
  {
    category: 'accepted',
    name: 'a leaf without basicConstraints (RFC 5280 lets end entities omit it)',
    client: tls(leafWithoutBasicConstraints, interAHeader),
    expected: accepted('corpus-leaf-no-bc-01'),
  },
  {
    category: 'accepted',
    name: 'a CN of exactly 64 characters',
    client: tls(cn64, interAHeader),
    expected: accepted('d'.repeat(64)),
  },
  {
    category: 'accepted',
    name: 'a CN with a comma (OpenSSL escapes it when printing; the DER holds a plain comma)',
    client: tls(cnComma, interAHeader),
    expected: accepted('corpus,comma-01'),
  },
  {
    category: 'accepted',
    name: 'a header of spaces only',
    client: tls(direct, '     '),
    expected: accepted('corpus-direct-01'),
  },
];

/** Cases of chains made by the builder: the leaf over TLS, its issuers below the root in the header. */
function builtCases(list: [string, string, BuiltChain, Expected | 'accepted'][]): Case[] {
  return list.map(([category, name, chain, expected]) => {
    const device = builtDevice(chain);
    return {
      category,
      name,
      client: tls(device, device.header),
      expected: expected === 'accepted' ? accepted(chain.certificates[0]!.name.cn) : expected,
    };
  });
}

t.test('the hostile-certificate corpus', async (t) => {
  const server = await startServer(t, { seed });
  const socket = await startServer(t, { seed, listen: true });
  const big = await startServer(t, { seed, listen: true, config: { limits: { maxHeaderSize: 262_144 } } });
  for (const target of [server, socket, big]) await prepare(t, target);

  const counts = new Map<string, number>();
  for (const entry of cases) {
    counts.set(entry.category, (counts.get(entry.category) ?? 0) + 1);
    t.test(`${entry.category}: ${entry.name}`, async (t) => {
      const target = entry.bigHeaders ? big : entry.socket ? socket : server;
      const before = target.app.services.decisions.list({ limit: 1 })[0]?.id;
      const response = await requestToken(target, entry.client);
      const { expected } = entry;
      if (expected.status === 200) {
        t.equal(response.status, 200, `accepted${response.status === 200 ? '' : `: ${response.text}`}`);
        const token = (response.json() as { accessToken: string }).accessToken;
        t.equal(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub, expected.sub);
        return;
      }
      assertError(t, response, expected.status, expected.error!, expected.message!);
      const decision = target.app.services.decisions.list({ limit: 1 })[0];
      if (expected.rule === undefined) {
        t.equal(decision?.id, before, 'refused before any route: no decision recorded');
      } else {
        t.not(decision?.id, before, 'a decision was recorded');
        t.match(
          decision,
          { outcome: 'refused', status: expected.status, rule: expected.rule },
          `rule ${expected.rule}`,
        );
      }
      t.notMatch(response.text, keyBase64.slice(20, 60), 'no key material in the answer');
    });
  }
  t.test('size of the corpus', async (t) => {
    t.ok(cases.length >= 40, `${cases.length} cases: ${[...counts].map(([c, n]) => `${c} ${n}`).join(', ')}`);
    const health = await requestToken(server, tls(good, interAHeader));
    t.equal(health.status, 200, 'a good device still gets its token after the whole corpus');
  });
});

/** The changes a corpus needs at run time: a deleted anchor and CRL entries. */
async function prepare(t: Test, server: TestServer) {
  const deleted = await admin(server, {
    method: 'DELETE',
    path: `/tenant/tenants/t400/trusted-certificates/${deletedRoot.certificate.fingerprint}`,
    auth: basic('t400/admin'),
  });
  t.equal(deleted.status, 204, 'the t400 anchor is deleted');
  const revoked = await admin(server, {
    method: 'PUT',
    path: '/tenant/trusted-certificates/settings/crl',
    auth: basic('t700/admin'),
    json: {
      crls: [
        { serialNumberInHex: revokedLeaf.credential.certificate.serialHex },
        { serialNumberInHex: crlIntermediate.certificate.serialHex },
      ],
    },
  });
  t.equal(revoked.status, 204, 't700 revokes a leaf and an intermediate');
}
