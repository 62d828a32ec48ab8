import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertFailure, runCli, tempDir, writeCredential } from '../../helpers/cli.js';
import { TEST_NOW } from '../../helpers/clock.js';
import { device, intermediateCa, rootCa } from '../../helpers/pki.js';

// The inputs are made in-process: what is tested here is how the CLI refuses them.
const dir = tempDir(t);
const now = TEST_NOW;
const root = await rootCa(now, 'Acme Root CA');
const last = await intermediateCa(root, now, 'Last Issuing CA', { pathLen: 0 });
const leaf = await device(last, now, 'device-0001');
await writeCredential(dir, 'root', root);
await writeCredential(dir, 'last', last);
await writeCredential(dir, 'device', leaf.credential);
writeFileSync(join(dir, 'garbage.pem'), 'this is not a certificate\n');
writeFileSync(
  join(dir, 'request.pem'),
  '-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n',
);

// A CA with an Ed25519 key, which the certificate factory does not sign with.
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ed25519',
    '-nodes',
    '-keyout',
    'ed-ca.key',
    '-out',
    'ed-ca.pem',
    '-subj',
    '/CN=Ed25519 CA',
  ].concat(['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']),
  { cwd: dir, stdio: 'ignore' },
);

const signer = ['--ca', 'last-chain.pem', '--ca-key', 'last.key'];
const cases: [string, string[], RegExp][] = [
  [
    'missing CA file',
    ['certs', 'device', '--cn', 'x', '--ca', 'missing.pem', '--ca-key', 'root.key'],
    /cannot read CA certificate missing\.pem: no such file/,
  ],
  [
    'not a certificate',
    ['certs', 'device', '--cn', 'x', '--ca', 'garbage.pem', '--ca-key', 'root.key'],
    /garbage\.pem is not a certificate \(neither PEM nor DER\)/,
  ],
  [
    'PEM without a certificate',
    ['certs', 'device', '--cn', 'x', '--ca', 'request.pem', '--ca-key', 'root.key'],
    /request\.pem holds no certificate \(found CERTIFICATE REQUEST\)/,
  ],
  [
    'a CA that is not a CA',
    ['certs', 'device', '--cn', 'x', '--ca', 'device.pem', '--ca-key', 'device.key'],
    /'CN=device-0001' in device\.pem is not a CA \(its basicConstraints do not say CA:true\)/,
  ],
  [
    'a key that does not match the certificate',
    ['certs', 'device', '--cn', 'x', '--ca', 'root.pem', '--ca-key', 'last.key'],
    /the key in last\.key does not match the certificate 'O=c8y-mtls-mock tests, CN=Acme Root CA' in root\.pem \(their public keys differ\)/,
  ],
  [
    'a key file without a key',
    ['certs', 'device', '--cn', 'x', '--ca', 'root.pem', '--ca-key', 'root.pem'],
    /root\.pem holds no private key \(found CERTIFICATE\)/,
  ],
  [
    'a CA with pathLen 0 signing a CA',
    ['certs', 'intermediate', '--cn', 'deeper', ...signer],
    /'O=c8y-mtls-mock tests, CN=Last Issuing CA' in last-chain\.pem has pathLen 0: it may sign device and server certificates, not another CA/,
  ],
  [
    'no such date',
    ['certs', 'device', '--cn', 'x', '--not-before', '2030-02-30', ...signer],
    /bad date '2030-02-30' for --not-before: no such date/,
  ],
  [
    'not a date',
    ['certs', 'device', '--cn', 'x', '--not-after', 'tomorrow', ...signer],
    /bad date 'tomorrow' for --not-after: use ISO 8601/,
  ],
  [
    'end before start',
    ['certs', 'device', '--cn', 'x', '--not-before', '2030-01-02', '--not-after', '2030-01-01', ...signer],
    /bad dates: the certificate would end \(2030-01-01T00:00:00\.000Z\) before it starts \(2030-01-02T00:00:00\.000Z\)/,
  ],
  [
    '--days and --not-after together',
    ['certs', 'device', '--cn', 'x', '--days', '3', '--not-after', '2030-01-01', ...signer],
    /give --days or --not-after, not both/,
  ],
  ['--key-size with an EC key', ['certs', 'ca', '--key-size', '4096'], /--key-size applies to RSA keys/],
  [
    'an RSA size that is not offered',
    ['certs', 'ca', '--key-type', 'rsa', '--key-size', '1024'],
    /option '--key-size <bits>' argument '1024' is invalid\. Allowed choices are 2048, 3072, 4096/,
  ],
  ['a device without --cn', ['certs', 'device', ...signer], /a device certificate needs --cn <device id>/],
  [
    'a bad subject alternative name',
    ['certs', 'server', '--san', 'not a name', ...signer],
    /--san 'not a name' is neither a DNS name nor an IP address/,
  ],
  [
    'a CA whose key is neither EC nor RSA',
    ['certs', 'device', '--cn', 'x', '--ca', 'ed-ca.pem', '--ca-key', 'ed-ca.key'],
    /ed-ca\.key: ed25519 keys cannot sign here; use EC P-256 or RSA/,
  ],
  [
    'a missing --ca-key',
    ['certs', 'device', '--cn', 'x', '--ca', 'root.pem'],
    /required option '--ca-key <file>' not specified/,
  ],
];

for (const [name, args, message] of cases) {
  t.test(name, async (t) => assertFailure(t, await runCli(args, { cwd: dir }), message));
}
