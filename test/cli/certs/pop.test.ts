import { createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  assertFailure,
  assertSuccess,
  runCli,
  runTool,
  tempDir,
  writeCredential,
} from '../../helpers/cli.js';
import { TEST_NOW } from '../../helpers/clock.js';
import { rootCa } from '../../helpers/pki.js';

const dir = tempDir(t);
const now = TEST_NOW;
await writeCredential(dir, 'ec-ca', await rootCa(now, 'EC CA'));
await writeCredential(dir, 'rsa-ca', await rootCa(now, 'RSA CA', { keySpec: { type: 'rsa', bits: 2048 } }));
const cli = (...args: string[]) => runCli(args, { cwd: dir });
const openssl = (...args: string[]) => runTool('openssl', args, { cwd: dir });
// What the platform hands out: a code to sign exactly as given, without a newline.
const CODE = 'cmx1Yf0cUm2Xw9sQ7nVn0pZ4rJ8bT3kE';
writeFileSync(join(dir, 'code.txt'), CODE);

for (const kind of ['ec', 'rsa']) {
  t.test(
    `${kind.toUpperCase()}: the value verifies as the docs' openssl dgst -sha256 signature over the code`,
    async (t) => {
      const result = await cli(
        'certs',
        'pop',
        '--code',
        CODE,
        '--key',
        `${kind}-ca.key`,
        '--cert',
        `${kind}-ca.pem`,
      );
      assertSuccess(t, result);
      t.match(result.stdout, /^[A-Za-z0-9+/]+={0,2}\n$/, 'base64 on one line');
      writeFileSync(join(dir, `${kind}.sig`), Buffer.from(result.stdout.trim(), 'base64'));
      const publicKey = createPublicKey(readFileSync(join(dir, `${kind}-ca.key`))).export({
        type: 'spki',
        format: 'pem',
      });
      writeFileSync(join(dir, `${kind}.pub`), publicKey);
      const verify = await openssl(
        'dgst',
        '-sha256',
        '-verify',
        `${kind}.pub`,
        '-signature',
        `${kind}.sig`,
        'code.txt',
      );
      t.equal(verify.stdout.trim(), 'Verified OK', verify.stderr);
    },
  );
}

t.test("RSA signatures are deterministic: byte for byte the docs' openssl command", async (t) => {
  const ours = (await cli('certs', 'pop', '--code', CODE, '--key', 'rsa-ca.key')).stdout.trim();
  const signed = await openssl('dgst', '-sha256', '-sign', 'rsa-ca.key', '-out', 'openssl.sig', 'code.txt');
  t.equal(signed.code, 0, signed.stderr);
  const theirs = (await openssl('base64', '-A', '-in', 'openssl.sig')).stdout.trim();
  t.equal(ours, theirs);
});

t.test('errors', async (t) => {
  assertFailure(
    t,
    await cli('certs', 'pop', '--code', CODE, '--key', 'missing.key'),
    /cannot read private key missing\.key: no such file/,
  );
  assertFailure(
    t,
    await cli('certs', 'pop', '--code', CODE, '--key', 'ec-ca.key', '--cert', 'rsa-ca.pem'),
    /the key in ec-ca\.key does not match the certificate 'O=c8y-mtls-mock tests, CN=RSA CA' in rsa-ca\.pem/,
  );
  assertFailure(
    t,
    await cli('certs', 'pop', '--code', CODE, '--key', 'ec-ca.pem'),
    /ec-ca\.pem holds no private key \(found CERTIFICATE\)/,
  );
  assertFailure(
    t,
    await cli('certs', 'pop', '--key', 'ec-ca.key'),
    /required option '--code <code>' not specified/,
  );
});
