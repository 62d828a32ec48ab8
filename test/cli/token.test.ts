import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import t from 'tap';
import type { Seed } from '../../src/seed/seed.js';
import { assertFailure, assertSuccess, runCli, tempDir, writeCredential } from '../helpers/cli.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, intermediateCa, rootCa } from '../helpers/pki.js';
import { call, startServer } from '../helpers/server.js';

const dir = tempDir(t);
const now = TEST_NOW;
const root = await rootCa(now, 'Token Root CA');
const issuing = await intermediateCa(root, now, 'Token Issuing CA');
const leaf = await device(issuing, now, 'token-device');
const other = await device(issuing, now, 'other-device');
await writeCredential(dir, 'device', leaf.credential);
await writeCredential(dir, 'other', other.credential);

// Only the root is trusted: the device must send its intermediate.
const seed: Seed = {
  tenants: [
    {
      id: 't100',
      domain: 't100.example.test',
      users: [{ userName: 'admin', password: 'admin-password' }],
      options: [],
      trustedCertificates: [
        {
          name: 'root',
          certInPemFormat: root.certificate.pem,
          status: 'ENABLED',
          autoRegistrationEnabled: true,
        },
      ],
      devices: [],
    },
  ],
};
const server = await startServer(t, { listen: true, seed });
writeFileSync(join(dir, 'server-ca.pem'), server.serverCa);
const url = `https://localhost:${server.port}`;
const cli = (...args: string[]) => runCli(args, { cwd: dir });
const currentUser = (token: string) =>
  call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${token}` } });

t.test('token: the token, its header and claims; the chain goes in X-Ssl-Cert-Chain', async (t) => {
  const result = await cli(
    'token',
    '--url',
    url,
    '--cert',
    'device.pem',
    '--key',
    'device.key',
    '--chain',
    'device-chain.pem',
    '--cacert',
    'server-ca.pem',
  );
  assertSuccess(t, result);
  const [first, second] = result.stdout.split('\n');
  const token = first!.replace(/^accessToken: /, '');
  t.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  t.equal(second, 'header: {"alg":"RS256","typ":"JWT"}');
  const claims = JSON.parse(
    result.stdout.slice(result.stdout.indexOf('claims: ') + 8, result.stdout.lastIndexOf('}') + 1),
  );
  t.same(claims, decodeJwt(token), 'the printed claims are the token’s');
  t.match(claims, { sub: 'device_token-device', ten: 't100', tci: 'device_token_config' });
  t.match(
    result.stdout,
    /\nuser device_token-device of tenant t100; issued \S+Z, expires \S+Z \(in 3\d{3} s\)\n$/,
  );
  t.equal((await currentUser(token)).status, 200, 'the mock accepts the token');
});

t.test('token --quiet prints only the token; logout ends it', async (t) => {
  const quiet = await cli(
    'token',
    '--quiet',
    '--url',
    url,
    '--cert',
    'device-chain.pem',
    '--key',
    'device.key',
    '--cacert',
    'server-ca.pem',
  );
  assertSuccess(t, quiet);
  t.match(
    quiet.stdout,
    /^eyJ[\w.-]+\n$/,
    'one line: the token (a chain file as --cert sends its issuers in X-Ssl-Cert-Chain: the server takes only the leaf from TLS)',
  );
  const token = quiet.stdout.trim();
  const out = await cli('logout', '--url', url, '--token', token, '--cacert', 'server-ca.pem');
  assertSuccess(t, out);
  t.equal(out.stdout, 'logged out: the token is no longer accepted\n');
  t.equal((await currentUser(token)).status, 401, 'the token no longer works');
  assertFailure(
    t,
    await cli('logout', '--url', url, '--token', token, '--cacert', 'server-ca.pem'),
    new RegExp(
      `logout at ${url}/user/logout failed: 401 security/Unauthorized: Invalid credentials! : Bad credentials`,
    ),
  );
});

t.test('the development CA in certs/dev-ca.pem is trusted without --cacert', async (t) => {
  const cwd = tempDir(t);
  mkdirSync(join(cwd, 'certs'));
  writeFileSync(join(cwd, 'certs', 'dev-ca.pem'), server.serverCa);
  const result = await runCli(
    [
      'token',
      '--quiet',
      '--url',
      url,
      '--cert',
      join(dir, 'device-chain.pem'),
      '--key',
      join(dir, 'device.key'),
    ],
    { cwd },
  );
  assertSuccess(t, result);
  t.match(result.stdout, /^eyJ/);
});

t.test('errors', async (t) => {
  const device = ['--cert', 'device.pem', '--key', 'device.key'];
  assertFailure(
    t,
    await cli('token', '--url', url, ...device, '--cacert', 'server-ca.pem'),
    new RegExp(
      `no token from ${url}/devicecontrol/deviceAccessToken: 401 security/Unauthorized: Invalid certificate chain!`,
    ),
  );
  assertFailure(
    t,
    await cli(
      'token',
      '--url',
      url,
      '--cert',
      'device.pem',
      '--key',
      'other.key',
      '--cacert',
      'server-ca.pem',
    ),
    /the key in other\.key does not match the certificate 'CN=token-device' in device\.pem/,
  );
  assertFailure(
    t,
    await cli('token', '--url', url, ...device),
    new RegExp(
      `${url}: the server's certificate is not trusted \\(\\w+\\); give the CA that issued it with --cacert or C8Y_MOCK_CACERT`,
    ),
  );
  assertFailure(
    t,
    await cli('token', '--url', url, '--cert', 'missing.pem', '--key', 'device.key'),
    /cannot read device certificate missing\.pem: no such file/,
  );
  assertFailure(
    t,
    await cli('token', '--url', 'localhost:8443', ...device),
    /--url 'localhost:8443': use an https:\/\/ URL/,
  );
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise((resolve) => closed.close(resolve));
  assertFailure(
    t,
    await cli('token', '--url', `https://127.0.0.1:${port}`, ...device),
    new RegExp(
      `cannot connect to https://127\\.0\\.0\\.1:${port}: connection refused \\(is the server running\\? give the server's URL with --url or C8Y_HOST; this one came from --url\\)$`,
      'm',
    ),
  );
  assertFailure(
    t,
    await runCli(['logout', '--token', 'x'], { cwd: dir, env: { C8Y_HOST: `https://127.0.0.1:${port}` } }),
    /connection refused \(is the server running\? give the server's URL with --url or C8Y_HOST; this one came from C8Y_HOST\)$/m,
  );
  assertFailure(
    t,
    await runCli(['token', ...device], { cwd: dir, env: { C8Y_HOST: 'localhost:8443' } }),
    /C8Y_HOST 'localhost:8443': use an https:\/\/ URL/,
  );
  assertFailure(
    t,
    await runCli(['token', '--url', url, ...device], { cwd: dir, env: { C8Y_MOCK_CACERT: 'nowhere.pem' } }),
    /cannot read CA file \(--cacert or C8Y_MOCK_CACERT\) nowhere\.pem: no such file/,
  );
  assertFailure(t, await cli('logout', '--url', url), /required option '--token <token>' not specified/);
});

t.test('C8Y_HOST and C8Y_MOCK_CACERT point token and logout at a mock off its defaults', async (t) => {
  // What `serve` prints for itself: the URL, and the CA file by its absolute path.
  const env = { C8Y_HOST: url, C8Y_MOCK_CACERT: join(dir, 'server-ca.pem') };
  const elsewhere = tempDir(t);
  const quiet = await runCli(
    ['token', '--quiet', '--cert', join(dir, 'device-chain.pem'), '--key', join(dir, 'device.key')],
    { cwd: elsewhere, env },
  );
  assertSuccess(t, quiet);
  const token = quiet.stdout.trim();
  t.equal((await currentUser(token)).status, 200, 'the token is the mock’s');
  const out = await runCli(['logout', '--token', token], { cwd: elsewhere, env });
  assertSuccess(t, out);
  t.equal((await currentUser(token)).status, 401, 'and logout ended it');
  const overridden = await runCli(
    ['logout', '--token', token, '--url', 'https://127.0.0.1:1', '--cacert', 'none.pem'],
    { cwd: elsewhere, env },
  );
  assertFailure(t, overridden, /cannot read CA file \(--cacert or C8Y_MOCK_CACERT\) none\.pem/);
});
