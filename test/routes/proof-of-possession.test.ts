import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import t from 'tap';
import { type Credential, exportPrivateKeyPem } from '../../src/pki/certificate-factory.js';
import { admin, adminSeed, assertError, basic } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { openApi } from '../helpers/openapi.js';
import { device, header, intermediateCa, rootCa } from '../helpers/pki.js';
import { requestToken, startServer } from '../helpers/server.js';

const run = promisify(execFile);
const now = TEST_NOW;
const spec = openApi();
const POP = '/tenant/tenants/{tenantId}/trusted-certificates-pop/{fingerprint}';

const ecRoot = await rootCa(now, 'PoP EC Root');
const rsaRoot = await rootCa(now, 'PoP RSA Root', { keySpec: { type: 'rsa', bits: 2048 } });
const stranger = await rootCa(now, 'Stranger');

/** The docs' command: `openssl dgst -sha256 -sign <key> <code.txt> | openssl base64 -A`. */
async function signWithOpenssl(ca: Credential, code: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'c8y-pop-'));
  writeFileSync(join(dir, 'key.pem'), await exportPrivateKeyPem(ca.keys.privateKey));
  writeFileSync(join(dir, 'code.txt'), code);
  await run('openssl', [
    'dgst',
    '-sha256',
    '-sign',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'sig.bin'),
    join(dir, 'code.txt'),
  ]);
  const { stdout } = await run('openssl', ['base64', '-A', '-in', join(dir, 'sig.bin')]);
  return stdout.trim();
}

const popPath = (tenantId: string, fingerprint: string, action: string) =>
  `/tenant/tenants/${tenantId}/trusted-certificates-pop/${fingerprint}/${action}`;

type Cert = {
  proofOfPossessionValid: boolean;
  proofOfPossessionUnsignedVerificationCode?: string;
  proofOfPossessionVerificationCodeUsableUntil?: string;
};

for (const [kind, ca] of [
  ['RSA', rsaRoot],
  ['ECDSA', ecRoot],
] as const) {
  t.test(`proof of possession with an ${kind} key signed by openssl`, async (t) => {
    const server = await startServer(t, {
      seed: adminSeed([{ id: 't100', trusted: [{ pem: ca.certificate.pem }] }]),
    });
    const fingerprint = ca.certificate.fingerprint;
    const issued = await admin(server, {
      method: 'POST',
      path: popPath('t100', fingerprint, 'verification-code'),
    });
    t.equal(issued.status, 200);
    spec.assert(t, 'post', `${POP}/verification-code`, issued);
    const body = issued.json() as Cert;
    t.match(
      body.proofOfPossessionUnsignedVerificationCode,
      /^[A-Za-z0-9+/]{136}$/,
      'a random code like the example',
    );
    t.equal(
      body.proofOfPossessionVerificationCodeUsableUntil,
      new Date(server.clock.now() + 10 * 60_000).toISOString(),
      'usable for 10 minutes by the server clock',
    );
    t.equal(body.proofOfPossessionValid, false);
    const got = (
      await admin(server, { path: `/tenant/tenants/t100/trusted-certificates/${fingerprint}` })
    ).json() as Cert;
    t.equal(
      got.proofOfPossessionUnsignedVerificationCode,
      body.proofOfPossessionUnsignedVerificationCode,
      'GET shows the code',
    );

    const signature = await signWithOpenssl(ca, body.proofOfPossessionUnsignedVerificationCode!);
    const proved = await admin(server, {
      method: 'POST',
      path: popPath('t100', fingerprint, 'pop'),
      json: { proofOfPossessionSignedVerificationCode: signature },
    });
    t.equal(proved.status, 200);
    spec.assert(t, 'post', `${POP}/pop`, proved);
    const result = proved.json() as Cert;
    t.equal(result.proofOfPossessionValid, true);
    t.notOk('proofOfPossessionUnsignedVerificationCode' in result, 'the code is used up');

    const replay = await admin(server, {
      method: 'POST',
      path: popPath('t100', fingerprint, 'pop'),
      json: { proofOfPossessionSignedVerificationCode: signature },
    });
    assertError(
      t,
      replay,
      400,
      'tenants/Bad Request',
      `Wrong Proof Of Possession plaintext used for tenant <'t100'>. Certificate <'${fingerprint}'>, usage not granted.`,
    );
    const again = (
      await admin(server, { method: 'POST', path: popPath('t100', fingerprint, 'verification-code') })
    ).json() as Cert;
    t.equal(again.proofOfPossessionValid, true, 'a new code keeps a given proof');
  });
}

t.test('refused proofs carry the documented bodies', async (t) => {
  const server = await startServer(t, {
    seed: adminSeed([{ id: 't100', trusted: [{ pem: ecRoot.certificate.pem }] }, { id: 't200' }]),
  });
  const fingerprint = ecRoot.certificate.fingerprint;
  const wrong = `Wrong Proof Of Possession plaintext used for tenant <'t100'>. Certificate <'${fingerprint}'>, usage not granted.`;
  const unprocessable = `Cannot process certificate data <'${fingerprint}'> for tenant <'t100'>.`;
  const prove = (json: unknown) =>
    admin(server, { method: 'POST', path: popPath('t100', fingerprint, 'pop'), json });

  t.test('before any code was issued', async (t) => {
    const response = await prove({
      proofOfPossessionSignedVerificationCode: await signWithOpenssl(ecRoot, 'x'),
    });
    assertError(t, response, 400, 'tenants/Bad Request', wrong);
    spec.assert(t, 'post', `${POP}/pop`, response);
  });

  const code = (
    (
      await admin(server, { method: 'POST', path: popPath('t100', fingerprint, 'verification-code') })
    ).json() as Cert
  ).proofOfPossessionUnsignedVerificationCode!;

  t.test('signed by another key', async (t) => {
    const response = await prove({
      proofOfPossessionSignedVerificationCode: await signWithOpenssl(stranger, code),
    });
    assertError(t, response, 400, 'tenants/Bad Request', wrong);
  });
  t.test('the code with a trailing newline (echo instead of printf)', async (t) => {
    const response = await prove({
      proofOfPossessionSignedVerificationCode: await signWithOpenssl(ecRoot, `${code}\n`),
    });
    assertError(t, response, 400, 'tenants/Bad Request', wrong);
  });
  t.test('not base64', async (t) => {
    const response = await prove({ proofOfPossessionSignedVerificationCode: 'not*base64!' });
    assertError(t, response, 422, 'tenants/Unprocessable Entity', unprocessable);
    spec.assert(t, 'post', `${POP}/pop`, response);
  });
  t.test('no signature field', async (t) => {
    assertError(t, await prove({}), 422, 'tenants/Unprocessable Entity', unprocessable);
  });
  t.test('no body at all', async (t) => {
    const response = await admin(server, { method: 'POST', path: popPath('t100', fingerprint, 'pop') });
    assertError(t, response, 422, 'tenants/Unprocessable Entity', unprocessable);
  });
  t.test('a garbage ECDSA signature', async (t) => {
    const response = await prove({
      proofOfPossessionSignedVerificationCode: Buffer.from('garbage').toString('base64'),
    });
    assertError(t, response, 400, 'tenants/Bad Request', wrong);
  });
  t.test('after the code expired', async (t) => {
    server.clock.advance(10 * 60_000 + 1);
    const response = await prove({
      proofOfPossessionSignedVerificationCode: await signWithOpenssl(ecRoot, code),
    });
    assertError(t, response, 400, 'tenants/Bad Request', wrong);
    const fresh = (
      (
        await admin(server, { method: 'POST', path: popPath('t100', fingerprint, 'verification-code') })
      ).json() as Cert
    ).proofOfPossessionUnsignedVerificationCode!;
    t.not(fresh, code, 'a new code');
    const ok = await prove({ proofOfPossessionSignedVerificationCode: await signWithOpenssl(ecRoot, fresh) });
    t.equal(ok.status, 200, 'the new code works');
  });
  t.test('an unknown certificate', async (t) => {
    for (const action of ['verification-code', 'pop', 'confirmed']) {
      const response = await admin(server, {
        method: 'POST',
        path: popPath('t100', 'ab'.repeat(20), action),
        json: { proofOfPossessionSignedVerificationCode: 'AAAA' },
      });
      assertError(
        t,
        response,
        404,
        'certificate/Not Found',
        `Cannot find certificate with fingerprint ${'ab'.repeat(20)}.`,
      );
      spec.assert(t, 'post', `${POP}/${action}`, response);
    }
  });
  t.test('confirmed is for the management tenant only', async (t) => {
    const response = await admin(server, { method: 'POST', path: popPath('t100', fingerprint, 'confirmed') });
    assertError(t, response, 403, 'security/Forbidden', 'Access is denied.');
    spec.assert(t, 'post', `${POP}/confirmed`, response);
  });
  t.test("another tenant's administrator", async (t) => {
    const response = await admin(server, {
      method: 'POST',
      path: popPath('t100', fingerprint, 'verification-code'),
      auth: basic('t200/admin'),
    });
    assertError(t, response, 403, 'security/Forbidden', 'Access is denied.');
    spec.assert(t, 'post', `${POP}/verification-code`, response);
  });
});

t.test('when a chain maps to two tenants, the anchor with proof of possession wins', async (t) => {
  const root = await rootCa(now, 'Shared Root');
  const issuing = await intermediateCa(root, now, 'Shared Issuing CA');
  // t200 trusts the root, t100 the intermediate under it: the chain below the intermediate fits both.
  const server = await startServer(t, {
    seed: adminSeed([
      { id: 't100', trusted: [{ pem: issuing.certificate.pem }] },
      { id: 't200', trusted: [{ pem: root.certificate.pem }] },
    ]),
  });
  const dev = await device(issuing, now, 'shared-device-01');
  const tenantOfToken = async () => {
    const response = await requestToken(server, {
      cert: dev.certPem,
      key: dev.keyPem,
      chainHeader: header(issuing.certificate.pem),
    });
    t.equal(response.status, 200);
    return decodeJwt((response.json() as { accessToken: string }).accessToken).ten;
  };
  t.equal(await tenantOfToken(), 't100', 'without proofs, the anchor nearest the leaf');

  const code = (
    (
      await admin(server, {
        method: 'POST',
        path: popPath('t200', root.certificate.fingerprint, 'verification-code'),
        auth: basic('t200/admin'),
      })
    ).json() as Cert
  ).proofOfPossessionUnsignedVerificationCode!;
  const proved = await admin(server, {
    method: 'POST',
    path: popPath('t200', root.certificate.fingerprint, 'pop'),
    auth: basic('t200/admin'),
    json: { proofOfPossessionSignedVerificationCode: await signWithOpenssl(root, code) },
  });
  t.equal(proved.status, 200);
  t.equal(await tenantOfToken(), 't200', "with the root's proof of possession, its tenant");
});
