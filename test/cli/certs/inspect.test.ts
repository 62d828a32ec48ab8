import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { commonName, createServerCertificate } from '../../../src/pki/certificate-factory.js';
import { assertFailure, assertSuccess, runCli, tempDir, writeCredential } from '../../helpers/cli.js';
import { TEST_NOW } from '../../helpers/clock.js';
import { DAY, device, intermediateCa, rootCa } from '../../helpers/pki.js';

const dir = tempDir(t);
const now = TEST_NOW;
const root = await rootCa(now, 'Inspect Root CA', { pathLen: 1 });
const issuing = await intermediateCa(root, now, 'Inspect Issuing CA');
const leaf = await device(issuing, now, 'inspect-device');
const stranger = await rootCa(now, 'Stranger CA');
const expired = await device(issuing, now, 'old-device', {
  notBefore: new Date(now - 30 * DAY),
  notAfter: new Date(now - DAY),
});
const server = await createServerCertificate({
  issuer: root,
  subject: commonName('server.example.test'),
  names: ['server.example.test', '10.1.2.3'],
  notBefore: new Date(now - DAY),
  notAfter: new Date(now + DAY),
});
await writeCredential(dir, 'device', leaf.credential);
await writeCredential(dir, 'expired', expired.credential);
await writeCredential(dir, 'server', server);
writeFileSync(join(dir, 'broken-chain.pem'), leaf.certPem + stranger.certificate.pem);
writeFileSync(join(dir, 'device.der'), leaf.credential.certificate.der);
writeFileSync(join(dir, 'with-key.pem'), leaf.certPem + leaf.keyPem);
writeFileSync(join(dir, 'garbage.bin'), Buffer.from([1, 2, 3, 4]));
const cli = (...args: string[]) => runCli(args, { cwd: dir });

t.test(
  'each certificate in the platform’s formats, its extensions, and each link of the chain',
  async (t) => {
    const result = await cli('certs', 'inspect', 'device-chain.pem');
    assertSuccess(t, result);
    const out = result.stdout;
    t.match(out, /^device-chain\.pem: 3 certificates \(PEM\)\n/);
    const c = leaf.credential.certificate;
    t.match(
      out,
      [
        'certificate 1',
        '  subject:       CN=inspect-device',
        '  issuer:        O=c8y-mtls-mock tests, CN=Inspect Issuing CA',
        `  serialNumber:  ${c.serialDecimal} (hex ${c.serialHex})`,
        `  fingerprint:   ${c.fingerprint}`,
        '  algorithmName: SHA256withECDSA',
        '  version:       3',
        '  public key:    EC P-256',
        `  notBefore:     ${new Date(c.notBefore).toISOString()}`,
        `  notAfter:      ${new Date(c.notAfter).toISOString()}`,
        '  now:           valid',
        '  extensions:',
        '    basicConstraints (critical): CA:false',
        '    keyUsage (critical): digitalSignature, nonRepudiation, keyEncipherment',
        '    extendedKeyUsage: clientAuth',
      ].join('\n'),
    );
    t.match(out, /subjectKeyIdentifier: ([0-9a-f]{2}:){19}[0-9a-f]{2}\n/);
    t.match(out, /basicConstraints \(critical\): CA:true, pathlen:1\n/, 'the root’s path length');
    t.match(out, /keyUsage \(critical\): digitalSignature, keyCertSign, cRLSign\n/);
    t.match(
      out,
      [
        'chain:',
        "  1 -> 2: verifies: 'CN=inspect-device' is signed by 'O=c8y-mtls-mock tests, CN=Inspect Issuing CA'",
        "  2 -> 3: verifies: 'O=c8y-mtls-mock tests, CN=Inspect Issuing CA' is signed by 'O=c8y-mtls-mock tests, CN=Inspect Root CA'",
        '  3: verifies: self-signed; its signature verifies',
      ].join('\n'),
    );
  },
);

t.test('a link that does not verify, an issuer not in the file, expiry and names', async (t) => {
  const broken = await cli('certs', 'inspect', 'broken-chain.pem');
  assertSuccess(t, broken);
  t.match(
    broken.stdout,
    /1 -> 2: DOES NOT VERIFY: its issuer 'O=c8y-mtls-mock tests, CN=Inspect Issuing CA' is not the next certificate 'O=c8y-mtls-mock tests, CN=Stranger CA'; the signature does not verify with the next certificate’s key\n/,
  );
  const alone = await cli('certs', 'inspect', 'expired.pem');
  t.match(alone.stdout, /now: {11}expired\n/);
  t.match(
    alone.stdout,
    /1: not checked: issued by 'O=c8y-mtls-mock tests, CN=Inspect Issuing CA', which is not in this file\n/,
  );
  const names = await cli('certs', 'inspect', 'server.pem');
  t.match(names.stdout, /subjectAltName: DNS:server\.example\.test, IP:10\.1\.2\.3\n/);
  t.match(names.stdout, /extendedKeyUsage: serverAuth\n/);
});

t.test('DER files, keys in the file and --key, --json', async (t) => {
  const der = await cli('certs', 'inspect', 'device.der');
  assertSuccess(t, der);
  t.match(der.stdout, /^device\.der: 1 certificate \(DER\)\n/);
  const withKey = await cli('certs', 'inspect', 'with-key.pem');
  t.match(withKey.stdout, /private key \(EC P-256\): matches certificate 1\n$/);
  const matched = await cli('certs', 'inspect', 'device.pem', '--key', 'device.key', '--json');
  assertSuccess(t, matched);
  const report = JSON.parse(matched.stdout);
  const c = leaf.credential.certificate;
  t.match(report, {
    file: 'device.pem',
    format: 'PEM',
    certificates: [
      {
        subject: 'CN=inspect-device',
        serialNumber: c.serialDecimal,
        serialNumberHex: c.serialHex,
        fingerprint: c.fingerprint,
        algorithmName: 'SHA256withECDSA',
        validNow: 'valid',
      },
    ],
    chain: [{ from: 1, status: 'unchecked' }],
  });
  t.same(report.certificates[0].extensions[0], {
    name: 'basicConstraints',
    oid: '2.5.29.19',
    critical: true,
    value: 'CA:false',
  });
});

t.test('errors', async (t) => {
  assertFailure(
    t,
    await cli('certs', 'inspect', 'missing.pem'),
    /cannot read file missing\.pem: no such file/,
  );
  assertFailure(
    t,
    await cli('certs', 'inspect', 'garbage.bin'),
    /garbage\.bin is not a certificate \(neither PEM nor DER\)/,
  );
  assertFailure(
    t,
    await cli('certs', 'inspect', 'device.pem', '--key', 'expired.key'),
    /the key in expired\.key does not match the certificate 'CN=inspect-device' in device\.pem \(their public keys differ\)/,
  );
  assertFailure(
    t,
    await cli('certs', 'inspect', 'device.key'),
    /device\.key holds no certificate \(found PRIVATE KEY\)/,
  );
});
