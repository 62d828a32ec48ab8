import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CliError } from '../../src/cli/cli-error.js';
import type { CliContext } from '../../src/cli/context.js';
import { enroll, reenroll } from '../../src/cli/enroll.js';
import { readCertificates, readPrivateKey } from '../../src/cli/inputs.js';
import { register } from '../../src/cli/register.js';
import { tempDir } from '../helpers/cli.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN_PASSWORD, adminSeed } from '../helpers/seeds.js';
import { startServer } from '../helpers/server.js';

/*
 * register, enroll and reenroll called in process against one listening mock
 * (the CLI speaks HTTPS; the life-cycle test runs it as a program). Here: what
 * each writes, and that each refusal is one CliError that says what to do.
 */
const dir = tempDir(t, 'c8y-enroll-cli-');
const server = await startServer(t, {
  listen: true,
  clock: new TestClock(Date.now()),
  seed: adminSeed([{ id: 't100', domain: 'localhost' }]),
});
writeFileSync(join(dir, 'server-ca.pem'), server.serverCa);
const url = `https://localhost:${server.port}`;
const cacert = join(dir, 'server-ca.pem');
const printed: string[] = [];
const context: CliContext = { clock: server.clock, print: (line) => printed.push(line) };
const admin = { url, cacert, tenant: 't100', user: 'admin', password: ADMIN_PASSWORD };

async function refusal(t: Test, work: Promise<unknown>, message: RegExp) {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, CliError, 'a CliError: one line, no stack trace');
  t.match((error as Error).message, message);
  t.notMatch((error as Error).message, /\n/);
}

t.test('register: the CA once, then each device with its password', async (t) => {
  printed.length = 0;
  const registered = await register({ ...admin, id: ['cli-01', 'cli-02'] }, context);
  t.equal(registered.length, 2);
  t.match(registered[0]!.otp, /^[0-9a-f]{24}$/, 'a random password when none is given');
  t.not(registered[0]!.otp, registered[1]!.otp);
  t.match(printed[0], /^created the tenant CA 'CN=t100, O=localhost' \(fingerprint [0-9a-f]{40}\)$/);
  t.match(
    printed.at(-1),
    `next, on the device: c8y-mtls-mock enroll --url ${url} --id cli-01 --otp ${registered[0]!.otp}`,
  );

  printed.length = 0;
  await register({ ...admin, id: ['cli-03'], otp: 'fixed-otp-03' }, context);
  t.equal(printed[0], 'the tenant CA exists already', 'a 409 is fine');
  printed.length = 0;
  await register({ ...admin, id: ['cli-04'], otp: 'fixed-otp-04', ca: false }, context);
  t.equal(printed[0], 'registered cli-04 for enrollment, one-time password fixed-otp-04', '--no-ca');

  await refusal(
    t,
    register({ ...admin, password: 'wrong', id: ['x-01'] }, context),
    /creating the tenant CA at .*\/certificate-authority failed: 401 security\/Unauthorized: Invalid credentials/,
  );
  await refusal(
    t,
    register({ ...admin, id: ['cli-03'], otp: 'again' }, context),
    /registering cli-03 failed: 422 devicecontrol\/Unprocessable Entity: A newDeviceRequest for cli-03 exists already/,
  );
  await refusal(t, register({ ...admin, id: [' '] }, context), /give at least one device with --id/);
});

t.test('enroll: key, certificate and chain; refusals write nothing', async (t) => {
  await register({ ...admin, id: ['cli-10', 'cli-11'], otp: 'otp-cli-10', ca: true }, context);
  const out = join(dir, 'enroll');
  await refusal(
    t,
    enroll({ url, cacert, id: 'cli-10', otp: 'wrong-one', out }, context),
    new RegExp(
      `enrollment at ${url}/.well-known/est/simpleenroll failed: 401: Invalid credentials! : Bad credentials`,
    ),
  );
  t.notOk(existsSync(join(out, 'cli-10.key')), 'nothing written');

  printed.length = 0;
  const enrolled = await enroll({ url, cacert, id: 'cli-10', otp: 'otp-cli-10', out }, context);
  t.same(enrolled.files, [join(out, 'cli-10.pem'), join(out, 'cli-10.key'), join(out, 'cli-10-chain.pem')]);
  t.match(
    printed[0],
    /^wrote .*cli-10\.pem +certificate 'CN=cli-10' issued by 'CN=t100, O=localhost' \(EC P-256\)/,
  );
  const [certificate] = readCertificates(join(out, 'cli-10.pem'));
  const key = readPrivateKey(join(out, 'cli-10.key'));
  t.same(
    createPublicKey(key).export({ format: 'jwk' }),
    certificate!.publicKey.export({ format: 'jwk' }),
    'the key belongs to the certificate',
  );
  t.equal(
    readFileSync(join(out, 'cli-10-chain.pem'), 'utf8'),
    certificate!.pem,
    'the answer held the certificate alone',
  );

  await refusal(
    t,
    enroll({ url, cacert, id: 'cli-10', otp: 'otp-cli-10', out }, context),
    /cli-10\.pem already exists \(use --force to overwrite\)/,
  );
  await refusal(
    t,
    enroll({ url, cacert, id: 'cli-10', otp: 'otp-cli-10', out, force: true }, context),
    /401: No newDeviceRequest found for this ID/,
  );

  const rsa = await enroll({ url, cacert, id: 'cli-11', otp: 'otp-cli-10', out, keyType: 'rsa' }, context);
  t.equal(rsa.certificate.keyDescription, 'RSA 2048', '--key-type rsa');
});

t.test('enroll from an address that is no tenant domain: --tenant names it', async (t) => {
  await register({ ...admin, id: ['cli-20'], otp: 'otp-cli-20' }, context);
  const byAddress = `https://127.0.0.1:${server.port}`;
  const out = join(dir, 'by-address');
  await refusal(
    t,
    enroll({ url: byAddress, cacert, id: 'cli-20', otp: 'otp-cli-20', out }, context),
    /401: Cannot tell the tenant: the host "127\.0\.0\.1:\d+" is no tenant's domain/,
  );
  const enrolled = await enroll(
    { url: byAddress, cacert, id: 'cli-20', otp: 'otp-cli-20', out, tenant: 't100' },
    context,
  );
  t.same(enrolled.certificate.commonNames, ['cli-20']);
});

t.test(
  'reenroll: the token over mTLS or --token; the same key unless --new-key; files replaced',
  async (t) => {
    await register({ ...admin, id: ['cli-30'], otp: 'otp-cli-30' }, context);
    const out = join(dir, 'renew');
    const first = await enroll({ url, cacert, id: 'cli-30', otp: 'otp-cli-30', out }, context);
    const cert = join(out, 'cli-30.pem');
    const key = join(out, 'cli-30.key');
    const keyBefore = readFileSync(key, 'utf8');

    server.clock.advance(1000);
    printed.length = 0;
    const same = await reenroll({ url, cacert, cert, key }, context);
    t.not(same.certificate.fingerprint, first.certificate.fingerprint);
    t.same(same.files, [cert], 'only the certificate is replaced');
    t.equal(readFileSync(key, 'utf8'), keyBefore, 'the key is kept');
    t.equal(readCertificates(cert)[0]!.fingerprint, same.certificate.fingerprint);
    t.match(printed.at(-1), /^the previous certificate \(serial [0-9a-f]+\) stays valid until /);

    server.clock.advance(1000);
    const fresh = await reenroll({ url, cacert, cert, key, newKey: true, keyType: 'rsa' }, context);
    t.same(fresh.files, [cert, key]);
    t.not(readFileSync(key, 'utf8'), keyBefore, '--new-key replaces the key');
    t.equal(fresh.certificate.keyDescription, 'RSA 2048');
    t.notOk(existsSync(`${cert}.new`) || existsSync(`${key}.new`), 'no temporary files left');

    // A token given instead: no mutual TLS needed.
    const token = server.app.services.tokens.recent('t100', 1)[0]!.record.jwt;
    server.clock.advance(1000);
    const withToken = await reenroll(
      { url, cacert, cert, key, token, certOut: join(out, 'other.pem') },
      context,
    );
    t.same(withToken.files, [join(out, 'other.pem')], '--cert-out');

    await refusal(
      t,
      reenroll({ url, cacert, cert, key: join(dir, 'enroll', 'cli-10.key') }, context),
      /does not match the certificate/,
    );
    await refusal(
      t,
      reenroll({ url, cacert, cert, key, keyType: 'rsa' }, context),
      /--key-type and --key-size apply with --new-key/,
    );
    await refusal(
      t,
      reenroll({ url, cacert, cert, key, token: 'not.a.token' }, context),
      /re-enrollment at .*simplereenroll failed: 401: Invalid credentials! : Bad credentials/,
    );
  },
);
