import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertFailure, assertSuccess, modeOf, runCli, tempDir, writeCredential } from '../../helpers/cli.js';
import { TEST_NOW } from '../../helpers/clock.js';
import { device, intermediateCa, rootCa } from '../../helpers/pki.js';

/*
 * certs p12 and certs inspect on keystores, with Node alone. That Java's keytool opens what
 * certs p12 writes is checked by p12.interop.test.ts (npm run test:interop); a keystore that
 * keytool wrote is a fixture here (test/fixtures/keytool/README.md).
 */
const dir = tempDir(t);
const now = TEST_NOW;
const root = await rootCa(now, 'Keystore Root CA');
const issuing = await intermediateCa(root, now, 'Keystore Issuing CA');
await writeCredential(dir, 'device', (await device(issuing, now, 'java-device-01')).credential);
await writeCredential(
  dir,
  'rsa-device',
  (await device(issuing, now, 'java-device-02', { keySpec: { type: 'rsa', bits: 2048 } })).credential,
);
await writeCredential(dir, 'other', (await device(issuing, now, 'someone-else')).credential);
const cli = (args: string[], env?: Record<string, string>) =>
  runCli(args, { cwd: dir, ...(env ? { env } : {}) });

t.test('an EC keystore with key and chain, owner only, that certs inspect reads back', async (t) => {
  const result = await cli([
    'certs',
    'p12',
    '--cert',
    'device-chain.pem',
    '--key',
    'device.key',
    '--password',
    'changeit',
  ]);
  assertSuccess(t, result);
  t.match(
    result.stdout,
    /^wrote java-device-01\.p12 {2}PKCS#12 keystore \(readable by the owner only\): alias 'java-device-01', EC P-256 key, 3 certificate\(s\)/,
  );
  t.equal(modeOf(join(dir, 'java-device-01.p12')), 0o600, 'it holds a private key: owner only');
  const inspect = await cli(['certs', 'inspect', 'java-device-01.p12', '--password', 'changeit']);
  assertSuccess(t, inspect);
  t.match(inspect.stdout, /^java-device-01\.p12: 3 certificates \(PKCS#12\)\naliases: java-device-01\n/);
  t.match(inspect.stdout, /subject: {7}CN=java-device-01\n/);
  t.match(inspect.stdout, /subject: {7}O=c8y-mtls-mock tests, CN=Keystore Issuing CA\n/);
  t.match(inspect.stdout, /subject: {7}O=c8y-mtls-mock tests, CN=Keystore Root CA\n/);
  t.match(inspect.stdout, /private key \(EC P-256\): matches certificate 1/);
});

t.test('an RSA keystore from a certificate, a separate chain file, a chosen alias and path', async (t) => {
  const result = await cli(
    [
      'certs',
      'p12',
      '--cert',
      'rsa-device.pem',
      '--chain',
      'rsa-device-chain.pem',
      '--key',
      'rsa-device.key',
      '--alias',
      'Device Two',
      '--out',
      'store/two.p12',
    ],
    { C8Y_MOCK_P12_PASSWORD: 'from-the-environment' },
  );
  assertSuccess(t, result);
  t.match(result.stdout, /alias 'Device Two', RSA 2048 key, 3 certificate\(s\)/, 'the leaf is not repeated');
  const inspect = await cli(['certs', 'inspect', 'store/two.p12'], {
    C8Y_MOCK_P12_PASSWORD: 'from-the-environment',
  });
  assertSuccess(t, inspect);
  t.match(inspect.stdout, /^store\/two\.p12: 3 certificates \(PKCS#12\)\naliases: Device Two\n/);
  t.match(inspect.stdout, /private key \(RSA 2048\): matches certificate 1/);
});

t.test('a wrong password: certs inspect says so in one line', async (t) => {
  assertFailure(
    t,
    await cli(['certs', 'inspect', 'java-device-01.p12', '--password', 'wrong-password']),
    /java-device-01\.p12: wrong password for the PKCS#12 keystore \(its integrity check failed\)/,
  );
});

t.test('a keystore made by keytool opens too (its certificates are encrypted)', async (t) => {
  copyFileSync(new URL('../../fixtures/keytool/from-java.p12', import.meta.url), join(dir, 'java.p12'));
  const inspect = await cli(['certs', 'inspect', 'java.p12', '--password', 'javapass']);
  assertSuccess(t, inspect);
  t.match(inspect.stdout, /aliases: from-java\n/);
  t.match(inspect.stdout, /subject: {7}CN=from-java\n/);
  t.match(inspect.stdout, /private key \(EC P-256\): matches certificate 1/);
  assertFailure(
    t,
    await cli(['certs', 'inspect', 'java.p12', '--password', 'changeit']),
    /java\.p12: wrong password for the PKCS#12 keystore/,
  );
});

t.test('errors', async (t) => {
  const before = readFileSync(join(dir, 'java-device-01.p12'));
  assertFailure(
    t,
    await cli(['certs', 'p12', '--cert', 'device.pem', '--key', 'device.key', '--password', 'x']),
    /java-device-01\.p12 already exists \(use --force to overwrite\)/,
  );
  t.same(readFileSync(join(dir, 'java-device-01.p12')), before, 'the keystore is unchanged');
  assertFailure(
    t,
    await cli([
      'certs',
      'p12',
      '--cert',
      'device.pem',
      '--key',
      'other.key',
      '--password',
      'x',
      '--out',
      'mismatch.p12',
    ]),
    /the key in other\.key does not match the certificate 'CN=java-device-01' in device\.pem/,
  );
  assertFailure(
    t,
    await cli(['certs', 'p12', '--cert', 'missing.pem', '--key', 'device.key', '--password', 'x']),
    /cannot read certificate missing\.pem: no such file/,
  );
  assertFailure(
    t,
    await cli(['certs', 'p12', '--cert', 'device.pem', '--key', 'device.key']),
    /required option '--password <password>' not specified/,
  );
  assertFailure(
    t,
    await cli(['certs', 'inspect', 'java-device-01.p12']),
    /java-device-01\.p12 is a PKCS#12 keystore: give its password with --password/,
  );
});
