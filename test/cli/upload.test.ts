import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { assertFailure, runCli, tempDir, writeCredential } from '../helpers/cli.js';
import { TEST_NOW } from '../helpers/clock.js';
import { intermediateCa, rootCa } from '../helpers/pki.js';

// Uploads that reach the API are in cli-with-admin-api.test.ts; these fail before any request.
const dir = tempDir(t);
const now = TEST_NOW;
const root = await rootCa(now, 'Upload Root CA');
await writeCredential(dir, 'root', root);
await writeCredential(dir, 'issuing', await intermediateCa(root, now, 'Upload Issuing CA'));
writeFileSync(join(dir, 'garbage.pem'), 'not a certificate');
const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env });
const login = ['--tenant', 't100', '--user', 'admin', '--password', 'secret'];

t.test('errors', async (t) => {
  assertFailure(
    t,
    await cli(['upload', '--cert', 'issuing-chain.pem', ...login]),
    /issuing-chain\.pem holds 2 certificates; upload one CA certificate \(the trust anchor\) at a time/,
  );
  assertFailure(
    t,
    await cli(['upload', '--cert', 'missing.pem', ...login]),
    /cannot read CA certificate missing\.pem: no such file/,
  );
  assertFailure(
    t,
    await cli(['upload', '--cert', 'garbage.pem', ...login]),
    /garbage\.pem is not a certificate/,
  );
  assertFailure(
    t,
    await cli(['upload', '--cert', 'root.pem', '--user', 'admin', '--password', 'secret']),
    /required option '--tenant <id>' not specified/,
  );
  assertFailure(
    t,
    await cli(['upload', '--url', 'not a url', '--cert', 'root.pem', ...login]),
    /--url 'not a url' is not a URL/,
  );
  assertFailure(
    t,
    await cli(['upload', '--cert', 'root.pem', ...login, '--status', 'MAYBE']),
    /option '--status <status>' argument 'MAYBE' is invalid\. Allowed choices are ENABLED, DISABLED/,
  );
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise((resolve) => closed.close(resolve));
  // Credentials from the environment, as go-c8y-cli users keep them.
  assertFailure(
    t,
    await cli(['upload', '--url', `https://127.0.0.1:${port}`, '--cert', 'root.pem'], {
      C8Y_TENANT: 't100',
      C8Y_USER: 'admin',
      C8Y_PASSWORD: 'secret',
    }),
    new RegExp(`cannot connect to https://127\\.0\\.0\\.1:${port}: connection refused`),
  );
});
