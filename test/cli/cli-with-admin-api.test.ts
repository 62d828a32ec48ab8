/**
 * The CLI against the trusted-certificates and proof-of-possession APIs
 * (c8y-reference.md section 2). Those endpoints are built on the `admin`
 * branch: until it is merged, these tests fail with 404s, as they should.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Seed } from '../../src/seed/seed.js';
import { assertFailure, assertSuccess, runCli, tempDir } from '../helpers/cli.js';
import { call, startServer, type TestServer } from '../helpers/server.js';

const seed: Seed = {
  tenants: [
    {
      id: 't100',
      domain: 't100.example.test',
      users: [{ userName: 'admin', password: 'admin-password' }],
      options: [],
      trustedCertificates: [],
      devices: [],
    },
  ],
};
const ADMIN = `Basic ${Buffer.from('t100/admin:admin-password').toString('base64')}`;

interface TrustedCertificate {
  name: string;
  subject: string;
  fingerprint: string;
  serialNumber: string;
  status: string;
  autoRegistrationEnabled: boolean;
  proofOfPossessionValid?: boolean;
  proofOfPossessionUnsignedVerificationCode?: string;
}

async function setUp(t: Test) {
  const server = await startServer(t, { listen: true, seed });
  const dir = tempDir(t);
  writeFileSync(join(dir, 'server-ca.pem'), server.serverCa);
  const cli = (...args: string[]) => runCli(args, { cwd: dir });
  const api = ['--url', server.origin, '--cacert', 'server-ca.pem'];
  const login = ['--tenant', 't100', '--user', 'admin', '--password', 'admin-password'];
  return { server, dir, cli, api, login };
}

/** The tenant's trusted certificate of that name, as the API lists it. */
async function trusted(t: Test, server: TestServer, name: string): Promise<TrustedCertificate> {
  const response = await call(server, {
    path: '/tenant/tenants/t100/trusted-certificates',
    headers: { authorization: ADMIN, accept: 'application/json' },
  });
  t.equal(response.status, 200, `list trusted certificates: ${response.text}`);
  const found = (response.json() as { certificates?: TrustedCertificate[] }).certificates?.find(
    (c) => c.name === name,
  );
  if (!found) throw new Error(`no trusted certificate '${name}' in ${response.text}`);
  return found;
}

t.test('upload end to end: make a CA and a device, upload, get a token, log out', async (t) => {
  const { server, cli, api, login } = await setUp(t);
  assertSuccess(t, await cli('certs', 'ca', '--cn', 'Fleet Root CA'));
  assertSuccess(
    t,
    await cli(
      'certs',
      'device',
      '--cn',
      'fleet-0001',
      '--ca',
      'fleet-root-ca.pem',
      '--ca-key',
      'fleet-root-ca.key',
    ),
  );

  const upload = await cli('upload', ...api, ...login, '--cert', 'fleet-root-ca.pem');
  assertSuccess(t, upload);
  t.match(upload.stdout, new RegExp(`^uploaded 'Fleet Root CA' to tenant t100 at ${server.origin}\n`));
  const stored = await trusted(t, server, 'Fleet Root CA');
  t.match(stored, { name: 'Fleet Root CA', status: 'ENABLED', autoRegistrationEnabled: true });
  t.match(upload.stdout, new RegExp(`\n  fingerprint: +${stored.fingerprint}\n`));
  t.match(upload.stdout, new RegExp(`\n  serialNumber: +${stored.serialNumber}\n`));

  const token = await cli('token', ...api, '--cert', 'fleet-0001.pem', '--key', 'fleet-0001.key', '--quiet');
  assertSuccess(t, token);
  const logout = await cli('logout', ...api, '--token', token.stdout.trim());
  assertSuccess(t, logout);

  assertFailure(
    t,
    await cli('upload', ...api, ...login, '--cert', 'fleet-root-ca.pem'),
    new RegExp(`upload to ${server.origin}/tenant/tenants/t100/trusted-certificates failed: 409 \\S+: .+`),
  );
  assertFailure(
    t,
    await cli(
      'upload',
      ...api,
      '--tenant',
      't100',
      '--user',
      'admin',
      '--password',
      'wrong',
      '--cert',
      'fleet-root-ca.pem',
    ),
    /failed: 401 security\/Unauthorized: Invalid credentials! : Bad credentials/,
  );
});

t.test('certs pop output is accepted by the proof-of-possession endpoint', async (t) => {
  const { server, cli, api, login } = await setUp(t);
  assertSuccess(t, await cli('certs', 'ca', '--cn', 'Proven CA', '--key-type', 'rsa'));
  assertSuccess(t, await cli('upload', ...api, ...login, '--cert', 'proven-ca.pem'));
  const stored = await trusted(t, server, 'Proven CA');
  const base = `/tenant/tenants/t100/trusted-certificates-pop/${stored.fingerprint}`;
  const code = await call(server, {
    method: 'POST',
    path: `${base}/verification-code`,
    headers: { authorization: ADMIN, accept: 'application/json' },
  });
  t.equal(code.status, 200, code.text);
  const unsigned = (code.json() as TrustedCertificate).proofOfPossessionUnsignedVerificationCode!;
  t.type(unsigned, 'string');

  const pop = await cli(
    'certs',
    'pop',
    '--code',
    unsigned,
    '--key',
    'proven-ca.key',
    '--cert',
    'proven-ca.pem',
  );
  assertSuccess(t, pop);
  const proved = await call(server, {
    method: 'POST',
    path: `${base}/pop`,
    headers: { authorization: ADMIN, accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({ proofOfPossessionSignedVerificationCode: pop.stdout.trim() }),
  });
  t.equal(proved.status, 200, proved.text);
  t.match(proved.json(), { fingerprint: stored.fingerprint, proofOfPossessionValid: true });
});

t.test(
  'certs inspect prints the fingerprint and serialNumber the trusted-certificates API returns',
  async (t) => {
    const { server, cli, api, login } = await setUp(t);
    assertSuccess(t, await cli('certs', 'ca', '--cn', 'Inspected CA'));
    assertSuccess(t, await cli('upload', ...api, ...login, '--cert', 'inspected-ca.pem'));
    const stored = await trusted(t, server, 'Inspected CA');
    const inspect = await cli('certs', 'inspect', 'inspected-ca.pem');
    assertSuccess(t, inspect);
    const fingerprint = /\n {2}fingerprint: +(\S+)\n/.exec(inspect.stdout)?.[1];
    const serialNumber = /\n {2}serialNumber: +(\d+) /.exec(inspect.stdout)?.[1];
    t.equal(fingerprint, stored.fingerprint, 'fingerprint');
    t.equal(serialNumber, stored.serialNumber, 'serialNumber');
    t.equal(/\n {2}subject: +([^\n]+)\n/.exec(inspect.stdout)?.[1], stored.subject, 'subject');
  },
);
