import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { exportPrivateKeyPem } from '../../src/pki/certificate-factory.js';
import { tempDir, writeNpxShim } from '../helpers/cli.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, rootCa } from '../helpers/pki.js';
import { seedWith } from '../helpers/seeds.js';
import { ADMIN_SECRET, startServer } from '../helpers/server.js';

/*
 * The four examples of docs/qa-pipelines.md ("Time and faults"), run as printed with bash, curl,
 * openssl, jq and `npx c8y-mtls-mock`, against a listening mock with its MQTT door. The only
 * change: the first block's URLs and admin secret become this test server's. As in a checkout,
 * no `c8y-mtls-mock` is on the PATH; `npx` there runs this checkout's CLI (writeNpxShim).
 */

const doc = readFileSync(new URL('../../docs/qa-pipelines.md', import.meta.url), 'utf8');
const examples = new Map(
  [...doc.matchAll(/<!-- example: ([\w-]+) -->\n\n```sh\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!]),
);
t.same(
  [...examples.keys()],
  ['setup', 'renew', 'expire', 'three-503', 'swallow-uat'],
  'the examples are in the page',
);

const ca = await rootCa(TEST_NOW, 'QA Example CA');
const demo = await device(ca, TEST_NOW, 'demo-device-0001');
const server = await startServer(t, {
  listen: true,
  mqtt: true,
  seed: seedWith([{ id: 't100', domain: 'localhost', pem: ca.certificate.pem }]),
});
const dir = tempDir(t);
mkdirSync(join(dir, 'certs'));
mkdirSync(join(dir, 'bin'));
writeFileSync(join(dir, 'certs', 'dev-ca.pem'), server.serverCa);
writeFileSync(join(dir, 'certs', 'demo-device.pem'), demo.certPem);
writeFileSync(
  join(dir, 'certs', 'demo-device.key'),
  await exportPrivateKeyPem(demo.credential.keys.privateKey),
);
writeNpxShim(join(dir, 'bin'));

const setup = examples
  .get('setup')!
  .replace('https://localhost:8443', `https://localhost:${server.port}`)
  .replace('mqtts://localhost:8883', `mqtts://localhost:${server.mqttPort}`)
  .replace('qa-only-not-a-secret', ADMIN_SECRET);

/** The test's npx first; without a c8y-mtls-mock the machine may have installed (a checkout has none). */
const PATH = [
  join(dir, 'bin'),
  ...(process.env.PATH ?? '')
    .split(':')
    .filter((entry) => entry && !existsSync(join(entry, 'c8y-mtls-mock'))),
].join(':');

/** What the PATH of the examples has: the test's npx, and no c8y-mtls-mock. */
const PATHS = `echo "npx: $(npx c8y-mtls-mock --version >/dev/null && command -v npx)"
echo "bare: $(command -v c8y-mtls-mock || echo none)"
`;

function run(name: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return shell(examples.get(name)!);
}

function shell(body: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `set -u\n${setup}\n${body}`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      cwd: dir,
      env: { PATH, HOME: dir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const { decisions, clock, faults } = server.app.services;

t.test('as in a checkout: npx c8y-mtls-mock runs, a bare c8y-mtls-mock is not there', async (t) => {
  const result = await shell(PATHS);
  t.equal(result.code, 0, result.stderr);
  t.equal(result.stdout, `npx: ${join(dir, 'bin', 'npx')}\nbare: none\n`);
});

t.test('renew a token without waiting', async (t) => {
  const result = await run('renew');
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /a new token at half its lifetime\n/);
  t.same(
    decisions.list({ limit: 2 }).map((d) => d.outcome),
    ['issued', 'issued'],
  );
  t.equal(clock.offsetMs, 0, 'back on real time');
});

t.test('expire a certificate', async (t) => {
  const result = await run('expire');
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /^\{"now":"2027-06-02T12:00:00\.000Z",[^\n]*\n401\nnot-expired\n\n?\{"now"/);
  t.equal(clock.offsetMs, 0, 'back on real time');
});

t.test('the next three token requests fail with 503', async (t) => {
  const result = await run('three-503');
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /^\{"id":"1",[^\n]*\n503 503 503 200 \n$/);
  t.same(
    decisions.list({ limit: 4 }).map((d) => d.outcome),
    ['issued', 'injected', 'injected', 'injected'],
  );
});

t.test('swallow the first s/uat', async (t) => {
  const result = await run('swallow-uat');
  t.equal(result.code, 0, result.stderr);
  t.match(result.stderr, /no answer on s\/dat within 1000 ms/, 'the first try got no answer');
  t.match(result.stdout, /\neyJ[\w-]+\.[\w-]+\.[\w-]+\n\n$/, 'the second printed the token');
  t.match(decisions.list({ outcome: 'injected', limit: 1 })[0], { door: 'mqtt', mqtt: { topic: 's/uat' } });
  t.same(faults.list(), [], 'the rules removed');
});
