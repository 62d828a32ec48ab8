import t from 'tap';
import {
  assertSuccess,
  requireProgram,
  runCli,
  runTool,
  tempDir,
  writeCredential,
} from '../../helpers/cli.js';
import { TEST_NOW } from '../../helpers/clock.js';
import { device, intermediateCa, rootCa } from '../../helpers/pki.js';

/*
 * Java's keytool and the keystores of certs p12, both ways (npm run test:interop; Java is not
 * needed by npm test, whose p12.test.ts covers the rest with Node alone).
 */
requireProgram('keytool', 'install Java 17 or later (Debian: apt-get install -y openjdk-17-jre-headless)');
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
const cli = (args: string[], env?: Record<string, string>) =>
  runCli(args, { cwd: dir, ...(env ? { env } : {}) });
const keytool = (...args: string[]) => runTool('keytool', args, { cwd: dir });

t.test('keytool opens an EC keystore with key and chain as one PrivateKeyEntry', async (t) => {
  assertSuccess(
    t,
    await cli([
      'certs',
      'p12',
      '--cert',
      'device-chain.pem',
      '--key',
      'device.key',
      '--password',
      'changeit',
    ]),
  );
  const list = await keytool(
    '-list',
    '-v',
    '-storetype',
    'PKCS12',
    '-keystore',
    'java-device-01.p12',
    '-storepass',
    'changeit',
  );
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, /Your keystore contains 1 entry/);
  t.match(
    list.stdout,
    /Alias name: java-device-01\nCreation date: [^\n]+\nEntry type: PrivateKeyEntry\nCertificate chain length: 3\n/,
  );
  t.match(list.stdout, /Owner: CN=java-device-01\n/);
  t.match(list.stdout, /Owner: O=c8y-mtls-mock tests, CN=Keystore Issuing CA\n/);
  t.match(list.stdout, /Owner: O=c8y-mtls-mock tests, CN=Keystore Root CA\n/);
});

t.test('keytool opens an RSA keystore under its chosen alias', async (t) => {
  assertSuccess(
    t,
    await cli(
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
    ),
  );
  const list = await keytool(
    '-list',
    '-storetype',
    'PKCS12',
    '-keystore',
    'store/two.p12',
    '-storepass',
    'from-the-environment',
  );
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, /^device two, [^\n]+, PrivateKeyEntry, $/m, 'keytool shows the alias (in lower case)');
});

t.test('keytool refuses a wrong password', async (t) => {
  const list = await keytool(
    '-list',
    '-storetype',
    'PKCS12',
    '-keystore',
    'java-device-01.p12',
    '-storepass',
    'wrong-password',
  );
  t.not(list.code, 0);
  t.match(list.stdout + list.stderr, /keystore password was incorrect|Integrity check failed/);
});

t.test(
  'a keystore made by this keytool opens in certs inspect (its certificates are encrypted)',
  async (t) => {
    const made = await keytool(
      '-genkeypair',
      '-alias',
      'from-java',
      '-keyalg',
      'EC',
      '-groupname',
      'secp256r1',
      '-dname',
      'CN=from-java',
      '-validity',
      '30',
      '-storetype',
      'PKCS12',
      '-keystore',
      'java.p12',
      '-storepass',
      'javapass',
    );
    t.equal(made.code, 0, made.stderr);
    const inspect = await cli(['certs', 'inspect', 'java.p12', '--password', 'javapass']);
    assertSuccess(t, inspect);
    t.match(inspect.stdout, /aliases: from-java\n/);
    t.match(inspect.stdout, /subject: {7}CN=from-java\n/);
    t.match(inspect.stdout, /private key \(EC P-256\): matches certificate 1/);
  },
);
