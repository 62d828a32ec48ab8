import { execFile } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import t from 'tap';
import { requireProgram, tempDir } from '../helpers/cli.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, rootCa } from '../helpers/pki.js';
import { freePort, startServerProcess } from '../helpers/process.js';
import { until } from '../helpers/wait.js';

/*
 * Debian's mosquitto-clients against the built mock (npm run test:interop;
 * `apt-get install -y mosquitto-clients`): the command npm start prints, every
 * command of docs/mqtt-devices.md's "Try it with the demo" as printed (only
 * the ports differ), and the refusals as a real client reports them.
 */

requireProgram('mosquitto_rr', 'apt-get install -y mosquitto-clients');
const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const dir = tempDir(t, 'c8y-mosquitto-');
const mqttPort = await freePort();
const server = await startServerProcess(join(dir, 'certs'), ['--mqtt-port', String(mqttPort), '--ephemeral']);
t.teardown(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
});

/** Runs a shell script in the directory the mock made its certs in; never rejects. */
async function sh(script: string, timeout = 60_000) {
  try {
    const { stdout, stderr } = await run('sh', ['-ec', script], { cwd: dir, timeout });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The docs' ports are the defaults; this mock listens elsewhere. */
const ported = (text: string) =>
  text
    .replaceAll('-p 8883', `-p ${mqttPort}`)
    .replaceAll('localhost:8883', `localhost:${mqttPort}`)
    .replaceAll('localhost:8443', `localhost:${server.port}`);

const device0 = ['-V', 'mqttv311', '-h', 'localhost', '-p', String(mqttPort), '--cafile', 'certs/dev-ca.pem'];
const demoDevice = [...device0, '--cert', 'certs/demo-device.pem', '--key', 'certs/demo-device.key'];

t.test('the mosquitto_rr command the banner prints gets 71,<jwt>', async (t) => {
  await until(() => server.output().includes('-n -W 10\n'), 'the whole banner', 10_000);
  const output = server.output();
  const command = output.slice(output.indexOf('    mosquitto_rr')).split('\n\n')[0]!;
  t.match(command, /-p \d+ .* -i demo-device-0001 -t s\/uat -e s\/dat -n -W 10/s);
  const result = await sh(command);
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /^71,[\w-]+\.[\w-]+\.[\w-]+\n$/);
  t.match(decodeJwt(result.stdout.trim().slice(3)), {
    sub: 'device_demo-device-0001',
    ten: 't100',
    iss: 'localhost',
  });
});

t.test("docs/mqtt-devices.md's commands work as printed", async (t) => {
  const page = readFileSync(join(root, 'docs', 'mqtt-devices.md'), 'utf8');
  const section = page.slice(page.indexOf('## Try it with the demo'), page.indexOf('## Connecting'));
  const blocks = [...section.matchAll(/```(sh|js)\n([\s\S]*?)```/g)].map(([, kind, body]) => ({
    kind,
    body: body!,
  }));
  const shell = blocks.filter((b) => b.kind === 'sh').map((b) => b.body);
  t.equal(shell.length, 4, 'four shell blocks');
  // One terminal, in order: later blocks use MQTT, ADMIN and ID from earlier ones.
  const result = await sh(ported(shell.join('\n')));
  t.equal(result.code, 0, `the commands ran (stderr: ${result.stderr})`);
  const out = result.stdout;
  t.match(out, /^71,[\w-]+\.[\w-]+\.[\w-]+$/m, 'the token');
  t.match(out, /"c8y_Temperature":\{"T":\{"value":21\.5,"unit":"C"\}\}/, 'the measurement, through REST');
  t.match(out, /"severity":"CRITICAL"/, 'the alarm');
  t.match(out, /"type":"c8y_Overheat"/);
  t.match(out, /510,demo-device-0001\n/, "the operation on s/ds (after curl's answer, which has no newline)");
  t.match(out, /"status":"SUCCESSFUL"/, 'reported back');

  const js = blocks.find((b) => b.kind === 'js')!.body;
  writeFileSync(join(dir, 'device.mjs'), ported(js));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const node = await run(process.execPath, ['device.mjs'], { cwd: dir, timeout: 30_000 });
  t.match(node.stdout, /^s\/dat 71,eyJ/m, 'MQTT.js prints the 71 line');
  t.match(node.stdout, /^token eyJ/m);
});

t.test('refusals as mosquitto reports them', async (t) => {
  const v5 = await sh(
    [
      'mosquitto_rr',
      ...demoDevice.slice(2),
      '-i',
      'demo-device-0001',
      '-t',
      's/uat',
      '-e',
      's/dat',
      '-n',
      '-W',
      '5',
    ].join(' '),
  );
  t.equal(v5.code, 132, 'MQTT 5: mosquitto_rr exits 0x84');
  t.match(v5.stderr, /Unsupported Protocol Version/);

  const mismatch = await sh(
    ['mosquitto_rr', ...demoDevice, '-i', 'not-the-cn', '-t', 's/uat', '-e', 's/dat', '-n', '-W', '5'].join(
      ' ',
    ),
  );
  t.equal(mismatch.code, 5, 'a client ID other than the CN: CONNACK 5');

  const now = TEST_NOW;
  const stranger = await device(await rootCa(now, 'Nobody Trusts This CA'), now, 'stranger-01');
  writeFileSync(join(dir, 'stranger.pem'), stranger.certPem);
  writeFileSync(join(dir, 'stranger.key'), stranger.keyPem, { mode: 0o600 });
  const untrusted = await sh(
    [
      'mosquitto_rr',
      ...device0,
      '--cert',
      'stranger.pem',
      '--key',
      'stranger.key',
      '-i',
      'stranger-01',
      '-t',
      's/uat',
      '-e',
      's/dat',
      '-n',
      '-W',
      '5',
    ].join(' '),
  );
  t.not(untrusted.code, 0);
  t.match(
    untrusted.stderr,
    /The connection was lost/,
    'an untrusted certificate: closed after the handshake',
  );

  const subscribe = await sh(
    ['mosquitto_sub', ...demoDevice, '-i', 'demo-device-0001', '-t', 's/us', '-C', '1', '-W', '5', '-d'].join(
      ' ',
    ),
  );
  t.match(subscribe.stdout, /Subscribed \(mid: 1\): 128/, 'subscribing to s/us: SUBACK 0x80');
  t.match(subscribe.stderr, /All subscription requests were denied/);
});
