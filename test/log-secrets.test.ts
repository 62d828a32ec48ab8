import { createPrivateKey, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { exportPrivateKeyPem } from '../src/pki/certificate-factory.js';
import { admin } from './helpers/admin.js';
import { device, header, rootCa } from './helpers/pki.js';
import { startServerProcess } from './helpers/process.js';
import { call, requestToken } from './helpers/server.js';

/*
 * A whole device flow against the real server process at log level trace, in
 * JSON and in the pretty format: tokens, uses, logout, refusals, administration
 * calls with Basic, proof of possession, the control API with its secret.
 * Not one token, password, admin secret, Basic credential or private key
 * reaches the log.
 */
const now = Date.now();
const ca = await rootCa(now, 'Secrets CA');
const uploaded = await rootCa(now, 'Secrets Uploaded CA');
const dev = await device(ca, now, 'secrets-device-01');
const PASSWORD = 'Adm1n-S3cret-Passw0rd-7d41';
const WRONG_PASSWORD = 'Wr0ng-Passw0rd-Guess-99f2';
const ADMIN_SECRET = 'Contr0l-API-S3cret-5e0b';

function seedFile(dir: string) {
  const file = join(dir, 'seed.json');
  writeFileSync(
    file,
    JSON.stringify({
      tenants: [
        {
          id: 't100',
          domain: 't100.example.test',
          users: [{ userName: 'admin', password: PASSWORD }],
          trustedCertificates: [
            {
              name: 'Secrets CA',
              certInPemFormat: ca.certificate.pem,
              status: 'ENABLED',
              autoRegistrationEnabled: true,
            },
          ],
        },
      ],
    }),
  );
  return file;
}

const basicOf = (password: string) => `Basic ${Buffer.from(`t100/admin:${password}`).toString('base64')}`;
const pemBody = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, '');

for (const format of ['json', 'pretty'] as const) {
  t.test(`nothing secret in the ${format} log at level trace`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'c8y-secrets-'));
    const server = await startServerProcess(join(dir, 'certs'), [
      '--ephemeral',
      '--seed',
      seedFile(dir),
      '--admin-secret',
      ADMIN_SECRET,
      '--log-level',
      'trace',
      '--log-format',
      format,
    ]);
    t.teardown(() => server.child.kill('SIGKILL'));
    const secrets: [string, string][] = [
      ['the administrator password', PASSWORD],
      ['a wrong password', WRONG_PASSWORD],
      ['the admin secret', ADMIN_SECRET],
      ['the Basic credentials', basicOf(PASSWORD).slice(6)],
      ['the wrong Basic credentials', basicOf(WRONG_PASSWORD).slice(6)],
      ['the device key', pemBody(dev.keyPem).slice(30, 90)],
    ];

    // Token, use, logout, and the refusals around them.
    const issued = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
    t.equal(issued.status, 200, 'token issued');
    const token = (issued.json() as { accessToken: string }).accessToken;
    secrets.push(['the device token', token], ['the token signature', token.split('.')[2]!]);
    const bearer = { authorization: `Bearer ${token}` };
    t.equal((await call(server, { path: '/user/currentUser', headers: bearer })).status, 200);
    t.equal(
      (await call(server, { method: 'HEAD', path: '/tenant/currentTenant', headers: bearer })).status,
      200,
    );
    t.equal(
      (await call(server, { path: '/user/currentUser', headers: { cookie: `authorization=${token}` } }))
        .status,
      200,
    );
    // The device data APIs, with the token and with Basic.
    const json = { ...bearer, accept: 'application/json', 'content-type': 'application/json' };
    const created = await call(server, {
      method: 'POST',
      path: '/inventory/managedObjects',
      headers: json,
      body: JSON.stringify({ name: 'secrets device', c8y_IsDevice: {} }),
    });
    t.equal(created.status, 201, 'managed object created with the token');
    const sourceId = (created.json() as { id: string }).id;
    const measured = await call(server, {
      method: 'POST',
      path: '/measurement/measurements',
      headers: json,
      body: JSON.stringify({ source: { id: sourceId }, time: new Date().toISOString(), type: 't' }),
    });
    t.equal(measured.status, 201, 'measurement sent with the token');
    t.equal(
      (await admin(server, { path: `/measurement/measurements?source=${sourceId}`, auth: basicOf(PASSWORD) }))
        .status,
      200,
      'read back with Basic',
    );
    const logout = await call(server, {
      method: 'POST',
      path: '/user/logout',
      headers: { ...bearer, 'content-type': 'application/json' },
    });
    t.equal(logout.status, 200, 'logged out');
    t.equal(
      (await call(server, { path: '/user/currentUser', headers: bearer })).status,
      401,
      'refused after logout',
    );
    const forged = `${token.split('.').slice(0, 2).join('.')}.AAAA`;
    secrets.push(['a forged token', forged]);
    t.equal(
      (await call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${forged}` } }))
        .status,
      401,
    );
    const pasted = await requestToken(server, {
      cert: dev.certPem,
      key: dev.keyPem,
      chainHeader: header(dev.keyPem),
    });
    t.equal(pasted.status, 400, 'a private key pasted as the chain is refused');

    // Administration with Basic, proof of possession, and a wrong password.
    const auth = basicOf(PASSWORD);
    t.equal((await admin(server, { path: '/tenant/tenants/t100/trusted-certificates', auth })).status, 200);
    t.equal(
      (
        await admin(server, {
          path: '/tenant/tenants/t100/trusted-certificates',
          auth: basicOf(WRONG_PASSWORD),
        })
      ).status,
      401,
    );
    const added = await admin(server, {
      method: 'POST',
      path: '/tenant/tenants/t100/trusted-certificates',
      auth,
      json: { certInPemFormat: uploaded.certificate.pem, status: 'ENABLED', autoRegistrationEnabled: true },
    });
    t.equal(added.status, 201, 'CA uploaded');
    const pop = `/tenant/tenants/t100/trusted-certificates-pop/${uploaded.certificate.fingerprint}`;
    const code = (
      (await admin(server, { method: 'POST', path: `${pop}/verification-code`, auth })).json() as {
        proofOfPossessionUnsignedVerificationCode: string;
      }
    ).proofOfPossessionUnsignedVerificationCode;
    const caKeyPem = await exportPrivateKeyPem(uploaded.keys.privateKey);
    secrets.push(['the uploaded CA key', pemBody(caKeyPem).slice(30, 90)]);
    const signature = sign('sha256', Buffer.from(code), createPrivateKey(caKeyPem)).toString('base64');
    const proved = await admin(server, {
      method: 'POST',
      path: `${pop}/pop`,
      auth,
      json: { proofOfPossessionSignedVerificationCode: signature },
    });
    t.equal(proved.status, 200, 'proof of possession accepted');
    const option = await admin(server, {
      method: 'PUT',
      path: '/tenant/options/oauth.internal/device-token.lifespan.seconds',
      auth,
      json: { value: '600' },
    });
    t.equal(option.status, 200);

    // The control API with its secret, and a wrong one.
    const control = { authorization: `Bearer ${ADMIN_SECRET}` };
    const state = await call(server, { path: '/_mock/state', headers: control });
    t.equal(state.status, 200, 'state exported');
    const signingKey = (state.json() as { tables: { signingKeys: { privateKeyPem: string }[] } }).tables
      .signingKeys[0];
    if (signingKey) secrets.push(['the token signing key', pemBody(signingKey.privateKeyPem).slice(30, 90)]);
    t.ok(signingKey, 'the export holds the signing key (behind the admin secret)');
    t.equal((await call(server, { path: '/_mock/decisions', headers: control })).status, 200);
    t.equal(
      (await call(server, { path: '/_mock/state', headers: { authorization: `Bearer ${ADMIN_SECRET}x` } }))
        .status,
      401,
    );

    server.child.kill('SIGTERM');
    t.equal(await server.exited, 0, 'exits 0 on SIGTERM');
    const log = server.output();
    t.ok(log.split('\n').length > 30, `the log has ${log.split('\n').length} lines at level trace`);
    t.match(log, /token issued to device_secrets-device-01/, 'the flow is in the log');
    for (const [name, secret] of secrets) {
      t.notOk(log.includes(secret), `${name}: not in the log`);
    }
    t.notMatch(log, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'no private key PEM in the log');
    t.notMatch(log, /eyJ[A-Za-z0-9_-]{10,}\.eyJ/, 'nothing shaped like a JWT in the log');
  });
}
