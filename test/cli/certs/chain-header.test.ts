import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseChainHeader } from '../../../src/pki/chain-header.js';
import {
  assertFailure,
  assertSuccess,
  runCli,
  runTool,
  tempDir,
  writeCredential,
} from '../../helpers/cli.js';
import { TEST_NOW } from '../../helpers/clock.js';
import { device, intermediateCa, rootCa } from '../../helpers/pki.js';
import { startServer } from '../../helpers/server.js';

const dir = tempDir(t);
const now = TEST_NOW;
const root = await rootCa(now, 'Header Root CA');
const issuing = await intermediateCa(root, now, 'Header Issuing CA');
const leaf = await device(issuing, now, 'header-device');
await writeCredential(dir, 'issuing', issuing);
await writeCredential(dir, 'device', leaf.credential);
const cli = (...args: string[]) => runCli(args, { cwd: dir });

t.test('prints the X-Ssl-Cert-Chain value: one line, the certificates in file order', async (t) => {
  const result = await cli('certs', 'chain-header', 'issuing-chain.pem');
  assertSuccess(t, result);
  const value = result.stdout.replace(/\n$/, '');
  t.notMatch(value, /\n/, 'one line');
  t.match(
    value,
    /^-----BEGIN CERTIFICATE----- [A-Za-z0-9+/= ]+ -----END CERTIFICATE----- -----BEGIN CERTIFICATE-----/,
  );
  t.same(
    parseChainHeader(value),
    [issuing.certificate.der, root.certificate.der],
    'the mock reads back the same certificates',
  );
});

t.test('the printed value gets a device token when only the root is trusted', async (t) => {
  const server = await startServer(t, {
    listen: true,
    seed: {
      tenants: [
        {
          id: 't100',
          domain: 't100.example.test',
          users: [],
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
    },
  });
  writeFileSync(join(dir, 'server-ca.pem'), server.serverCa);
  const header = (await cli('certs', 'chain-header', 'issuing.pem')).stdout.trim();
  const url = `https://localhost:${server.port}/devicecontrol/deviceAccessToken`;
  const curl = (...extra: string[]) =>
    runTool(
      'curl',
      [
        '-sS',
        '--cert',
        'device.pem',
        '--key',
        'device.key',
        '--cacert',
        'server-ca.pem',
        ...extra,
        '-X',
        'POST',
        '-w',
        '\n%{http_code}',
        url,
      ],
      { cwd: dir },
    );
  t.match((await curl()).stdout, /\n401$/, 'without the intermediate the chain does not reach the root');
  const withHeader = await curl('-H', `X-Ssl-Cert-Chain: ${header}`);
  t.match(withHeader.stdout, /^\{"accessToken":"eyJ[^"]+"\}\n200$/, withHeader.stderr);
});

t.test('errors', async (t) => {
  assertFailure(
    t,
    await cli('certs', 'chain-header', 'missing.pem'),
    /cannot read chain file missing\.pem: no such file/,
  );
  assertFailure(
    t,
    await cli('certs', 'chain-header', 'device.key'),
    /device\.key holds no certificate \(found PRIVATE KEY\)/,
  );
  assertFailure(t, await cli('certs', 'chain-header'), /missing required argument 'file'/);
});
