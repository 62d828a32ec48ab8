import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertFailure, assertSuccess, modeOf, spawnCli, tempDir } from '../helpers/cli.js';

/*
 * The executable itself, as its own process (the other CLI tests run the same commands in the
 * test's process, through runProgram): its version, a failure's exit code and single line, and a
 * command that writes files.
 */
const dir = tempDir(t);
const cli = (...args: string[]) => spawnCli(args, { cwd: dir });
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

t.test('--version, and the help of a group', async (t) => {
  const version = await cli('--version');
  assertSuccess(t, version);
  t.equal(version.stdout, `${pkg.version}\n`);
  const certs = await cli('certs');
  assertSuccess(t, certs);
  t.match(certs.stdout, /^Usage: c8y-mtls-mock certs \[options\] \[command\]/);
});

t.test('a failure is one line on stderr and exit code 1', async (t) => {
  const result = await cli('certs', 'bogus');
  assertFailure(t, result, /^c8y-mtls-mock: unknown command 'bogus' \(see 'c8y-mtls-mock certs --help'\)\n$/);
  t.equal(result.code, 1);
});

t.test('certs ca writes the certificate and its owner-only key', async (t) => {
  const result = await cli('certs', 'ca', '--cn', 'Spawned Root CA');
  assertSuccess(t, result);
  t.match(result.stdout, /^wrote spawned-root-ca\.pem\s+root CA 'CN=Spawned Root CA' \(EC P-256\)/m);
  t.equal(modeOf(join(dir, 'spawned-root-ca.key')), 0o600);
});
