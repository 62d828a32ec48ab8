import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import t from 'tap';
import { freePort } from './helpers/process.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

/** Reads a child's stdout until `done` says the text so far is enough. */
function readUntil(
  child: ChildProcess,
  done: (text: string) => boolean,
  timeoutMs = 120_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out; output so far:\n${text}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (done(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}; output:\n${text}`));
    });
  });
}

t.test('npm start on a fresh directory prints a curl command that works when pasted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'c8y-start-'));
  const child = spawn(
    'npm',
    [
      'start',
      '--',
      '--port',
      '0',
      '--mqtt-port',
      String(await freePort()),
      '--host',
      '127.0.0.1',
      '--certs-dir',
      join(dir, 'certs'),
      '--data-dir',
      join(dir, 'data'),
      '--log-format',
      'json',
    ],
    { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {}
  });
  const output = await readUntil(child, (text) => /-t s\/uat -e s\/dat -n -W 10\s*\n/.test(text));
  t.match(output, /created development CA/);
  t.match(output, /created demo device certificate .*CN=demo-device-0001/);
  t.match(output, /demo administrator: t100\/admin, password \S+/);
  const command = output.slice(output.indexOf('    curl -v')).split('\n\n')[0]!;
  t.match(
    command,
    /curl -v --cert \S+demo-device\.pem --key \S+demo-device\.key \\\n\s+--cacert \S+dev-ca\.pem \\\n\s+-H 'Accept: application\/json' \\\n\s+-X POST \\\n\s+https:\/\/localhost:\d+\/devicecontrol\/deviceAccessToken/,
  );

  const { stdout } = await run('sh', ['-c', command.replace('curl -v', 'curl -sS')], { cwd: root });
  const { accessToken } = JSON.parse(stdout) as { accessToken: string };
  t.match(decodeJwt(accessToken), {
    sub: 'device_demo-device-0001',
    ten: 't100',
    iss: 'localhost',
    tci: 'device_token_config',
  });

  // The MQTT command is printed too; test/mqtt/mosquitto.interop.test.ts runs it (it needs mosquitto_rr).
  t.match(output, /MQTT over TLS for devices on mqtts:\/\/localhost:\d+/);
  t.match(output, /mosquitto_rr -V mqttv311 .* -i demo-device-0001 -t s\/uat -e s\/dat -n -W 10/s);

  // The built server finds the dashboard's files (ui/ beside dist/).
  const dashboard = /dashboard for training labs: (https:\/\/localhost:\d+\/)/.exec(output)?.[1];
  t.ok(dashboard, 'the dashboard address is printed');
  const script = await run('curl', [
    '-sS',
    '--cacert',
    join(dir, 'certs', 'dev-ca.pem'),
    `${dashboard}_mock/ui/app.js`,
  ]);
  t.match(script.stdout, /^\/\/ The dashboard page/);
});

t.test('bad options are one line on stderr and exit 2', async (t) => {
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
      ['serve', '--seed', '/nonexistent/seed.json', '--certs-dir', mkdtempSync(join(tmpdir(), 'c8y-bad-'))],
      /^c8y-mtls-mock: cannot read seed file \/nonexistent\/seed\.json: ENOENT\n$/,
    ],
  ];
  for (const [args, message] of cases) {
    const result = await run('node', ['dist/main.js', ...args], { cwd: root }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    t.not(result.code, 0, `${args.join(' ')}: non-zero exit`);
    t.match(result.stderr, message, args.join(' '));
    t.notMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
});
