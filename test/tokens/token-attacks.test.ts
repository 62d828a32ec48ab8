import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { base64url, decodeJwt, exportJWK, importPKCS8, SignJWT } from 'jose';
import t, { type Test } from 'tap';
import { assertError, basic } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, rootCa } from '../helpers/pki.js';
import { seedWith } from '../helpers/seeds.js';
import { ADMIN_SECRET, call, requestToken, startServer, type TestServer } from '../helpers/server.js';

/*
 * Forged, altered and stale device tokens. Every one gets 401 with the
 * platform's body on both endpoints that take a device token, and a forged
 * logout revokes nothing.
 */
const now = TEST_NOW;
const ca100 = await rootCa(now, 'Attack t100 CA');
const ca200 = await rootCa(now, 'Attack t200 CA');
const seed = seedWith([
  { id: 't100', domain: 't100.example.test', pem: ca100.certificate.pem },
  { id: 't200', domain: 't200.example.test', pem: ca200.certificate.pem },
]);
const BAD_CREDENTIALS = ['security/Unauthorized', 'Invalid credentials! : Bad credentials'] as const;

async function tokenOf(server: TestServer, cn: string, ca = ca100) {
  const dev = await device(ca, now, cn);
  const response = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
  if (response.status !== 200) throw new Error(`no token for ${cn}: ${response.status} ${response.text}`);
  return (response.json() as { accessToken: string }).accessToken;
}

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
const segments = (jwt: string) => jwt.split('.') as [string, string, string];

/** Both endpoints that accept a device token refuse it with the exact body; so does logout. */
async function assertRefused(t: Test, server: TestServer, token: string, host?: string) {
  for (const path of ['/user/currentUser', '/tenant/currentTenant']) {
    const response = await call(server, {
      path,
      headers: { authorization: `Bearer ${token}` },
      ...(host ? { host } : {}),
    });
    assertError(t, response, 401, ...BAD_CREDENTIALS);
  }
  const logout = await call(server, {
    method: 'POST',
    path: '/user/logout',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(host ? { host } : {}),
  });
  assertError(t, logout, 401, ...BAD_CREDENTIALS);
}

t.test('forged and altered tokens', async (t) => {
  const server = await startServer(t, { seed });
  const genuine = await tokenOf(server, 'victim-01');
  const [header, payload, signature] = segments(genuine);
  const claims = decodeJwt(genuine);
  const serverPublic = KeyObject.from(server.app.services.keys.current.publicKey);
  const publicPem = serverPublic.export({ type: 'spki', format: 'pem' }).toString();
  const publicDer = serverPublic.export({ type: 'spki', format: 'der' });
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const attackerJwk = await exportJWK(attacker.publicKey);

  const cases: [string, string][] = [
    ['alg none, no signature', `${encode({ alg: 'none', typ: 'JWT' })}.${payload}.`],
    [
      'alg none, the original signature kept',
      `${encode({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`,
    ],
    ['alg "None" in another case', `${encode({ alg: 'None', typ: 'JWT' })}.${payload}.`],
    [
      'HS256 with the public key PEM as the HMAC secret',
      await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(Buffer.from(publicPem)),
    ],
    [
      'HS256 with the public key DER as the HMAC secret',
      await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(publicDer),
    ],
    [
      'RS256 signed by another key',
      await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(attacker.privateKey),
    ],
    [
      "another key, embedded in the header as 'jwk'",
      await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', jwk: attackerJwk })
        .sign(attacker.privateKey),
    ],
    [
      'payload changed (another device), original signature',
      `${header}.${encode({ ...claims, sub: 'device_other-01' })}.${signature}`,
    ],
    [
      'payload changed (tenant t200), original signature',
      `${header}.${encode({ ...claims, ten: 't200' })}.${signature}`,
    ],
    [
      'payload changed (exp a year later), original signature',
      `${header}.${encode({ ...claims, exp: claims.exp! + 31_536_000 })}.${signature}`,
    ],
    [
      'header changed (kid added), original signature',
      `${encode({ alg: 'RS256', typ: 'JWT', kid: 'x' })}.${payload}.${signature}`,
    ],
    ['signature of another token', `${header}.${payload}.${segments(await tokenOf(server, 'other-01'))[2]}`],
    ['signature truncated', `${header}.${payload}.${signature.slice(0, -10)}`],
    ['signature empty', `${header}.${payload}.`],
    ['two segments', `${header}.${payload}`],
    ['four segments', `${genuine}.${signature}`],
    ['not base64url', `${header}.${payload}.@@@`],
    ['header not JSON', `${base64url.encode('{alg')}.${payload}.${signature}`],
    ['payload not JSON', `${header}.${base64url.encode('nope')}.${signature}`],
    ['a random string', 'not-a-token'],
    ['10 KB of garbage', 'x'.repeat(10_000)],
  ];
  // In use first, so that its signature is remembered: the altered tokens that end with it must
  // not find its entry (the authenticator keys it by the signature's end).
  const inUse = await call(server, {
    path: '/user/currentUser',
    headers: { authorization: `Bearer ${genuine}` },
  });
  t.equal(inUse.status, 200, 'the genuine token is in use');
  for (const [name, token] of cases) t.test(name, (t) => assertRefused(t, server, token));

  t.test('a broken percent-encoding in the authorization cookie', async (t) => {
    for (const path of ['/user/currentUser', '/tenant/currentTenant']) {
      const response = await call(server, { path, headers: { cookie: 'authorization=%E0%A4%A' } });
      assertError(t, response, 401, ...BAD_CREDENTIALS);
    }
  });

  t.test('the genuine token still works, and no forged logout revoked anything', async (t) => {
    const state = await call(server, {
      path: '/_mock/state',
      headers: { authorization: `Bearer ${ADMIN_SECRET}` },
    });
    t.same(
      (state.json() as { tables: { revocations: unknown[] } }).tables.revocations,
      [],
      'no revocation stored',
    );
    const me = await call(server, {
      path: '/user/currentUser',
      headers: { authorization: `Bearer ${genuine}` },
    });
    t.equal(me.status, 200);
  });
});

t.test("an attacker holding the server's own key still meets the time, type and claim checks", async (t) => {
  // These tokens are signed with the REAL signing key, taken from the in-process server:
  // they test the checks that come after the signature.
  const server = await startServer(t, { seed });
  const genuine = await tokenOf(server, 'keyholder-01');
  const claims = decodeJwt(genuine);
  const key = server.app.services.keys.current.privateKey;
  const nowSeconds = Math.floor(server.clock.now() / 1000);
  const sign = (
    changes: Record<string, unknown>,
    header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' },
  ) => new SignJWT({ ...claims, ...changes }).setProtectedHeader(header as { alg: string }).sign(key);

  /** Refused on the wire, and for the intended reason (the rule the log records). */
  const refusedFor = async (t: Test, token: string, rule: string) => {
    await assertRefused(t, server, token);
    const error = await server.app.services.authenticator.authenticate(token).then(
      () => undefined,
      (e: unknown) => e as { status?: number; rule?: string },
    );
    t.match(error, { status: 401, rule }, `refused by rule ${rule}`);
  };
  const cases: [string, Promise<string>, string][] = [
    [
      'expired one second ago',
      sign({ iat: nowSeconds - 3601, nbf: nowSeconds - 3601, exp: nowSeconds - 1 }),
      'token-expired',
    ],
    [
      'nbf an hour in the future',
      sign({ iat: nowSeconds, nbf: nowSeconds + 3600, exp: nowSeconds + 7200 }),
      'token-not-yet-valid',
    ],
    ['typ other than JWT', sign({}, { alg: 'RS256', typ: 'at+jwt' }), 'token-signature'],
    ['no tci (not a device token)', sign({ tci: undefined }), 'token-claims'],
    ['a user token config', sign({ tci: '0d6f3b2c-1a40-4f2e-9f5c-4c1d2f6a7b8e' }), 'token-claims'],
    ['exp as a string', sign({ exp: String(claims.exp) }), 'token-signature'],
    ['a tenant that does not exist', sign({ ten: 't999' }), 'token-tenant'],
    ['a device that was never registered', sign({ sub: 'device_ghost-01' }), 'token-device'],
    // Registered in advance (bulk registration) but never logged in: no trusted certificate vouches for it.
    ['a device registered that never logged in', sign({ sub: 'device_waiting-01' }), 'token-anchor'],
  ];
  server.app.services.devices.register('t100', 'waiting-01', 'request');
  for (const [name, token, rule] of cases) t.test(name, async (t) => refusedFor(t, await token, rule));

  t.test('PS256 with the same key (algorithm confusion)', async (t) => {
    const pem = KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
    const pss = await importPKCS8(pem, 'PS256');
    const token = await new SignJWT(claims).setProtectedHeader({ alg: 'PS256', typ: 'JWT' }).sign(pss);
    await refusedFor(t, token, 'token-signature');
  });
});

t.test('revoked, wrong domain, anchor deleted or disabled', async (t) => {
  const server = await startServer(t, { seed });

  t.test('a logged-out token', async (t) => {
    const token = await tokenOf(server, 'revoked-01');
    const logout = await call(server, {
      method: 'POST',
      path: '/user/logout',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    t.equal(logout.status, 200);
    await assertRefused(t, server, token);
  });

  t.test("a token of t100 on t200's domain", async (t) => {
    const token = await tokenOf(server, 'travel-01');
    const home = await call(server, {
      path: '/user/currentUser',
      headers: { authorization: `Bearer ${token}` },
      host: 't100.example.test',
    });
    t.equal(home.status, 200, "accepted on t100's own domain");
    await assertRefused(t, server, token, 't200.example.test');
  });

  t.test('a device whose anchor was disabled, then deleted', async (t) => {
    const token = await tokenOf(server, 'orphan-01', ca200);
    const path = `/tenant/tenants/t200/trusted-certificates/${ca200.certificate.fingerprint}`;
    const headers = {
      authorization: basic('t200/admin'),
      'content-type': 'application/json',
      accept: 'application/json',
    };
    const disable = await call(server, {
      method: 'PUT',
      path,
      headers,
      body: JSON.stringify({ status: 'DISABLED' }),
    });
    t.equal(disable.status, 200, 'anchor disabled');
    await assertRefused(t, server, token);
    const enable = await call(server, {
      method: 'PUT',
      path,
      headers,
      body: JSON.stringify({ status: 'ENABLED' }),
    });
    t.equal(enable.status, 200, 'anchor enabled again');
    t.equal(
      (await call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${token}` } }))
        .status,
      200,
      'the token works again',
    );
    t.equal((await call(server, { method: 'DELETE', path, headers })).status, 204, 'anchor deleted');
    await assertRefused(t, server, token);
  });
});

t.test('a logged-out token is no longer remembered: memory follows live tokens, not logouts', async (t) => {
  const server = await startServer(t, { seed });
  const { authenticator } = server.app.services;
  const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => tokenOf(server, `remember-${i}`)));
  for (const token of tokens) {
    t.equal(
      (await call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${token}` } }))
        .status,
      200,
    );
  }
  t.equal(authenticator.remembered, 20, 'every token in use is remembered');
  for (const token of tokens.slice(0, 15)) {
    const out = await call(server, {
      method: 'POST',
      path: '/user/logout',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    t.equal(out.status, 200);
  }
  t.equal(authenticator.remembered, 5, 'the 15 logged-out tokens are forgotten');
  await assertRefused(t, server, tokens[0]!);
});

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};

t.test('a token verified before is checked without a promise, by the same checks', async (t) => {
  const server = await startServer(t, { seed });
  const { authenticator, devices } = server.app.services;
  const token = await tokenOf(server, 'known-01');
  t.equal(authenticator.authenticateKnown(token), undefined, 'not verified yet: the signature first');
  const session = await authenticator.authenticate(token);
  const known = authenticator.authenticateKnown(token);
  t.same(known, session, 'then the same session at once');
  t.equal(
    authenticator.authenticateKnown(`${token.slice(0, -40)}${'A'.repeat(40)}`),
    undefined,
    'another signature is not known',
  );
  t.equal(authenticator.authenticateKnown(`x${token}`), undefined, 'nor another token with the same end');
  devices.setEnabled('t100', 'known-01', false);
  t.match(
    thrown(() => authenticator.authenticateKnown(token)),
    { rule: 'user-enabled' },
    'a refusal is thrown',
  );
  t.match(
    await authenticator.authenticate(token).catch((error: unknown) => error),
    { rule: 'user-enabled' },
    'as authenticate refuses it',
  );
  devices.setEnabled('t100', 'known-01', true);
  server.clock.set(session.claims.exp * 1000);
  t.match(
    thrown(() => authenticator.authenticateKnown(token)),
    { rule: 'token-expired' },
  );
});
