import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { Certificate } from '../../../src/pki/certificate.js';
import { decodeCertificateBlocks } from '../../../src/pki/pem.js';
import type { Seed } from '../../../src/seed/seed.js';
import { assertFailure, assertSuccess, modeOf, runCli, runTool, tempDir } from '../../helpers/cli.js';
import { TEST_NOW } from '../../helpers/clock.js';
import { header } from '../../helpers/pki.js';
import { startServer } from '../../helpers/server.js';

const dir = tempDir(t);
const cli = (...args: string[]) => runCli(args, { cwd: dir });
const file = (name: string) => join(dir, name);
const certificates = (name: string) =>
  decodeCertificateBlocks(readFileSync(file(name), 'utf8')).map((der) => Certificate.fromDer(der));
const openssl = (...args: string[]) => runTool('openssl', args, { cwd: dir });
const extension = async (name: string, ext: string) =>
  (await openssl('x509', '-in', name, '-noout', '-ext', ext)).stdout;
// The commands run on the fixed TestClock; openssl verify checks the dates at that instant too.
const AT = ['-attime', String(TEST_NOW / 1000)];

// One chain for the whole file: root (pathlen 1) -> intermediate -> device.
const root = await cli('certs', 'ca', '--cn', 'Acme Root CA', '--org', 'Acme', '--path-len', '1');
const intermediate = await cli(
  'certs',
  'intermediate',
  '--ca',
  'acme-root-ca.pem',
  '--ca-key',
  'acme-root-ca.key',
);
const device = await cli(
  'certs',
  'device',
  '--cn',
  'device-0001',
  '--ca',
  'device-issuing-ca-chain.pem',
  '--ca-key',
  'device-issuing-ca.key',
);

t.test(
  'certs ca: a self-signed root CA with CA:true, keyCertSign, cRLSign and the path length',
  async (t) => {
    assertSuccess(t, root);
    t.match(root.stdout, /^wrote acme-root-ca\.pem\s+root CA 'O=Acme, CN=Acme Root CA' \(EC P-256\)/m);
    t.match(root.stdout, /^wrote acme-root-ca\.key\s+its private key \(readable by the owner only\)$/m);
    t.equal(modeOf(file('acme-root-ca.key')), 0o600, 'the key is readable by the owner only');
    t.equal(modeOf(file('acme-root-ca.pem')), 0o644, 'the certificate is readable by all');
    const [ca] = certificates('acme-root-ca.pem');
    t.ok(ca!.selfIssued, 'self-signed');
    t.match(await extension('acme-root-ca.pem', 'basicConstraints'), /critical\s+CA:TRUE, pathlen:1/);
    t.match(
      await extension('acme-root-ca.pem', 'keyUsage'),
      /critical\s+Digital Signature, Certificate Sign, CRL Sign/,
    );
    t.match(root.stdout, new RegExp(`fingerprint ${ca!.fingerprint}, serialNumber ${ca!.serialDecimal}`));
  },
);

t.test('certs intermediate and device: a chain that openssl verify accepts', async (t) => {
  assertSuccess(t, intermediate);
  assertSuccess(t, device);
  t.match(device.stdout, /^wrote device-0001\.pem\s+device certificate 'CN=device-0001' \(EC P-256\)/m);
  t.match(
    device.stdout,
    /^wrote device-0001-chain\.pem\s+the chain, leaf first: 'device-0001' < 'Device Issuing CA' < 'Acme Root CA'$/m,
  );
  t.equal(modeOf(file('device-0001.key')), 0o600);
  t.equal(modeOf(file('device-issuing-ca.key')), 0o600);
  t.same(
    certificates('device-0001-chain.pem').map((c) => c.commonNames[0]),
    ['device-0001', 'Device Issuing CA', 'Acme Root CA'],
    'the chain file holds the device, then its issuers up to the root',
  );
  const verify = await openssl(
    'verify',
    ...AT,
    '-CAfile',
    'acme-root-ca.pem',
    '-untrusted',
    'device-issuing-ca.pem',
    'device-0001.pem',
  );
  t.equal(verify.stdout.trim(), 'device-0001.pem: OK', verify.stderr);
  t.match(await extension('device-0001.pem', 'basicConstraints'), /critical\s+CA:FALSE/);
  t.match(await extension('device-0001.pem', 'keyUsage'), /Digital Signature/);
  t.match(await extension('device-0001.pem', 'extendedKeyUsage'), /TLS Web Client Authentication/);
  t.match(await extension('device-issuing-ca.pem', 'basicConstraints'), /critical\s+CA:TRUE/);
  const pathLen = await openssl(
    'verify',
    ...AT,
    '-purpose',
    'sslclient',
    '-CAfile',
    'acme-root-ca.pem',
    '-untrusted',
    'device-issuing-ca.pem',
    'device-0001.pem',
  );
  t.equal(pathLen.code, 0, 'usable for TLS client authentication');
});

t.test('the CLI’s device certificate is accepted by the mock over real TLS with curl', async (t) => {
  const seed: Seed = {
    tenants: [
      {
        id: 't100',
        domain: 't100.example.test',
        users: [{ userName: 'admin', password: 'admin-password' }],
        options: [],
        trustedCertificates: [
          {
            name: 'Acme Root CA',
            certInPemFormat: readFileSync(file('acme-root-ca.pem'), 'utf8'),
            status: 'ENABLED',
            autoRegistrationEnabled: true,
          },
        ],
        devices: [],
      },
    ],
  };
  const server = await startServer(t, { listen: true, seed });
  writeFileSync(file('server-ca.pem'), server.serverCa);
  const curl = await runTool(
    'curl',
    [
      '-sS',
      '--cert',
      'device-0001-chain.pem',
      '--key',
      'device-0001.key',
      '--cacert',
      'server-ca.pem',
      '-H',
      'Accept: application/json',
      // The platform takes only the leaf from the handshake: the chain file goes in the header too.
      '-H',
      `X-Ssl-Cert-Chain: ${header(readFileSync(file('device-0001-chain.pem'), 'utf8'))}`,
      '-X',
      'POST',
      '-w',
      '\n%{http_code}',
      `https://localhost:${server.port}/devicecontrol/deviceAccessToken`,
    ],
    { cwd: dir },
  );
  const [body, status] = curl.stdout.split('\n');
  t.equal(status, '200', `curl got a token (${curl.stdout} ${curl.stderr})`);
  t.match(JSON.parse(body!), { accessToken: /^eyJ/ });
});

t.test('RSA keys on request, signed with the issuer’s algorithm', async (t) => {
  const rsaCa = await cli('certs', 'ca', '--cn', 'RSA Root', '--key-type', 'rsa', '--key-size', '3072');
  assertSuccess(t, rsaCa);
  t.match(rsaCa.stdout, /'CN=RSA Root' \(RSA 3072\)/);
  const rsaDevice = await cli(
    'certs',
    'device',
    '--cn',
    'rsa-device',
    '--key-type',
    'rsa',
    '--ca',
    'rsa-root.pem',
    '--ca-key',
    'rsa-root.key',
  );
  assertSuccess(t, rsaDevice);
  const text = (await openssl('x509', '-in', 'rsa-device.pem', '-noout', '-text')).stdout;
  t.match(text, /Public-Key: \(2048 bit\)/, 'RSA 2048 by default');
  t.match(text, /Signature Algorithm: sha256WithRSAEncryption/, 'signed by the RSA CA');
  const verify = await openssl('verify', ...AT, '-CAfile', 'rsa-root.pem', 'rsa-device.pem');
  t.equal(verify.stdout.trim(), 'rsa-device.pem: OK');
});

t.test('validity options make expired and not-yet-valid certificates for negative tests', async (t) => {
  const signer = ['--ca', 'device-issuing-ca-chain.pem', '--ca-key', 'device-issuing-ca.key'];
  const expired = await cli(
    'certs',
    'device',
    '--cn',
    'expired',
    '--not-before',
    '2020-01-01',
    '--days',
    '30',
    ...signer,
  );
  assertSuccess(t, expired);
  t.match(expired.stdout, /valid 2020-01-01T00:00:00\.000Z to 2020-01-31T00:00:00\.000Z/);
  const early = await cli(
    'certs',
    'device',
    '--cn',
    'early',
    '--not-before',
    '2099-01-01T12:00:00Z',
    '--not-after',
    '2100-01-01',
    ...signer,
  );
  assertSuccess(t, early);
  const chain = [...AT, '-CAfile', 'acme-root-ca.pem', '-untrusted', 'device-issuing-ca.pem'];
  t.match((await openssl('verify', ...chain, 'expired.pem')).stderr, /certificate has expired/);
  t.match((await openssl('verify', ...chain, 'early.pem')).stderr, /certificate is not yet valid/);
  t.match(
    (await openssl('x509', '-in', 'early.pem', '-noout', '-dates')).stdout,
    /notBefore=Jan {2}1 12:00:00 2099 GMT\nnotAfter=Jan {2}1 00:00:00 2100 GMT/,
  );
});

t.test('certs server: a server certificate with the chosen names that a TLS client accepts', async (t) => {
  // curl checks the dates against the real time: this chain is valid far around any date.
  const always = ['--not-before', '2020-01-01', '--not-after', '2099-12-31'];
  assertSuccess(t, await cli('certs', 'ca', '--cn', 'Always Valid Root', ...always));
  const result = await cli(
    'certs',
    'server',
    ...always,
    '--san',
    'localhost,127.0.0.1',
    '--san',
    'mock.example.test',
    '--ca',
    'always-valid-root.pem',
    '--ca-key',
    'always-valid-root.key',
  );
  assertSuccess(t, result);
  t.match(result.stdout, /server certificate for localhost, 127\.0\.0\.1, mock\.example\.test/);
  t.match(
    await extension('localhost.pem', 'subjectAltName'),
    /DNS:localhost, IP Address:127\.0\.0\.1, DNS:mock\.example\.test/,
  );
  t.match(await extension('localhost.pem', 'extendedKeyUsage'), /TLS Web Server Authentication/);
  const server = createServer(
    { key: readFileSync(file('localhost.key')), cert: readFileSync(file('localhost-chain.pem')) },
    (_request, response) => response.end('hello over TLS'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  const curl = await runTool(
    'curl',
    ['-sS', '--cacert', 'always-valid-root.pem', `https://localhost:${port}/`],
    {
      cwd: dir,
    },
  );
  t.equal(curl.stdout, 'hello over TLS', curl.stderr);
});

t.test('existing files are never overwritten without --force', async (t) => {
  const before = readFileSync(file('device-0001.pem'), 'utf8');
  const again = await cli(
    'certs',
    'device',
    '--cn',
    'device-0001',
    '--ca',
    'device-issuing-ca-chain.pem',
    '--ca-key',
    'device-issuing-ca.key',
  );
  assertFailure(t, again, /device-0001\.pem already exists \(use --force to overwrite\)/);
  t.equal(readFileSync(file('device-0001.pem'), 'utf8'), before, 'the file is unchanged');
  const forced = await cli(
    'certs',
    'device',
    '--cn',
    'device-0001',
    '--out',
    '.',
    '--force',
    '--ca',
    'device-issuing-ca-chain.pem',
    '--ca-key',
    'device-issuing-ca.key',
  );
  assertSuccess(t, forced);
  t.not(readFileSync(file('device-0001.pem'), 'utf8'), before, 'replaced with --force');
  t.equal(modeOf(file('device-0001.key')), 0o600, 'a replaced key is still owner-only');
});

t.test('explicit output paths and --out directories', async (t) => {
  const result = await cli(
    'certs',
    'device',
    '--cn',
    'explicit',
    '--out',
    'sub/dir',
    '--key-out',
    'keys/explicit.key',
    '--ca',
    'device-issuing-ca-chain.pem',
    '--ca-key',
    'device-issuing-ca.key',
  );
  assertSuccess(t, result);
  t.match(result.stdout, /^wrote sub\/dir\/explicit\.pem /m);
  t.match(result.stdout, /^wrote keys\/explicit\.key /m);
  t.match(result.stdout, /^wrote sub\/dir\/explicit-chain\.pem /m);
  t.equal(modeOf(file('keys/explicit.key')), 0o600);
});
