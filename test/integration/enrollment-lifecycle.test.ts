import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import t from 'tap';
import { readCertificates } from '../../src/cli/inputs.js';
import { childEnv, modeOf, tempDir, writeNpxShim } from '../helpers/cli.js';
import { TestClock } from '../helpers/clock.js';
import { connectDevice, nextMessage } from '../helpers/mqtt.js';
import { ADMIN_PASSWORD, adminSeed } from '../helpers/seeds.js';
import { startServer } from '../helpers/server.js';

/*
 * The whole life of a device over real TLS, with the commands of
 * docs/enrollment.md run exactly as printed: the administrator makes the CA
 * and registers devices, the devices enroll (with the CLI, and with openssl
 * and curl), openssl reads and verifies what came back, the certificates get
 * tokens, the one-time password is refused the second time, the devices
 * renew with their tokens, and renewal with mutual TLS alone is refused.
 *
 * The first block of the page sets MOCK and C8Y_PASSWORD for the reader; the
 * test sets them to this server instead (its port and its administrator's
 * password) and runs every other block unchanged. `npx c8y-mtls-mock` reaches
 * this checkout's CLI through an `npx` on the PATH that runs nothing else.
 * The server's clock is the real time: the page's `openssl verify` checks
 * dates against it.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const PAGE = readFileSync(join(ROOT, 'docs', 'enrollment.md'), 'utf8');

/** The ```sh blocks between two headings of the page. */
function blocks(from: string, to: string): string[] {
  const start = PAGE.indexOf(`\n${from}\n`);
  const end = PAGE.indexOf(`\n${to}\n`);
  if (start < 0 || end < start) throw new Error(`docs/enrollment.md lacks "${from}" before "${to}"`);
  return [...PAGE.slice(start, end).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

const cliBlocks = blocks('## Walk-through with the CLI', '## Walk-through with openssl and curl');
const curlBlocks = blocks('## Walk-through with openssl and curl', '## Renewal in minutes');

t.test('the page sets MOCK and the password first, and has both walk-throughs', async (t) => {
  t.match(cliBlocks[0], /^MOCK=https:\/\/localhost:8443\nexport C8Y_PASSWORD=\.\.\. /, 'the setup block');
  t.ok(cliBlocks.length >= 3, 'CLI blocks');
  t.ok(curlBlocks.length >= 4, 'openssl and curl blocks');
});

t.test(
  'a device from no certificate to a token and through renewal, as docs/enrollment.md prints it',
  async (t) => {
    const server = await startServer(t, {
      listen: true,
      mqtt: true,
      clock: new TestClock(Date.now()),
      seed: adminSeed([{ id: 't100', domain: 'localhost' }]),
    });
    const dir = tempDir(t, 'c8y-enrollment-');
    mkdirSync(join(dir, 'certs'));
    writeFileSync(join(dir, 'certs', 'dev-ca.pem'), server.serverCa);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeNpxShim(bin);
    const env = childEnv() as Record<string, string>;
    Object.assign(env, {
      PATH: `${bin}:${process.env.PATH}`,
      MOCK: `https://localhost:${server.port}`,
      C8Y_PASSWORD: ADMIN_PASSWORD,
    });
    const run = async (script: string) => {
      const result = await shell(script, dir, env);
      t.equal(result.code, 0, `exit 0; stderr: ${result.stderr.slice(-2000)}`);
      return result;
    };
    const { issuedCertificates } = server.app.services;
    const issued = (id: string) =>
      issuedCertificates
        .list('t100', 100)
        .filter((c) => c.externalId === id)
        .map((c) => c.kind);

    await t.test('with the CLI', async (t) => {
      const { stdout } = await run(cliBlocks.slice(1).join('\n'));
      t.match(stdout, /created the tenant CA 'CN=t100, O=localhost'/);
      t.match(stdout, /registered enroll-demo-01 for enrollment, one-time password demo-otp-0001/);
      t.match(
        stdout,
        /wrote device\/enroll-demo-01\.pem +certificate 'CN=enroll-demo-01' issued by 'CN=t100, O=localhost'/,
      );
      t.match(
        stdout,
        /user device_enroll-demo-01 of tenant t100/,
        'the enrolled certificate got a token over mTLS',
      );
      t.match(stdout, /the previous certificate \(serial [0-9a-f]+\) stays valid until/);
      const token = stdout.trim().split('\n').at(-1)!;
      t.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/, 'the renewed certificate got a token too');
      t.equal(
        modeOf(join(dir, 'device', 'enroll-demo-01.key')),
        0o600,
        'the key is readable by its owner only',
      );
      t.same(issued('enroll-demo-01'), ['reenroll', 'enroll']);
      const [renewed] = issuedCertificates.list('t100', 100).filter((c) => c.externalId === 'enroll-demo-01');
      const file = readCertificates(join(dir, 'device', 'enroll-demo-01.pem'))[0]!;
      t.equal(
        file.fingerprint,
        renewed!.fingerprint,
        'the certificate file now holds the renewed certificate',
      );
      t.notOk(existsSync(join(dir, 'device', 'enroll-demo-01.pem.new')), 'no temporary file left');

      // The same certificate on the MQTT door, as thin-edge.io uses it after enrolling: s/uat → 71.
      const client = await connectDevice(t, server, {
        cert: readFileSync(join(dir, 'device', 'enroll-demo-01.pem'), 'utf8'),
        key: readFileSync(join(dir, 'device', 'enroll-demo-01.key'), 'utf8'),
        clientId: 'enroll-demo-01',
      });
      await client.subscribeAsync('s/dat');
      const answer = nextMessage(client, 's/dat');
      await client.publishAsync('s/uat', '', { qos: 0 });
      const line = await answer;
      t.match(line, /^71,eyJ[\w-]+\.[\w-]+\.[\w-]+$/, 'the enrolled certificate got a token over MQTT');
      t.match(decodeJwt(line.slice(3)), { sub: 'device_enroll-demo-01', ten: 't100' });
    });

    await t.test('with openssl and curl', async (t) => {
      const { stdout } = await run(curlBlocks.join('\n'));
      t.match(
        stdout,
        '{"message":"No newDeviceRequest found for this ID. It may already be registered, check the audit logs for details."} 401',
        'the one-time password is refused the second time',
      );
      t.match(
        stdout,
        /^dev\.pem: OK$/m,
        'openssl verify -purpose sslclient accepts the certificate with the CA',
      );
      t.match(
        stdout,
        '{"message":"Full authentication is required to access this resource"} 401',
        're-enrollment with mutual TLS alone is refused',
      );
      // `openssl pkcs7 -print_certs` writes subject= and issuer= lines before each PEM block.
      const pemOnly = (file: string) => {
        const text = readFileSync(join(dir, file), 'utf8');
        writeFileSync(join(dir, `${file}.only`), text.slice(text.indexOf('-----BEGIN')));
        return readCertificates(join(dir, `${file}.only`));
      };
      const [certificate] = pemOnly('dev.pem');
      const [renewed] = pemOnly('dev-renewed.pem');
      t.same(certificate?.commonNames, ['enroll-demo-02'], 'openssl pkcs7 -print_certs read the answer');
      t.same(renewed?.commonNames, ['enroll-demo-02'], 'and the renewed one, with the same CN');
      t.not(renewed?.fingerprint, certificate?.fingerprint);
      t.same(issued('enroll-demo-02'), ['reenroll', 'enroll'], 'enrolled, then renewed with its token');
      const decisions = server.app.services.decisions.list({ externalId: 'enroll-demo-02' });
      t.ok(
        decisions.some((d) => d.door === 'rest' && d.outcome === 'issued'),
        'the enrolled certificate got a token over REST',
      );
    });
  },
);

/** `sh -e -c script`: its exit code and output. */
function shell(script: string, cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('sh', ['-e', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
