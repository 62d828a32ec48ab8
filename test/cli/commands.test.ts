import { readFileSync } from 'node:fs';
import t from 'tap';
import { assertFailure, assertSuccess, runCli, tempDir } from '../helpers/cli.js';

const dir = tempDir(t);
const cli = (...args: string[]) => runCli(args, { cwd: dir });
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
};

t.test('one executable: the bin is the built entry, npm start builds and serves', async (t) => {
  t.same(pkg.bin, { 'c8y-mtls-mock': 'dist/bin.cjs' });
  t.equal(pkg.scripts.prestart, 'npm run build');
  t.equal(pkg.scripts.start, 'node dist/bin.cjs serve');
  const version = await cli('--version');
  assertSuccess(t, version);
  t.equal(version.stdout, `${pkg.version}\n`);
});

const COMMANDS = [
  ['serve'],
  ['certs'],
  ['certs', 'ca'],
  ['certs', 'intermediate'],
  ['certs', 'device'],
  ['certs', 'server'],
  ['certs', 'chain-header'],
  ['certs', 'p12'],
  ['certs', 'pop'],
  ['certs', 'inspect'],
  ['upload'],
  ['token'],
  ['logout'],
];

t.test('--help on every command', async (t) => {
  const root = await cli('--help');
  assertSuccess(t, root);
  for (const name of ['serve', 'certs', 'upload', 'token', 'logout']) {
    t.match(root.stdout, new RegExp(`\\n  ${name} `), `lists ${name}`);
  }
  for (const command of COMMANDS) {
    const result = await cli(...command, '--help');
    assertSuccess(t, result);
    t.match(
      result.stdout,
      new RegExp(`^Usage: c8y-mtls-mock ${command.join(' ')} `),
      `${command.join(' ')} --help`,
    );
  }
  const certs = await cli('certs');
  assertSuccess(t, certs);
  t.match(
    certs.stdout,
    /^Usage: c8y-mtls-mock certs \[options\] \[command\]/,
    'a group alone shows its help',
  );
  for (const name of ['ca', 'intermediate', 'device', 'server', 'chain-header', 'p12', 'pop', 'inspect']) {
    t.match(certs.stdout, new RegExp(`\\n  ${name} `), `certs lists ${name}`);
  }
  for (const command of ['upload', 'token', 'logout']) {
    const help = (await cli(command, '--help')).stdout.replace(/\s+/g, ' ');
    t.match(
      help,
      /--url <url> .*\(default: "https:\/\/localhost:8443", env: C8Y_HOST\)/,
      `${command}: --url, C8Y_HOST`,
    );
    t.match(help, /--cacert <file> .*\(env: C8Y_MOCK_CACERT\)/, `${command}: --cacert, C8Y_MOCK_CACERT`);
  }
});

t.test('usage errors are one line too', async (t) => {
  assertFailure(
    t,
    await cli('frobnicate'),
    /^c8y-mtls-mock: unknown command 'frobnicate' \(see 'c8y-mtls-mock --help'\)\n$/,
  );
  assertFailure(
    t,
    await cli('certs', 'bogus'),
    /^c8y-mtls-mock: unknown command 'bogus' \(see 'c8y-mtls-mock certs --help'\)\n$/,
  );
  assertFailure(t, await cli('certs', 'ca', '--bogus'), /^c8y-mtls-mock: unknown option '--bogus'/);
  assertFailure(
    t,
    await cli('certs', 'ca', '--days', 'ten'),
    /option '--days <n>' argument 'ten' is invalid\. must be a whole number/,
  );
  assertFailure(t, await cli('certs', 'inspect', 'a.pem', 'b.pem'), /too many arguments for 'inspect'/);
});
