import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import t from 'tap';
import { assertFailure, assertSuccess, runCli, tempDir, writeCredential } from '../helpers/cli.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, intermediateCa, rootCa } from '../helpers/pki.js';
import { seedWith } from '../helpers/seeds.js';
import { call, startServer } from '../helpers/server.js';

const dir = tempDir(t);
const now = TEST_NOW;
const root = await rootCa(now, 'MQTT Token Root CA');
const issuing = await intermediateCa(root, now, 'MQTT Token Issuing CA');
const stranger = await rootCa(now, 'MQTT Token Stranger CA');
await writeCredential(dir, 'device', (await device(issuing, now, 'mqtt-cli-device')).credential);
await writeCredential(dir, 'stranger', (await device(stranger, now, 'stranger-device')).credential);

const server = await startServer(t, {
  mqtt: true,
  // The CLI's REST token opens its own TLS connection: a real listener for it.
  listen: true,
  seed: seedWith([{ id: 't100', domain: 't100.example.test', pem: root.certificate.pem }]),
});
writeFileSync(join(dir, 'server-ca.pem'), server.serverCa);
const mqttUrl = `mqtts://localhost:${server.mqttPort}`;
const cli = (...args: string[]) => runCli(args, { cwd: dir });

t.test(
  'mqtt-token: the token over s/uat, with its header and claims; REST gives the same token',
  async (t) => {
    const result = await cli(
      'mqtt-token',
      '--url',
      mqttUrl,
      '--cert',
      'device.pem',
      '--chain',
      'device-chain.pem',
      '--key',
      'device.key',
      '--cacert',
      'server-ca.pem',
    );
    assertSuccess(t, result);
    const token = result.stdout.split('\n')[0]!.replace(/^accessToken: /, '');
    t.match(decodeJwt(token), { sub: 'device_mqtt-cli-device', ten: 't100', iss: 't100.example.test' });
    t.match(result.stdout, /\nuser device_mqtt-cli-device of tenant t100; issued \S+Z, expires \S+Z/);
    t.equal(
      (await call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${token}` } }))
        .status,
      200,
    );

    const rest = await cli(
      'token',
      '--quiet',
      '--url',
      `https://localhost:${server.port}`,
      '--cert',
      'device-chain.pem',
      '--key',
      'device.key',
      '--cacert',
      'server-ca.pem',
    );
    assertSuccess(t, rest);
    t.equal(rest.stdout.trim(), token, 'both doors hand out the device’s one token');

    const quiet = await cli(
      'mqtt-token',
      '--quiet',
      '--url',
      mqttUrl,
      '--cert',
      'device-chain.pem',
      '--key',
      'device.key',
      '--client-id',
      'd:mqtt-cli-device',
      '--cacert',
      'server-ca.pem',
    );
    assertSuccess(t, quiet);
    t.equal(quiet.stdout, `${token}\n`, '--quiet prints the token alone; d:<CN> works as client ID');
  },
);

t.test('mqtt-token: refusals say what happened, in one line', async (t) => {
  const device = ['--cert', 'device-chain.pem', '--key', 'device.key', '--cacert', 'server-ca.pem'];
  assertFailure(
    t,
    await cli('mqtt-token', '--url', mqttUrl, ...device, '--client-id', 'someone-else'),
    /no MQTT connection to localhost:\d+: CONNACK 5, not authorized/,
  );
  assertFailure(
    t,
    await cli(
      'mqtt-token',
      '--url',
      mqttUrl,
      '--cert',
      'stranger.pem',
      '--key',
      'stranger.key',
      '--cacert',
      'server-ca.pem',
    ),
    /no MQTT connection to localhost:\d+: .*refused at the TLS handshake/,
  );
  assertFailure(
    t,
    await cli('mqtt-token', '--url', `https://localhost:${server.mqttPort}`, ...device),
    /--url 'https:\/\/localhost:\d+': use an mqtts:\/\/ URL/,
  );
  assertFailure(
    t,
    await cli('mqtt-token', '--url', mqttUrl, '--cert', 'device.pem', '--key', 'stranger.key'),
    /does not belong|not the key|match/i,
  );
});
