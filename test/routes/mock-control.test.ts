import { generateKeyPairSync } from 'node:crypto';
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify } from 'jose';
import t from 'tap';
import { Agent, fetch as undiciFetch } from 'undici';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, rootCa } from '../helpers/pki.js';
import { basic, seedWith } from '../helpers/seeds.js';
import {
  ADMIN_SECRET,
  call,
  ERROR_TYPE,
  INFO,
  requestToken,
  startServer,
  type TestServer,
} from '../helpers/server.js';

const now = TEST_NOW;
const ca = await rootCa(now, 'Control CA');
const stranger = await rootCa(now, 'Stranger CA');
const seed = seedWith([{ id: 't100', domain: 't100.example.test', pem: ca.certificate.pem }]);
const admin = { authorization: `Bearer ${ADMIN_SECRET}` };

async function tokenFor(server: TestServer, cn: string) {
  const dev = await device(ca, now, cn);
  const response = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
  t.equal(response.status, 200, `token for ${cn}`);
  return (response.json() as { accessToken: string }).accessToken;
}
const currentUser = (server: TestServer, token: string) =>
  call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${token}` } });

t.test('a device token verifies offline against the published JWKS', async (t) => {
  const server = await startServer(t, { listen: true, seed });
  const token = await tokenFor(server, 'jwks-01');
  const dispatcher = new Agent({ connect: { ca: server.serverCa } });
  t.teardown(() => dispatcher.close());
  const jwks = createRemoteJWKSet(new URL(`${server.origin}/_mock/jwks.json`), {
    [customFetch]: (url, options) =>
      undiciFetch(url, { ...(options as object), dispatcher }) as unknown as Promise<Response>,
  });
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: 't100.example.test',
    audience: 't100.example.test',
    algorithms: ['RS256'],
    currentDate: new Date(server.clock.now()),
  });
  t.equal(payload.sub, 'device_jwks-01');
  t.same(protectedHeader, { alg: 'RS256', typ: 'JWT' });
  const document = (await call(server, { path: '/_mock/jwks.json' })).json() as {
    keys: Record<string, unknown>[];
  };
  t.equal(document.keys.length, 1);
  t.match(document.keys[0], { kty: 'RSA', alg: 'RS256', use: 'sig', kid: /.+/ });
  t.notOk('d' in document.keys[0]!, 'no private part');
});

t.test('health is public; everything else needs the admin secret', async (t) => {
  const server = await startServer(t, { seed });
  const health = await call(server, { path: '/_mock/health' });
  t.equal(health.status, 200);
  t.match(health.json(), { status: 'UP', tenants: 1, trustedCertificates: 1 });
  for (const [method, path] of [
    ['POST', '/_mock/reset'],
    ['GET', '/_mock/state'],
    ['PUT', '/_mock/state'],
    ['GET', '/_mock/decisions'],
  ] as const) {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-secret' },
      { authorization: `Basic ${Buffer.from('t100/admin:admin-password').toString('base64')}` },
    ];
    for (const headers of attempts) {
      const response = await call(server, { method, path, headers });
      t.equal(response.status, 401, `${method} ${path} ${JSON.stringify(headers)}`);
      t.match(response.headers['content-type'], ERROR_TYPE);
      t.same(response.json(), {
        error: 'security/Unauthorized',
        message: 'The control API needs Authorization: Bearer <admin secret> (--admin-secret).',
        info: INFO,
      });
    }
  }
});

t.test('the decision log says who was refused and why, newest first, filtered', async (t) => {
  const server = await startServer(t, { seed });
  await tokenFor(server, 'log-ok-01');
  const outsider = await device(stranger, now, 'log-refused-01');
  t.equal((await requestToken(server, { cert: outsider.certPem, key: outsider.keyPem })).status, 401);
  await tokenFor(server, 'log-ok-01');

  const all = (await call(server, { path: '/_mock/decisions', headers: admin })).json() as {
    decisions: Record<string, unknown>[];
  };
  t.same(
    all.decisions.map((d) => [d.outcome, d.externalId]),
    [
      ['reused', 'log-ok-01'],
      ['refused', 'log-refused-01'],
      ['issued', 'log-ok-01'],
    ],
    'newest first',
  );
  const refused = (
    await call(server, { path: '/_mock/decisions?outcome=refused', headers: admin })
  ).json() as {
    decisions: {
      rule: string;
      reason: string;
      status: number;
      leaf: { subject: string; fingerprint: string };
    }[];
  };
  t.equal(refused.decisions.length, 1);
  t.equal(refused.decisions[0]!.rule, 'trusted-anchor', 'names the failing rule');
  t.match(
    refused.decisions[0]!.reason,
    /no tenant trusts this chain.*CN=log-refused-01.*issued by 'O=c8y-mtls-mock tests, CN=Stranger CA'/,
  );
  t.equal(refused.decisions[0]!.status, 401);
  t.equal(refused.decisions[0]!.leaf.fingerprint, outsider.credential.certificate.fingerprint);

  const byDevice = (
    await call(server, { path: '/_mock/decisions?tenant=t100&device=log-ok-01&limit=1', headers: admin })
  ).json() as {
    decisions: { outcome: string; tenantId: string; token: { expiresAt: number } }[];
  };
  t.match(byDevice.decisions, [{ outcome: 'reused', tenantId: 't100' }]);
  const bad = await call(server, { path: '/_mock/decisions?outcome=maybe', headers: admin });
  t.equal(bad.status, 400);
  t.match(bad.json(), {
    error: 'mock/Bad Request',
    message: 'outcome must be one of issued, reused, refused, connected, message, injected; got "maybe"',
  });
});

t.test('reset returns to the seed and ends every token issued before', async (t) => {
  const server = await startServer(t, { seed });
  const token = await tokenFor(server, 'reset-01');
  t.ok(server.app.services.devices.get('t100', 'reset-01'), 'auto-registered');
  server.app.services.options.set({
    tenantId: 't100',
    category: 'oauth.internal',
    key: 'device-token.lifespan.seconds',
    value: '900',
  });
  const jwksBefore = (await call(server, { path: '/_mock/jwks.json' })).text;

  const reset = await call(server, { method: 'POST', path: '/_mock/reset', headers: admin });
  t.equal(reset.status, 200);
  t.match(reset.json(), { status: 'reset', seed: 'test seed', tenants: ['t100'] });
  t.equal(server.app.services.devices.get('t100', 'reset-01'), undefined, 'registrations are gone');
  t.equal(server.app.services.options.lifespanSeconds('t100'), 3600, 'options are back to the seed');
  t.equal((await currentUser(server, token)).status, 401, 'a token from before the reset is refused');
  t.equal(
    (await call(server, { path: '/_mock/jwks.json' })).text,
    jwksBefore,
    'the signing key survives a reset',
  );
  t.same((await call(server, { path: '/_mock/decisions', headers: admin })).json(), { decisions: [] });
  const again = await tokenFor(server, 'reset-01');
  t.equal((await currentUser(server, again)).status, 200, 'the device registers again');
});

t.test('export and import the whole state, also into another mock', async (t) => {
  const first = await startServer(t, { seed });
  const kept = await tokenFor(first, 'export-01');
  const exported = await call(first, { path: '/_mock/state', headers: admin });
  t.equal(exported.status, 200);
  t.equal(exported.headers['cache-control'], 'no-store');
  const snapshot = exported.json() as {
    format: string;
    schemaVersion: number;
    tables: Record<string, unknown[]>;
  };
  t.match(snapshot, { format: 'c8y-mtls-mock-state', schemaVersion: MIGRATIONS.length });
  t.equal(snapshot.tables.tenants?.length, 1);
  t.equal(snapshot.tables.signingKeys?.length, 1);

  const later = await tokenFor(first, 'export-02');
  const imported = await call(first, {
    method: 'PUT',
    path: '/_mock/state',
    headers: { ...admin, 'content-type': 'application/json' },
    body: exported.text,
  });
  t.equal(imported.status, 204);
  t.equal((await currentUser(first, kept)).status, 200, 'a token in the snapshot still works');
  t.equal((await currentUser(first, later)).status, 401, 'a token issued after the snapshot is refused');

  const second = await startServer(t, { ownSigningKey: true });
  t.not(
    (await call(second, { path: '/_mock/jwks.json' })).text,
    (await call(first, { path: '/_mock/jwks.json' })).text,
    'another key at first',
  );
  const into = await call(second, {
    method: 'PUT',
    path: '/_mock/state',
    headers: { ...admin, 'content-type': 'application/json' },
    body: exported.text,
  });
  t.equal(into.status, 204);
  const me = await currentUser(second, kept);
  t.equal(me.status, 200, 'the imported state accepts the token, signed by the imported key');
  t.match(me.json(), { userName: 'device_export-01' });
  t.equal(decodeJwt(kept).ten, 't100');
});

t.test('a bad state is refused with 422 and changes nothing', async (t) => {
  const server = await startServer(t, { seed });
  const token = await tokenFor(server, 'import-01');
  const snapshot = (await call(server, { path: '/_mock/state', headers: admin })).json() as {
    tables: { devices: Record<string, unknown>[]; trustedCertificates: Record<string, unknown>[] };
  };
  const put = (body: unknown) =>
    call(server, {
      method: 'PUT',
      path: '/_mock/state',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const wrongType = await put({
    ...snapshot,
    tables: { ...snapshot.tables, devices: [{ ...snapshot.tables.devices[0], registeredAt: 'yesterday' }] },
  });
  t.equal(wrongType.status, 422);
  t.match(wrongType.json(), {
    error: 'state/Unprocessable Entity',
    message: /^Invalid state: \/tables\/devices\/0\/registeredAt must be integer/,
  });

  const orphan = await put({
    ...snapshot,
    tables: {
      ...snapshot.tables,
      trustedCertificates: [{ ...snapshot.tables.trustedCertificates[0], tenantId: 'nobody' }],
    },
  });
  t.equal(orphan.status, 422);
  t.match(orphan.json(), {
    message: 'Invalid state: tables.trustedCertificates[0].tenantId: no tenant nobody in tables.tenants',
  });
  const tables = snapshot.tables as unknown as Record<string, Record<string, unknown>[]>;
  const orphanUser = await put({
    ...snapshot,
    tables: { ...tables, users: [...tables.users!, { ...tables.users![0], tenantId: 't999' }] },
  });
  t.equal(orphanUser.status, 422);
  t.match(orphanUser.json(), {
    error: 'state/Unprocessable Entity',
    message: `Invalid state: tables.users[${tables.users!.length}].tenantId: no tenant t999 in tables.tenants`,
  });
  const sameDomain = await put({
    ...snapshot,
    tables: { ...tables, tenants: [...tables.tenants!, { ...tables.tenants![0], id: 't200' }] },
  });
  t.equal(sameDomain.status, 422);
  t.match(sameDomain.json(), {
    message:
      'Invalid state: tables.tenants[1].domain: t100.example.test is the domain of tables.tenants[0] too',
  });
  const orphanMeasurement = await put({
    ...snapshot,
    tables: {
      ...tables,
      measurements: [{ id: 1, tenantId: 't100', sourceId: 4242, type: 'c8y_T', time: now, fragments: {} }],
    },
  });
  t.equal(orphanMeasurement.status, 422);
  t.match(orphanMeasurement.json(), {
    message:
      'Invalid state: tables.measurements[0].sourceId: no managed object 4242 in tables.managedObjects',
  });
  // What only the database checks is still named by its row and field.
  const sameHash = await put({
    ...snapshot,
    tables: { ...tables, tokens: [...tables.tokens!, ...tables.tokens!] },
  });
  t.equal(sameHash.status, 422);
  t.match(sameHash.json(), {
    message: `Invalid state: tables.tokens[${tables.tokens!.length}].hash: another record has the same value (UNIQUE constraint failed: tokens.hash)`,
  });

  const notJson = await call(server, {
    method: 'PUT',
    path: '/_mock/state',
    headers: { ...admin, 'content-type': 'application/json' },
    body: '{"format":',
  });
  t.equal(notJson.status, 400);

  // Keys that cannot sign: refused before anything is replaced, not a 500 and a mock left broken.
  const withKey = (table: 'signingKeys' | 'crlSigningKeys', privateKeyPem: string) => {
    const tables = snapshot.tables as unknown as Record<string, { privateKeyPem: string }[]>;
    return { ...snapshot, tables: { ...tables, [table]: [{ ...tables[table]![0]!, privateKeyPem }] } };
  };
  const ed25519 = generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const badSigningKey = await put(withKey('signingKeys', 'not a key'));
  t.equal(badSigningKey.status, 422);
  t.match(badSigningKey.json(), {
    error: 'state/Unprocessable Entity',
    message:
      /^Invalid state: tables\.signingKeys\[0\]\.privateKeyPem: not an RSA private key in PKCS#8 PEM \(/,
  });
  const ecSigningKey = await put(withKey('signingKeys', ed25519));
  t.equal(ecSigningKey.status, 422, 'a key of another type cannot sign RS256 tokens');
  const badCrlKey = await put(withKey('crlSigningKeys', ed25519));
  t.equal(badCrlKey.status, 422);
  t.match(badCrlKey.json(), {
    message:
      'Invalid state: tables.crlSigningKeys[0].privateKeyPem: unsupported key type ed25519; use an EC P-256 or RSA key',
  });

  // Certificates that cannot be read: refused, not a crash now or at the next start.
  const garbage = Buffer.from('garbage').toString('base64');
  const trusted = snapshot.tables.trustedCertificates[0]!;
  const badAnchor = await put({
    ...snapshot,
    tables: { ...snapshot.tables, trustedCertificates: [{ ...trusted, certDer: garbage }] },
  });
  t.equal(badAnchor.status, 422);
  t.match(badAnchor.json(), {
    error: 'state/Unprocessable Entity',
    message:
      'Invalid state: tables.trustedCertificates[0].certDer: not a certificate: malformed DER (truncated content)',
  });
  const renamed = await put({
    ...snapshot,
    tables: { ...snapshot.tables, trustedCertificates: [{ ...trusted, fingerprint: '0'.repeat(40) }] },
  });
  t.equal(renamed.status, 422);
  t.match(renamed.json(), {
    message: `Invalid state: tables.trustedCertificates[0].fingerprint: not the SHA-1 fingerprint of certDer (which is ${trusted.fingerprint})`,
  });
  const badIssued = await put({
    ...snapshot,
    tables: {
      ...snapshot.tables,
      issuedCertificates: [
        {
          tenantId: 't100',
          serial: 1,
          externalId: 'issued-01',
          kind: 'enroll',
          authorityFingerprint: trusted.fingerprint,
          fingerprint: 'f'.repeat(40),
          notBefore: now,
          notAfter: now + 1000,
          certDer: garbage,
        },
      ],
    },
  });
  t.equal(badIssued.status, 422);
  t.match(badIssued.json(), {
    message: /^Invalid state: tables\.issuedCertificates\[0\]\.certDer: not a certificate: /,
  });
  t.equal((await call(server, { path: '/_mock/health' })).status, 200, 'the mock is still up');
  t.equal((await currentUser(server, token)).status, 200, 'the old state is intact');
  const crl = await call(server, {
    path: '/tenant/trusted-certificates/settings/crl',
    headers: { authorization: basic('t100/admin'), accept: 'application/pkix-crl' },
  });
  t.equal(crl.status, 200, 'and its CRL key still signs');
});

t.test('control API bodies of a media type other than JSON: 415 naming application/json', async (t) => {
  const server = await startServer(t, { seed });
  const state = (await call(server, { path: '/_mock/state', headers: admin })).text;
  const requests = [
    ['PUT', '/_mock/state', state],
    ['POST', '/_mock/faults', JSON.stringify({ status: 503, path: '/user/currentUser' })],
    ['PUT', '/_mock/clock', JSON.stringify({ advance: 'PT1H' })],
  ] as const;
  for (const [method, path, body] of requests) {
    // Multipart too: only the upload routes read forms (their parser is registered with them alone).
    for (const type of [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=b',
    ]) {
      const response = await call(server, {
        method,
        path,
        headers: { ...admin, 'content-type': type },
        body,
      });
      t.equal(response.status, 415, `${method} ${path} as ${type}`);
      t.match(response.headers['content-type'], ERROR_TYPE);
      t.match(response.json(), {
        error: 'general/Unsupported Media Type',
        message: /^Unsupported Content-Type; send application\/json/,
      });
    }
  }
  const options = await call(server, {
    method: 'POST',
    path: '/tenant/options',
    headers: { authorization: basic('t100/admin'), 'content-type': 'text/plain' },
    body: JSON.stringify({ category: 'a', key: 'b', value: 'c' }),
  });
  t.equal(options.status, 415, 'as on the Cumulocity paths');
  t.equal(server.clock.now(), now, 'the clock did not move');
  t.same(
    (await call(server, { path: '/_mock/faults', headers: admin })).json(),
    { rules: [] },
    'no fault rule was added',
  );
});
