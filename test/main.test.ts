import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import t from 'tap';
import { assertSuccess, childEnv, executable, runCli, tempDir, writeCredential } from './helpers/cli.js';
import { TEST_NOW } from './helpers/clock.js';
import { ALWAYS, rootCa } from './helpers/pki.js';
import { freePort } from './helpers/process.js';
import { until } from './helpers/wait.js';

/*
 * The mock as a new user meets it: `c8y-mtls-mock serve` on a fresh directory, the executable
 * `npm start` runs (the built one, or the source when the build is older than src/: see CLI and
 * executable in helpers/cli.ts; `npm start` builds first, and commands.test.ts holds the script
 * to that).
 */
const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

/** Reads a stream until `done` says the text so far is enough. */
function readUntil(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  done: (text: string) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child[stream]?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (done(text)) resolve(text);
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}; ${stream} so far:\n${text}`)));
  });
}

/** The README's sample start-up output: the first `text` block of its quick start. */
function readmeSample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const quickStart = readme.slice(readme.indexOf('## Quick start'));
  const block = /```text\n([\s\S]*?)```/.exec(quickStart)?.[1];
  if (block === undefined) throw new Error('the README has no text block in its quick start');
  return block;
}

t.test(
  'serve on a fresh directory: what it prints is the README’s, and each command in it works',
  async (t) => {
    const cwd = tempDir(t, 'c8y-start-');
    // As `npm start` on a terminal, except the port and address, and the log format (stdout is a pipe here).
    // MQTT on a free port: test files run side by side, 8883 may be taken.
    const mqttPort = await freePort();
    const apiPort = await freePort();
    const [node, argv] = executable([
      'serve',
      '--port',
      '0',
      '--api-port',
      String(apiPort),
      '--mqtt-port',
      String(mqttPort),
      '--host',
      '127.0.0.1',
    ]);
    const child = spawn(node, argv, {
      cwd,
      env: childEnv(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.teardown(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
    });
    let log = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    const said = await readUntil(child, 'stderr', (text) => /-t s\/uat -e s\/dat -n -W 10\n\n$/.test(text));
    const port = /listening on https:\/\/localhost:(\d+)/.exec(said)![1]!;
    const password = /demo administrator: t100\/admin, password (\S+)/.exec(said)![1]!;
    const secret = /Authorization: Bearer (\S+)/.exec(said)![1]!;

    t.equal(
      said
        .replaceAll(`localhost:${port}`, 'localhost:8443')
        .replaceAll(`localhost:${mqttPort}`, 'localhost:8883')
        .replaceAll(`localhost:${apiPort}`, 'localhost:9443')
        .replace(`-p ${mqttPort} `, '-p 8883 ')
        .replace('(bound to 127.0.0.1)', '(bound to 0.0.0.0)')
        .replaceAll(password, '<generated>')
        .replaceAll(secret, '<generated>')
        .replaceAll(`${cwd}/`, '/path/to/c8y-mtls-mock/')
        .replace(/\n\n$/, '\n'), // the banner ends with a blank line
      readmeSample().replace('c8y-mtls-mock 0.1.0', `c8y-mtls-mock ${pkg.version}`),
      'stderr is the README’s sample, but for the port, address, generated secrets and directory',
    );

    // The curl command, pasted as printed.
    const command = said.slice(said.indexOf('    curl -v')).split('\n\n')[0]!;
    const { stdout } = await run('sh', ['-c', command.replace('curl -v', 'curl -sS')], { cwd });
    const { accessToken } = JSON.parse(stdout) as { accessToken: string };
    t.match(decodeJwt(accessToken), {
      sub: 'device_demo-device-0001',
      ten: 't100',
      iss: 'localhost',
      tci: 'device_token_config',
    });

    // The export lines, then the CLI from another directory with nothing but them.
    const exported: Record<string, string> = {};
    for (const line of said.split('\n').filter((l) => l.startsWith('    export '))) {
      for (const [, name, value] of line.matchAll(/(\w+)=(\S+)/g)) exported[name!] = value!;
    }
    t.same(Object.keys(exported).sort(), [
      'C8Y_HOST',
      'C8Y_MOCK_CACERT',
      'C8Y_PASSWORD',
      'C8Y_TENANT',
      'C8Y_USER',
    ]);
    const elsewhere = tempDir(t);
    const fleet = await rootCa(TEST_NOW, 'Exported Fleet CA', ALWAYS);
    await writeCredential(elsewhere, 'fleet', fleet);
    const upload = await runCli(['upload', '--cert', 'fleet.pem'], { cwd: elsewhere, env: exported });
    assertSuccess(t, upload);
    t.match(
      upload.stdout,
      new RegExp(`^uploaded 'Exported Fleet CA' to tenant t100 at https://localhost:${port}\\n`),
    );
    const token = await runCli(
      [
        'token',
        '--quiet',
        '--cert',
        join(cwd, 'certs/demo-device.pem'),
        '--key',
        join(cwd, 'certs/demo-device.key'),
      ],
      { cwd: elsewhere, env: exported },
    );
    assertSuccess(t, token);
    assertSuccess(
      t,
      await runCli(['logout', '--token', token.stdout.trim()], { cwd: elsewhere, env: exported }),
    );

    // The MQTT door is printed too; test/mqtt/mosquitto.interop.test.ts runs its command (it needs mosquitto_rr).
    t.match(said, new RegExp(`MQTT over TLS for devices on mqtts://localhost:${mqttPort}`));
    t.match(said, /mosquitto_rr -V mqttv311 .* -i demo-device-0001 -t s\/uat -e s\/dat -n -W 10/s);

    // The built server finds the dashboard's files (ui/ beside dist/).
    const dashboard = /dashboard for training labs: (https:\/\/localhost:\d+\/)/.exec(said)?.[1];
    const script = await run('curl', [
      '-sS',
      '--cacert',
      join(cwd, 'certs/dev-ca.pem'),
      `${dashboard}_mock/ui/app.js`,
    ]);
    t.match(script.stdout, /^\/\/ The dashboard page/);

    // Meanwhile the log: on stdout, JSON lines only (one per request), nothing of the banner.
    await until(() => log.includes('/_mock/ui/app.js'), 'the log line of the last request');
    for (const line of log.trimEnd().split('\n')) {
      t.doesNotThrow(() => JSON.parse(line), `stdout is JSON log lines only: ${line.slice(0, 60)}`);
    }
  },
);

t.test('bad options are one line on stderr and exit 2', async (t) => {
  const cwd = tempDir(t, 'c8y-bad-');
  const cases: [string[], RegExp][] = [
    [
      ['serve', '--port', 'eighty'],
      /option '--port <port>' argument 'eighty' is invalid\. must be a whole number/,
    ],
    [
      ['serve', '--port', '70000'],
      /^c8y-mtls-mock: --port must be a whole number from 0 to 65535; got 70000\n$/,
    ],
    [
      ['serve', '--seed', '/nonexistent/seed.json', '--certs-dir', join(cwd, 'certs')],
      /^c8y-mtls-mock: cannot read seed file \/nonexistent\/seed\.json: ENOENT\n$/, // before making any file
    ],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args, { cwd });
    t.not(result.code, 0, `${args.join(' ')}: non-zero exit`);
    t.equal(result.code, 2, 'exit code 2: the server cannot start as configured');
    t.match(result.stderr, message, args.join(' '));
    t.notMatch(result.stderr, /\n\s+at /, 'no stack trace');
    t.equal(result.stdout, '', 'nothing on stdout');
  }
  const loud = await runCli(['serve', '--log-level', 'loud'], { cwd });
  t.equal(loud.code, 2, 'a choice that is not one: exit 2');
  t.match(
    loud.stderr,
    /^c8y-mtls-mock: option '--log-level <level>' argument 'loud' is invalid\. Allowed choices are /,
  );
  const fromEnv = await runCli(['serve'], { cwd, env: { C8Y_MOCK_PORT: 'abc' } });
  t.equal(fromEnv.code, 2, 'a bad variable: exit 2');
  t.match(fromEnv.stderr, /value 'abc' from env 'C8Y_MOCK_PORT' is invalid/);
  t.equal((await runCli(['serve', '--help'], { cwd })).code, 0, 'help still exits 0');
});
