import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from '../../src/log.js';
import { answerCertificates, deviceCsr, estServer, inject } from '../helpers/est.js';
import { ADMIN_PASSWORD, basic } from '../helpers/seeds.js';

/*
 * The tenant CA and EST at log level trace, in JSON: not one one-time
 * password, Basic credential, token or the CA's private key reaches the log.
 */
const OTP = 'Otp-S3cret-Value-81f3';
const WRONG_OTP = 'Wr0ng-Otp-Guess-22c9';

t.test('nothing secret in the log of an enrollment and a renewal', async (t) => {
  let log = '';
  const destination = new Writable({
    write(chunk, _encoding, done) {
      log += chunk.toString();
      done();
    },
  });
  const server = await estServer(t, {
    config: { adminSecret: 'est-log-admin-secret' },
    logger: createLogger({ level: 'trace', format: 'json', destination }),
  });
  const adminAuth = basic('t100/admin', ADMIN_PASSWORD);
  const json = { 'content-type': 'application/json', accept: 'application/json', authorization: adminAuth };

  t.equal(
    (await inject(server, { method: 'POST', url: '/certificate-authority', headers: json })).status,
    201,
  );
  const registered = await inject(server, {
    method: 'POST',
    url: '/devicecontrol/newDeviceRequests',
    headers: json,
    body: JSON.stringify({ id: 'secret-01', enrollmentToken: OTP }),
  });
  t.equal(registered.status, 201);
  const csr = await deviceCsr('CN=secret-01');
  const est = (authorization: string) =>
    inject(server, {
      method: 'POST',
      url: '/.well-known/est/simpleenroll',
      headers: { authorization, 'content-type': 'application/pkcs10' },
      body: csr.der.toString('base64'),
    });
  t.equal((await est(basic('secret-01', WRONG_OTP))).status, 401);
  const enrolled = await est(basic('secret-01', OTP));
  t.equal(enrolled.status, 200);
  // From here on the device presents its new certificate in the handshake.
  const peer = [(await answerCertificates(enrolled))[0]!.der];
  const token = (
    (
      await inject(server, {
        method: 'POST',
        url: '/devicecontrol/deviceAccessToken',
        headers: { accept: 'application/json' },
        clientCertificate: peer,
      })
    ).json() as { accessToken: string }
  ).accessToken;
  const renewed = await inject(server, {
    method: 'POST',
    url: '/.well-known/est/simplereenroll',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/pkcs10' },
    body: csr.der.toString('base64'),
    clientCertificate: peer,
  });
  t.equal(renewed.status, 200);

  t.match(log, /EST: certificate issued/, 'the log has the enrollment');
  t.match(log, /EST: certificate renewed/);
  const caKey = server.store
    .listCertificateAuthorityKeys()[0]!
    .privateKeyPem.replace(/-----[A-Z ]+-----|\s/g, '');
  for (const [name, secret] of [
    ['the one-time password', OTP],
    ['a wrong one-time password', WRONG_OTP],
    ['the Basic credentials', basic('secret-01', OTP).slice(6)],
    ["the administrator's Basic credentials", adminAuth.slice(6)],
    ['the token', token],
    ["the CA's private key", caKey.slice(20, 80)],
  ] as const) {
    t.notOk(log.includes(secret), `no ${name} in the log`);
  }
});
