import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import t from 'tap';
import { commonName, issueCertificate } from '../../src/pki/certificate-factory.js';
import { assertError } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { DAY, device, header, intermediateCa, rootCa } from '../helpers/pki.js';
import { seedWith } from '../helpers/seeds.js';
import { call, requestToken, startServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const now = TEST_NOW;

const root = await rootCa(now, 'Factory Root CA');
const intermediate = await intermediateCa(root, now, 'Factory Issuing CA');
const otherRoot = await rootCa(now, 'Other Tenant CA');
const untrusted = await rootCa(now, 'Stranger CA');
const disabledRoot = await rootCa(now, 'Disabled Tenant CA');
const target = (server: TestServer) => server.app.services.decisions;

const defaultSeed = seedWith([
  { id: 't100', domain: 't100.example.test', pem: root.certificate.pem },
  { id: 't200', domain: 't200.example.test', pem: otherRoot.certificate.pem },
]);

async function tokenOf(server: TestServer, client: Parameters<typeof requestToken>[1]) {
  const response = await requestToken(server, client);
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}: ${response.text}`);
  return (response.json() as { accessToken: string }).accessToken;
}

t.test("the docs' curl command gets a device token with the platform's header and claims", async (t) => {
  const server = await startServer(t, { listen: true, seed: defaultSeed });
  const dev = await device(intermediate, now, 'curl-device-01');
  const dir = mkdtempSync(join(tmpdir(), 'c8y-curl-'));
  writeFileSync(join(dir, 'domain-cert.pem'), dev.certPem + intermediate.certificate.pem);
  writeFileSync(join(dir, 'domain-private-key.pem'), dev.keyPem);
  writeFileSync(join(dir, 'ca.pem'), server.serverCa);
  const { stdout } = await run(
    'curl',
    [
      '-sS',
      '--cert',
      'domain-cert.pem',
      '--key',
      'domain-private-key.pem',
      '--cacert',
      'ca.pem',
      '-H',
      'Accept: application/json',
      '-H',
      `X-Ssl-Cert-Chain:${header(intermediate.certificate.pem)}`,
      '-X',
      'POST',
      '-w',
      '\n%{http_code} %{content_type}',
      `https://localhost:${server.port}/devicecontrol/deviceAccessToken`,
    ],
    { cwd: dir },
  );
  const [body, status] = stdout.split('\n');
  t.equal(status, '200 application/json; charset=utf-8');
  const { accessToken } = JSON.parse(body!) as { accessToken: string };
  t.same(Object.keys(JSON.parse(body!)), ['accessToken'], 'only accessToken');
  t.same(decodeProtectedHeader(accessToken), { alg: 'RS256', typ: 'JWT' }, 'header exactly as the platform');
  const claims = decodeJwt(accessToken);
  t.same(
    Object.keys(claims),
    ['jti', 'iss', 'aud', 'sub', 'tci', 'iat', 'nbf', 'exp', 'tfa', 'ten', 'xsrfToken'],
    'claims in the platform order',
  );
  t.equal(claims.jti, null);
  t.equal(claims.iss, 't100.example.test');
  t.equal(claims.aud, 't100.example.test');
  t.equal(claims.sub, 'device_curl-device-01');
  t.equal(claims.tci, 'device_token_config');
  t.equal(claims.ten, 't100');
  t.equal(claims.tfa, false);
  t.equal(claims.iat, Math.floor(server.clock.now() / 1000));
  t.equal(claims.nbf, claims.iat);
  t.equal(claims.exp, claims.iat! + 3600);
  t.match(claims.xsrfToken, /^[A-Za-z0-9]{20}$/);
  t.equal(accessToken.split('.')[2]!.length, 342, 'RSA-2048 signature');
});

t.test('accepted chains and header forms', async (t) => {
  const server = await startServer(t, { seed: defaultSeed });
  const direct = await device(root, now, 'direct-01');
  const viaIntermediate = await device(intermediate, now, 'chain-01');
  const rsaRoot = await rootCa(now, 'RSA Root', { keySpec: { type: 'rsa', bits: 2048 } });
  const rsaServer = await startServer(t, {
    seed: seedWith([{ id: 't300', domain: 't300.example.test', pem: rsaRoot.certificate.pem }]),
  });
  const rsaIntermediate = await intermediateCa(rsaRoot, now, 'RSA Issuing', {
    keySpec: { type: 'rsa', bits: 2048 },
  });
  const rsaDevice = await device(rsaIntermediate, now, 'rsa-01', { keySpec: { type: 'rsa', bits: 2048 } });
  const i = intermediate.certificate.pem;
  const leaf = viaIntermediate.certPem;

  const cases: [string, TestServer, Parameters<typeof requestToken>[1], string][] = [
    [
      '2-level chain, no header (immediate issuer trusted)',
      server,
      { cert: direct.certPem, key: direct.keyPem },
      'device_direct-01',
    ],
    [
      '2-level chain, header with the leaf only',
      server,
      { cert: direct.certPem, key: direct.keyPem, chainHeader: header(direct.certPem) },
      'device_direct-01',
    ],
    [
      '3-level, header with leaf and intermediate',
      server,
      { cert: leaf, key: viaIntermediate.keyPem, chainHeader: header(leaf, i) },
      'device_chain-01',
    ],
    [
      '3-level, header with the full chain up to the root',
      server,
      { cert: leaf, key: viaIntermediate.keyPem, chainHeader: header(leaf, i, root.certificate.pem) },
      'device_chain-01',
    ],
    [
      '3-level, header with only the intermediate',
      server,
      { cert: leaf, key: viaIntermediate.keyPem, chainHeader: header(i) },
      'device_chain-01',
    ],
    [
      '3-level, intermediate in the TLS handshake and in the header',
      server,
      { cert: leaf + i, key: viaIntermediate.keyPem, chainHeader: header(i) },
      'device_chain-01',
    ],
    [
      'extra spaces around and between',
      server,
      {
        cert: leaf,
        key: viaIntermediate.keyPem,
        chainHeader: `   ${header(leaf).replaceAll(' ', '   ')}    ${header(i)}  `,
      },
      'device_chain-01',
    ],
    [
      'URL-encoded PEM as proxies forward it',
      server,
      { cert: leaf, key: viaIntermediate.keyPem, chainHeader: encodeURIComponent(leaf + i) },
      'device_chain-01',
    ],
    [
      'RSA-2048 keys, 3 levels',
      rsaServer,
      {
        cert: rsaDevice.certPem,
        key: rsaDevice.keyPem,
        chainHeader: header(rsaIntermediate.certificate.pem),
      },
      'device_rsa-01',
    ],
  ];
  for (const [name, target, client, sub] of cases) {
    const response = await requestToken(target, client);
    t.equal(response.status, 200, `${name}: 200`);
    if (response.status === 200)
      t.equal(decodeJwt((response.json() as { accessToken: string }).accessToken).sub, sub, `${name}: sub`);
    else t.comment(response.text);
  }
});

t.test(
  'a chain sent only in the TLS handshake: refused as on the platform, accepted with --accept-handshake-chain',
  async (t) => {
    const viaIntermediate = await device(intermediate, now, 'handshake-01');
    const client = {
      cert: viaIntermediate.certPem + intermediate.certificate.pem,
      key: viaIntermediate.keyPem,
    };

    const strict = await startServer(t, { seed: defaultSeed });
    const refused = await requestToken(strict, client);
    assertError(t, refused, 401, 'security/Unauthorized', 'Invalid certificate chain!');
    const decision = target(strict).list()[0]!;
    t.equal(decision.rule, 'handshake-chain', 'a rule of its own');
    t.match(decision.reason, /issuers of .*handshake-01.* were sent only in the TLS handshake/);
    t.match(decision.reason, /X-Ssl-Cert-Chain/, 'says how to send them');
    t.match(decision.chainChecks, [
      { rule: 'certificate-present', ok: true },
      { rule: 'trusted-anchor', ok: false },
      { rule: 'handshake-chain', ok: false },
    ]);

    // The same certificates with the issuer in the header, or with the issuer trusted: 200.
    const withHeader = await requestToken(strict, {
      ...client,
      chainHeader: header(intermediate.certificate.pem),
    });
    t.equal(withHeader.status, 200, 'the header carries the issuer');
    const direct = await device(root, now, 'handshake-direct-01');
    t.equal(
      (await requestToken(strict, { cert: direct.certPem + root.certificate.pem, key: direct.keyPem }))
        .status,
      200,
      'an immediate issuer trusted needs nothing more',
    );

    // An untrusted chain in the handshake is still the trusted-anchor refusal, not this one.
    const stranger = await device(
      await intermediateCa(untrusted, now, 'Stranger Issuing'),
      now,
      'stranger-01',
    );
    assertError(
      t,
      await requestToken(strict, { cert: stranger.certPem, key: stranger.keyPem }),
      401,
      'security/Unauthorized',
      'Invalid certificate chain!',
    );
    t.equal(target(strict).list()[0]!.rule, 'trusted-anchor');

    const lenient = await startServer(t, { seed: defaultSeed, config: { acceptHandshakeChain: true } });
    const accepted = await requestToken(lenient, client);
    t.equal(accepted.status, 200, 'the option takes the handshake issuers');
    t.equal(decodeJwt((accepted.json() as { accessToken: string }).accessToken).sub, 'device_handshake-01');
  },
);

t.test('refusals carry the documented status and body', async (t) => {
  const server = await startServer(t, {
    seed: seedWith([
      { id: 't100', domain: 't100.example.test', pem: root.certificate.pem },
      { id: 't400', domain: 't400.example.test', pem: disabledRoot.certificate.pem, status: 'DISABLED' },
    ]),
  });
  const chain401 = ['security/Unauthorized', 'Invalid certificate chain!'] as const;
  const expiredLeaf = await device(intermediate, now, 'expired-01', {
    notBefore: new Date(now - 30 * DAY),
    notAfter: new Date(now - DAY),
  });
  const futureLeaf = await device(intermediate, now, 'future-01', {
    notBefore: new Date(now + DAY),
    notAfter: new Date(now + 30 * DAY),
  });
  const expiredIntermediate = await intermediateCa(root, now, 'Expired Issuing CA', {
    notBefore: new Date(now - 30 * DAY),
    notAfter: new Date(now - DAY),
  });
  const underExpired = await device(expiredIntermediate, now, 'under-expired-01');
  const notCaIssuer = await issueCertificate({
    issuer: root,
    subject: commonName('Issuer Without CA'),
    basicConstraints: { ca: false },
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
  });
  const underNotCa = await device(notCaIssuer, now, 'under-not-ca-01');
  const tightRoot = await rootCa(now, 'PathLen 0 Root', { pathLen: 0 });
  const tightServer = await startServer(t, {
    seed: seedWith([{ id: 't500', domain: 't500.example.test', pem: tightRoot.certificate.pem }]),
  });
  const tightIntermediate = await intermediateCa(tightRoot, now, 'Below PathLen 0');
  const tightDevice = await device(tightIntermediate, now, 'pathlen-01');
  const stranger = await device(untrusted, now, 'stranger-01');
  const mine = await device(intermediate, now, 'mine-01');
  const other = await device(intermediate, now, 'other-01');
  const disabledDevice = await device(await disabledRoot, now, 'disabled-01');

  // A chain of 11: root, 9 intermediates, leaf.
  const longRoot = await rootCa(now, 'Long Root');
  const longServer = await startServer(t, {
    seed: seedWith([{ id: 't600', domain: 't600.example.test', pem: longRoot.certificate.pem }]),
  });
  let issuer = longRoot;
  const intermediates: string[] = [];
  for (let n = 1; n <= 9; n++) {
    issuer = await intermediateCa(issuer, now, `Long Intermediate ${n}`);
    intermediates.unshift(issuer.certificate.pem);
  }
  const longLeaf = await device(issuer, now, 'long-01');

  const cases: [string, TestServer, Parameters<typeof requestToken>[1], number, string, string | RegExp][] = [
    ['untrusted CA', server, { cert: stranger.certPem, key: stranger.keyPem }, 401, ...chain401],
    [
      'expired leaf',
      server,
      {
        cert: expiredLeaf.certPem,
        key: expiredLeaf.keyPem,
        chainHeader: header(intermediate.certificate.pem),
      },
      401,
      ...chain401,
    ],
    [
      'not-yet-valid leaf',
      server,
      { cert: futureLeaf.certPem, key: futureLeaf.keyPem, chainHeader: header(intermediate.certificate.pem) },
      401,
      ...chain401,
    ],
    [
      'expired intermediate',
      server,
      {
        cert: underExpired.certPem,
        key: underExpired.keyPem,
        chainHeader: header(expiredIntermediate.certificate.pem),
      },
      401,
      ...chain401,
    ],
    [
      'issuer without CA:true',
      server,
      { cert: underNotCa.certPem, key: underNotCa.keyPem, chainHeader: header(notCaIssuer.certificate.pem) },
      401,
      ...chain401,
    ],
    [
      'pathLen 0 exceeded',
      tightServer,
      {
        cert: tightDevice.certPem,
        key: tightDevice.keyPem,
        chainHeader: header(tightIntermediate.certificate.pem),
      },
      401,
      ...chain401,
    ],
    [
      'header leaf differs from the TLS certificate',
      server,
      {
        cert: mine.certPem,
        key: mine.keyPem,
        chainHeader: header(other.certPem, intermediate.certificate.pem),
      },
      401,
      ...chain401,
    ],
    ['no certificate at all', server, {}, 401, ...chain401],
    [
      'header without a TLS certificate',
      server,
      { chainHeader: header(mine.certPem, intermediate.certificate.pem) },
      401,
      ...chain401,
    ],
    [
      'DISABLED anchor',
      server,
      { cert: disabledDevice.certPem, key: disabledDevice.keyPem },
      401,
      ...chain401,
    ],
    [
      'unparsable header',
      server,
      {
        cert: mine.certPem,
        key: mine.keyPem,
        chainHeader: '-----BEGIN CERTIFICATE----- MIIBnot*base64 -----END CERTIFICATE-----',
      },
      400,
      'Device Certificates/Bad Request',
      /^Cannot parse X509 certificate\. : /,
    ],
    [
      'truncated certificate in the header',
      server,
      {
        cert: mine.certPem,
        key: mine.keyPem,
        chainHeader: `-----BEGIN CERTIFICATE----- ${mine.credential.certificate.base64.slice(0, 200)} -----END CERTIFICATE-----`,
      },
      400,
      'Device Certificates/Bad Request',
      /^Cannot parse X509 certificate\. : /,
    ],
    [
      'a chain of 11',
      longServer,
      {
        cert: longLeaf.certPem,
        key: longLeaf.keyPem,
        chainHeader: header(longLeaf.certPem, ...intermediates, longRoot.certificate.pem),
      },
      401,
      ...chain401,
    ],
  ];
  for (const [name, target, client, status, error, message] of cases) {
    t.test(name, async (t) => {
      const response = await requestToken(target, client);
      assertError(t, response, status, error, message);
    });
  }

  t.test('the decision log names the failing rule of each refusal', async (t) => {
    const rules = target(server)
      .list({ outcome: 'refused' })
      .map((d) => d.rule);
    for (const rule of [
      'trusted-anchor',
      'not-expired',
      'not-yet-valid',
      'issuer-is-ca',
      'leaf-matches-tls',
      'certificate-present',
      'anchor-enabled',
      'parse',
    ]) {
      t.ok(rules.includes(rule), `logged rule ${rule}`);
    }
    t.ok(
      target(tightServer)
        .list()
        .some((d) => d.rule === 'path-length'),
      'path-length',
    );
    t.ok(
      target(longServer)
        .list()
        .some((d) => d.rule === 'chain-length'),
      'chain-length',
    );
  });
});

t.test('token lifetime follows oauth.internal/device-token.lifespan.seconds', async (t) => {
  const dev = await device(root, now, 'lifetime-01');
  for (const [lifespan, expected] of [
    ['600', 600],
    ['100', 300],
    [undefined, 3600],
  ] as const) {
    const server = await startServer(t, {
      config: { lifespanBelowMinimum: 'clamp' },
      seed: seedWith([
        {
          id: 't100',
          domain: 't100.example.test',
          pem: root.certificate.pem,
          ...(lifespan ? { lifespan } : {}),
        },
      ]),
    });
    const claims = decodeJwt(await tokenOf(server, { cert: dev.certPem, key: dev.keyPem }));
    t.equal(claims.exp! - claims.iat!, expected, `lifespan ${lifespan ?? '(none)'} gives ${expected} s`);
  }
});

t.test(
  'a device asking again within half the lifetime gets the same token; after it, a new one',
  async (t) => {
    const server = await startServer(t, { seed: defaultSeed });
    const dev = await device(root, now, 'repeat-01');
    const first = await tokenOf(server, { cert: dev.certPem, key: dev.keyPem });
    server.clock.advance(1799 * 1000);
    t.equal(
      await tokenOf(server, { cert: dev.certPem, key: dev.keyPem }),
      first,
      'same token before half the lifetime',
    );
    server.clock.advance(1000);
    const second = await tokenOf(server, { cert: dev.certPem, key: dev.keyPem });
    t.not(second, first, 'a new token once half the lifetime has passed');
    t.equal(decodeJwt(second).iat, decodeJwt(first).iat! + 1800);
  },
);

t.test('a device asking twice at once gets one token', async (t) => {
  const server = await startServer(t, { seed: defaultSeed });
  const dev = await device(root, now, 'twice-at-once-01');
  const [first, second] = await Promise.all([
    tokenOf(server, { cert: dev.certPem, key: dev.keyPem }),
    tokenOf(server, { cert: dev.certPem, key: dev.keyPem }),
  ]);
  t.equal(second, first, 'the second request gets the token the first is making');
  t.same(
    target(server)
      .list({ limit: 2 })
      .map((d) => d.outcome)
      .sort(),
    ['issued', 'reused'],
  );
});

t.test('logout revokes exactly that token', async (t) => {
  const server = await startServer(t, { seed: defaultSeed });
  const dev = await device(root, now, 'logout-01');
  const first = await tokenOf(server, { cert: dev.certPem, key: dev.keyPem });
  server.clock.advance(1801 * 1000);
  const second = await tokenOf(server, { cert: dev.certPem, key: dev.keyPem });
  t.not(second, first);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  const me = await call(server, { path: '/user/currentUser', headers: bearer(first) });
  t.equal(me.status, 200);
  t.match(me.headers['content-type'], /^application\/vnd\.com\.nsn\.cumulocity\.currentuser\+json/);
  t.match(me.json(), { userName: 'device_logout-01', id: 'device_logout-01', shouldResetPassword: false });

  const logout = await call(server, {
    method: 'POST',
    path: '/user/logout',
    headers: { ...bearer(first), accept: 'application/json', 'content-type': 'application/json' },
  });
  t.equal(logout.status, 200, 'the docs logout request answers 200');

  assertError(
    t,
    await call(server, { path: '/user/currentUser', headers: bearer(first) }),
    401,
    'security/Unauthorized',
    'Invalid credentials! : Bad credentials',
  );
  const head = await call(server, { method: 'HEAD', path: '/tenant/currentTenant', headers: bearer(first) });
  t.equal(head.status, 401, 'HEAD /tenant/currentTenant refuses the logged-out token');
  t.equal(
    (await call(server, { path: '/user/currentUser', headers: bearer(second) })).status,
    200,
    'the second token still works',
  );
  t.equal(
    (await call(server, { method: 'HEAD', path: '/user/currentUser', headers: bearer(second) })).status,
    200,
    'HEAD works',
  );

  const vnd = await call(server, {
    method: 'POST',
    path: '/user/logout',
    headers: {
      ...bearer(second),
      'content-type': 'application/vnd.com.nsn.cumulocity.user+json',
      accept: 'application/vnd.com.nsn.cumulocity.user+json',
    },
    body: '{}',
  });
  t.equal(vnd.status, 200, 'Cumulocity media types are accepted');
  t.equal((await call(server, { path: '/user/currentUser', headers: bearer(second) })).status, 401);
});

t.test('GET /user/currentUser: each device its own body, per origin, also when remembered', async (t) => {
  const server = await startServer(t, { seed: defaultSeed });
  const a = await device(root, now, 'body-a');
  const b = await device(root, now, 'body-b');
  const tokenA = await tokenOf(server, { cert: a.certPem, key: a.keyPem });
  const tokenB = await tokenOf(server, { cert: b.certPem, key: b.keyPem });
  const me = (token: string, host?: string) =>
    call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${token}` }, host });
  const firstA = await me(tokenA);
  const firstB = await me(tokenB);
  t.match(firstA.json(), { userName: 'device_body-a', id: 'device_body-a' });
  t.match(firstB.json(), { userName: 'device_body-b', id: 'device_body-b' });
  t.equal((await me(tokenA)).text, firstA.text, 'the same bytes again');
  t.equal((await me(tokenB)).text, firstB.text, 'the other device still its own');
  const viaDomain = await me(tokenA, 't100.example.test');
  t.match(
    viaDomain.json(),
    { self: 'https://t100.example.test/user/currentUser' },
    'links on the origin asked',
  );
  t.not(viaDomain.text, firstA.text);
});

t.test(
  'the trust anchor decides the tenant; auto-registration off admits only registered devices',
  async (t) => {
    const server = await startServer(t, {
      seed: seedWith([
        { id: 't100', domain: 't100.example.test', pem: root.certificate.pem },
        {
          id: 't200',
          domain: 't200.example.test',
          pem: otherRoot.certificate.pem,
          auto: false,
          devices: ['listed-01'],
        },
      ]),
    });
    const ofT100 = await device(root, now, 'tenant-01');
    const viaOtherHost = await call(server, {
      method: 'POST',
      path: '/devicecontrol/deviceAccessToken',
      cert: ofT100.certPem,
      key: ofT100.keyPem,
      host: 't200.example.test',
      headers: { accept: 'application/json' },
    });
    t.equal(viaOtherHost.status, 200);
    const claims = decodeJwt((viaOtherHost.json() as { accessToken: string }).accessToken);
    t.equal(claims.ten, 't100', "a t100 device gets t100's token even on t200's domain");
    t.equal(claims.iss, 't100.example.test');

    const listed = await device(otherRoot, now, 'listed-01');
    t.equal(
      decodeJwt(await tokenOf(server, { cert: listed.certPem, key: listed.keyPem })).ten,
      't200',
      'seeded device of t200 gets a token',
    );
    const unlisted = await device(otherRoot, now, 'unlisted-01');
    assertError(
      t,
      await requestToken(server, { cert: unlisted.certPem, key: unlisted.keyPem }),
      422,
      'Auto registeration is failed for device/Unprocessable Entity',
      'Cannot process certificate data.',
    );
    const refusal = server.app.services.decisions.list({ externalId: 'unlisted-01' })[0];
    t.match(refusal, { outcome: 'refused', status: 422, rule: 'registration', tenantId: 't200' });
    t.match(refusal?.reason, /not registered in tenant t200, and auto-registration is off/);
  },
);

t.test('a multi-line PEM pasted into the header gets a 400 that explains the format', async (t) => {
  const server = await startServer(t, { listen: true, seed: defaultSeed });
  const { connect } = await import('node:tls');
  const dev = await device(root, now, 'multiline-01');
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        ca: server.serverCa,
        cert: dev.certPem,
        key: dev.keyPem,
      },
      () => {
        socket.write(
          `POST /devicecontrol/deviceAccessToken HTTP/1.1\r\nHost: localhost\r\nX-Ssl-Cert-Chain: ${dev.certPem.trim().replaceAll('\n', '\r\n')}\r\n\r\n`,
        );
      },
    );
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  t.match(raw, /^HTTP\/1\.1 400 Bad Request/);
  t.match(raw, /Content-Type: application\/vnd\.com\.nsn\.cumulocity\.error\+json/);
  const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { message: string; error: string };
  t.equal(body.error, 'general/Bad Request');
  t.match(body.message, /X-Ssl-Cert-Chain must be a single line: replace the newlines/);
});
