import { execFile } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:tls';
import { promisify } from 'node:util';
import t from 'tap';
import {
  commonName,
  createRootCa,
  createServerCertificate,
  exportPrivateKeyPem,
} from '../../src/pki/certificate-factory.js';
import { followTrust } from '../../src/tls/follow-trust.js';
import { TEST_NOW } from '../helpers/clock.js';
import { DAY, rootCa } from '../helpers/pki.js';
import { adminSeed } from '../helpers/seeds.js';
import { startServer } from '../helpers/server.js';

const run = promisify(execFile);
const now = TEST_NOW;

/** The CA names a TLS server asks client certificates from, as `openssl s_client` shows them. */
async function acceptableCaNames(port: number): Promise<string[]> {
  const pending = run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2']);
  pending.child.stdin?.end();
  const { stdout } = await pending;
  const section = stdout.split('Acceptable client certificate CA names\n')[1];
  if (!section) return [];
  const names: string[] = [];
  for (const line of section.split('\n')) {
    if (/^(Requested|Client Certificate Types|Shared|Peer|---)/.test(line)) break;
    names.push(line.trim());
  }
  return names;
}

t.test('a second plain tls.Server follows the trust registry with one call', async (t) => {
  const seeded = await rootCa(now, 'Seeded CA');
  const added = await rootCa(now, 'Added Later CA');
  const mock = await startServer(t, {
    listen: false,
    seed: adminSeed([{ id: 't100', trusted: [{ pem: seeded.certificate.pem }] }]),
  });
  const { trust } = mock.app.services;

  const serverCa = await createRootCa({
    subject: commonName('second listener CA'),
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
  });
  const identity = await createServerCertificate({
    issuer: serverCa,
    subject: commonName('localhost'),
    names: ['localhost', '127.0.0.1'],
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
  });
  const credentials = {
    key: await exportPrivateKeyPem(identity.keys.privateKey),
    cert: identity.certificate.pem,
  };
  // What issue 14's MQTT listener will be: a tls.Server of its own, asking for client certificates.
  const listener = createServer({ ...credentials, requestCert: true, rejectUnauthorized: false }, (socket) =>
    socket.end(),
  );
  const warnings: string[] = [];
  const unfollow = followTrust(listener, credentials, trust, { warn: (message) => warnings.push(message) });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  t.teardown(() => new Promise((resolve) => listener.close(resolve)));
  const { port } = listener.address() as AddressInfo;

  t.match(await acceptableCaNames(port), [/CN = Seeded CA/], 'it starts with the seeded anchor');

  const { record } = trust.add('t100', {
    certInPemFormat: added.certificate.pem,
    autoRegistrationEnabled: false,
  });
  const afterAdd = await acceptableCaNames(port);
  t.equal(afterAdd.length, 2, 'an added certificate is advertised at the next handshake');
  t.ok(afterAdd.some((name) => /CN = Added Later CA/.test(name)));

  trust.update('t100', record.fingerprint, { status: 'DISABLED' });
  const afterDisable = await acceptableCaNames(port);
  t.equal(afterDisable.length, 1, 'a disabled certificate is no longer advertised');
  t.match(afterDisable, [/CN = Seeded CA/]);

  unfollow();
  trust.update('t100', record.fingerprint, { status: 'ENABLED' });
  await Promise.resolve();
  t.equal((await acceptableCaNames(port)).length, 1, 'after unfollowing, changes no longer reach it');
  t.same(warnings, [], 'the names fit in a handshake: nothing to warn about');
});
