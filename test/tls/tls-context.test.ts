import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { createRootCa, generateKeyPair } from '../../src/pki/certificate-factory.js';
import { MAX_ADVERTISED_NAME_BYTES, tlsContext } from '../../src/tls/tls-context.js';
import { TEST_NOW } from '../helpers/clock.js';
import { DAY, device, rootCa } from '../helpers/pki.js';
import { adminSeed } from '../helpers/seeds.js';
import { requestToken, startServer } from '../helpers/server.js';

const run = promisify(execFile);
const now = TEST_NOW;

/** What `openssl s_client` reports as the CA names the server asked for. */
async function advertised(port: number): Promise<string> {
  const { stdout } = await run('sh', [
    '-c',
    `echo | openssl s_client -connect 127.0.0.1:${port} -servername localhost 2>/dev/null`,
  ]);
  return stdout;
}

t.test(
  'more trusted certificates than one handshake can name: none advertised, devices still get tokens',
  async (t) => {
    const keys = await generateKeyPair();
    // Long names (about 230 bytes each), so that a few hundred anchors exceed what one handshake can name.
    const long = (text: string) => text.padEnd(64, '.');
    const many = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        createRootCa({
          subject: [
            { CN: [long(`Fleet CA number ${i}`)] },
            { OU: [long('Device fleet of a customer with a long name')] },
            { O: [long('c8y-mtls-mock tests')] },
          ],
          keys,
          notBefore: new Date(now - DAY),
          notAfter: new Date(now + DAY),
        }),
      ),
    );
    const context = tlsContext(
      { key: 'k', cert: 'c' },
      many.map((c) => c.certificate),
    );
    t.equal(context.complete, false, `${many.length} names exceed ${MAX_ADVERTISED_NAME_BYTES} bytes`);
    t.same(context.ca, []);
    t.equal(
      tlsContext(
        { key: 'k', cert: 'c' },
        many.slice(0, 10).map((c) => c.certificate),
      ).ca.length,
      10,
      'a few are all advertised',
    );

    const own = await rootCa(now, 'Own CA');
    const server = await startServer(t, {
      listen: true,
      seed: adminSeed([
        {
          id: 't100',
          trusted: [{ pem: own.certificate.pem }, ...many.map((c) => ({ pem: c.certificate.pem }))],
        },
      ]),
    });
    t.match(await advertised(server.port), /No client certificate CA names sent/);
    const dev = await device(own, now, 'many-anchors-01');
    t.equal(
      (await requestToken(server, { cert: dev.certPem, key: dev.keyPem })).status,
      200,
      'the handshake and the token request succeed',
    );

    const small = await startServer(t, {
      listen: true,
      seed: adminSeed([{ id: 't100', trusted: [{ pem: own.certificate.pem }] }]),
    });
    t.match(await advertised(small.port), /Acceptable client certificate CA names\n.*CN = Own CA/);
  },
);
