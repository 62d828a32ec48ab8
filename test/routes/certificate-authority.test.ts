import { createPublicKey } from 'node:crypto';
import t from 'tap';
import { Certificate } from '../../src/pki/certificate.js';
import { basic } from '../helpers/admin.js';
import {
  answerCertificates,
  asAdmin,
  deviceCsr,
  EST_NOW,
  enroll,
  estServer,
  inject,
  registerWithOtp,
} from '../helpers/est.js';
import { estApiSpec } from '../helpers/openapi.js';
import type { TestServer } from '../helpers/server.js';

/*
 * The tenant's own certificate authority: made with POST /certificate-authority,
 * renewed, read, changed and deleted as a trusted certificate. Through inject,
 * on a fixed clock.
 */
const spec = estApiSpec();
const DAY = 86_400_000;
const TRUSTED = '/tenant/tenants/t100/trusted-certificates';

interface TrustedJson {
  fingerprint: string;
  subject: string;
  issuer: string;
  certInPemFormat: string;
  tenantCertificateAuthority: boolean;
  autoRegistrationEnabled: boolean;
  notBefore: string;
  notAfter: string;
  name: string;
  status: string;
}

const create = (server: TestServer) => asAdmin(server, 'POST', '/certificate-authority');
const listCa = async (server: TestServer) =>
  (
    (await asAdmin(server, 'GET', `${TRUSTED}?certificateAuthority=true`)).json() as {
      certificates: TrustedJson[];
    }
  ).certificates;
const der = (json: TrustedJson) => Buffer.from(json.certInPemFormat, 'base64');

t.test(
  'POST /certificate-authority makes the tenant CA: a trusted certificate with its key kept here',
  async (t) => {
    const server = await estServer(t);
    t.same(await listCa(server), [], 'no CA at first: the filter returns an empty list');

    const response = await create(server);
    t.equal(response.status, 201);
    spec.assert(t, 'post', '/certificate-authority', response);
    const ca = response.json() as TrustedJson;
    t.match(ca, {
      tenantCertificateAuthority: true,
      autoRegistrationEnabled: true,
      status: 'ENABLED',
      algorithmName: 'SHA256withECDSA',
      // The 2026 platform's name, by default: O=<tenant domain>, CN=<tenant ID>.
      subject: 'CN=t100, O=t100.example.test',
      issuer: 'CN=t100, O=t100.example.test',
      notBefore: '2026-06-01T12:00:00.000Z',
      // 1095 days, as the docs give the CA's lifetime.
      notAfter: new Date(Date.parse('2026-06-01T12:00:00.000Z') + 1095 * DAY).toISOString(),
      serialNumber: String(EST_NOW),
    });
    const certificate = Certificate.fromDer(der(ca));
    t.equal(certificate.isCa, true, 'basicConstraints CA:true');
    t.equal(certificate.allowsCertificateSigning, true, 'keyCertSign');
    t.equal(certificate.keyDescription, 'EC P-256');

    const listed = await listCa(server);
    t.same(
      listed.map((c) => c.fingerprint),
      [ca.fingerprint],
      'certificateAuthority=true lists the CA (as go-c8y reads it)',
    );
    const all = (await asAdmin(server, 'GET', TRUSTED)).json() as { certificates: TrustedJson[] };
    t.equal(all.certificates.length, 1, 'and it is one of the trusted certificates');
    const single = await asAdmin(server, 'GET', `${TRUSTED}/${ca.fingerprint}`);
    t.equal((single.json() as TrustedJson).tenantCertificateAuthority, true);

    const again = await create(server);
    t.equal(again.status, 409, 'one CA per tenant');
    t.same(again.json(), {
      error: 'Certificate Authority (CA)/Conflict',
      message: 'Duplicate - Tenant CA is already exists.',
      info: 'https://www.cumulocity.com/guides/reference-guide/#error_reporting',
    });
    spec.assert(t, 'post', '/certificate-authority', again);
    t.same(await listCa(server).then((l) => l.length), 1, 'the 409 made nothing');

    const other = await asAdmin(
      server,
      'GET',
      '/tenant/tenants/t200/trusted-certificates?certificateAuthority=true',
      undefined,
      basic('t200/admin'),
    );
    t.same(
      (other.json() as { certificates: unknown[] }).certificates,
      [],
      "another tenant's list does not show it",
    );
  },
);

t.test('who may make a CA: an administrator; 401 without credentials, 403 for a device token', async (t) => {
  const server = await estServer(t);
  const anonymous = await inject(server, {
    method: 'POST',
    url: '/certificate-authority',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
  });
  t.equal(anonymous.status, 401);
  spec.assert(t, 'post', '/certificate-authority', anonymous);
  const wrong = await asAdmin(
    server,
    'POST',
    '/certificate-authority',
    undefined,
    basic('t100/admin', 'nope'),
  );
  t.equal(wrong.status, 401);

  // A device with a token: enrolled from the CA made by the administrator.
  t.equal((await create(server)).status, 201);
  const token = await enrolledDeviceToken(server, 'ca-device-01');
  const forbidden = await asAdmin(server, 'POST', '/certificate-authority', undefined, `Bearer ${token}`);
  t.equal(forbidden.status, 403);
  t.match(forbidden.json(), { error: 'security/Forbidden' });
  spec.assert(t, 'post', '/certificate-authority', forbidden);
  const renew = await asAdmin(server, 'POST', '/certificate-authority/renew', undefined, `Bearer ${token}`);
  t.equal(renew.status, 403);
});

t.test('the CA subject and auto-registration follow the options', async (t) => {
  const server = await estServer(t, {
    config: { enrollment: { caSubject: 'classic', caAutoRegistration: false, caValidityMs: 400 * DAY } },
  });
  const ca = (await create(server)).json() as TrustedJson;
  // The 2025 platform and the docs: C=United States (a PrintableString longer than two letters).
  t.equal(ca.subject, 'CN=t100, O=Cumulocity, C=United States');
  t.equal(ca.autoRegistrationEnabled, false);
  t.equal(ca.notAfter, new Date(Date.parse('2026-06-01T12:00:00.000Z') + 400 * DAY).toISOString());

  const templated = await estServer(t, {
    config: { enrollment: { caSubject: 'OU=Devices,O={domain},CN={tenantId} CA' } },
  });
  t.equal(
    ((await create(templated)).json() as TrustedJson).subject,
    'CN=t100 CA, O=t100.example.test, OU=Devices',
  );
});

t.test(
  'renewal: refused while more than 18 months are left, then the same name and key with new dates',
  async (t) => {
    const server = await estServer(t);
    const renewMissing = await asAdmin(server, 'POST', '/certificate-authority/renew');
    t.equal(renewMissing.status, 404);
    t.same(renewMissing.json(), {
      error: 'Certificate Authority (CA)/Not Found',
      message: 'Tenant Certificate Authority (CA) object not found for tenant t100',
      info: 'https://www.cumulocity.com/guides/reference-guide/#error_reporting',
    });
    spec.assert(t, 'post', '/certificate-authority/renew', renewMissing);

    const first = (await create(server)).json() as TrustedJson;
    const early = await asAdmin(server, 'POST', '/certificate-authority/renew');
    t.equal(early.status, 404, 'not eligible: 1095 days left');
    t.match(early.json(), {
      error: 'Certificate Authority (CA)/Not Found',
      message:
        /not eligible for renewal: it is valid until 2029-05-31T12:00:00.000Z, more than 18 months from now; renew it from 2027-11-30T12:00:00.000Z/,
    });

    // 18 months before the end, renewal is allowed; a device enrolled then holds a token under the first certificate.
    server.clock.set(Date.parse('2027-11-30T12:00:00.000Z'));
    const token = await enrolledDeviceToken(server, 'renew-device-01');
    const renewed = await asAdmin(server, 'POST', '/certificate-authority/renew');
    t.equal(renewed.status, 201);
    spec.assert(t, 'post', '/certificate-authority/renew', renewed);
    const second = renewed.json() as TrustedJson;
    t.not(second.fingerprint, first.fingerprint, 'a new certificate');
    t.match(second, {
      subject: first.subject,
      name: first.name,
      status: 'ENABLED',
      autoRegistrationEnabled: true,
      tenantCertificateAuthority: true,
      notBefore: '2027-11-30T12:00:00.000Z',
      notAfter: new Date(Date.parse('2027-11-30T12:00:00.000Z') + 1095 * DAY).toISOString(),
    });
    const key = (json: TrustedJson) =>
      createPublicKey({ key: Certificate.fromDer(der(json)).spki, format: 'der', type: 'spki' }).export({
        format: 'jwk',
      });
    t.same(key(second), key(first), 'the same key pair');
    t.same(
      (await listCa(server)).map((c) => c.fingerprint),
      [second.fingerprint],
      'the renewed certificate replaces the old one',
    );
    const token2 = await asAdmin(server, 'GET', '/user/currentUser', undefined, `Bearer ${token}`);
    t.equal(token2.status, 200, 'the token issued under the old certificate stays valid');

    // Certificates issued before the renewal verify with the renewed CA (same name and key).
    const login = await tokenFor(server, server.app.services.issuedCertificates.list('t100', 1)[0]!.certDer);
    t.equal(login.status, 200, 'a certificate issued before renewal still gets a token');
  },
);

t.test(
  'PUT and DELETE through the trusted-certificates API: deleting the CA removes its key pair',
  async (t) => {
    const server = await estServer(t);
    const ca = (await create(server)).json() as TrustedJson;
    const updated = await asAdmin(server, 'PUT', `${TRUSTED}/${ca.fingerprint}`, {
      autoRegistrationEnabled: false,
    });
    t.equal(updated.status, 200);
    t.match(updated.json(), { autoRegistrationEnabled: false, tenantCertificateAuthority: true });

    const deleted = await asAdmin(server, 'DELETE', `${TRUSTED}/${ca.fingerprint}`);
    t.equal(deleted.status, 204);
    t.same(server.store.listCertificateAuthorityKeys(), [], 'the key went with the certificate');
    t.same(await listCa(server), []);
    const recreated = await create(server);
    t.equal(recreated.status, 201, 'a new CA can be made');
    t.not((recreated.json() as TrustedJson).fingerprint, ca.fingerprint);
  },
);

/** Enrolls a device with a one-time password and returns its token (over the certificate seam). */
async function enrolledDeviceToken(server: TestServer, id: string): Promise<string> {
  await registerWithOtp(server, [[id, 'one-time-pw']]);
  const csr = await deviceCsr(`CN=${id}`);
  const answer = await enroll(server, id, 'one-time-pw', csr.der);
  if (answer.status !== 200) throw new Error(`enrollment failed: ${answer.status} ${answer.text}`);
  const response = await tokenFor(server, (await answerCertificates(answer))[0]!.der);
  if (response.status !== 200) throw new Error(`no token: ${response.status} ${response.text}`);
  return (response.json() as { accessToken: string }).accessToken;
}

function tokenFor(server: TestServer, certificate: Buffer) {
  return inject(server, {
    method: 'POST',
    url: '/devicecontrol/deviceAccessToken',
    headers: { accept: 'application/json' },
    clientCertificate: [certificate],
  });
}
