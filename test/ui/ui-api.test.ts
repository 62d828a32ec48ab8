import { request as httpsRequest } from 'node:https';
import t from 'tap';
import { TEST_NOW } from '../helpers/clock.js';
import { DAY, device, header, intermediateCa, rootCa } from '../helpers/pki.js';
import { seedWith } from '../helpers/seeds.js';
import {
  ADMIN_SECRET,
  call,
  ERROR_TYPE,
  INFO,
  requestToken,
  startServer,
  type TestServer,
} from '../helpers/server.js';
import { signIn, type UiClient } from '../helpers/ui.js';

const now = TEST_NOW;
const root = await rootCa(now, 'Lab Root CA');
const issuing = await intermediateCa(root, now, 'Lab Issuing CA');
const otherRoot = await rootCa(now, 'Other Tenant CA');
const stranger = await rootCa(now, 'Stranger CA');
const seed = seedWith([
  { id: 't100', domain: 't100.example.test', pem: root.certificate.pem },
  { id: 't200', domain: 't200.example.test', pem: otherRoot.certificate.pem },
]);
const tenantAdmin = { user: 't100/admin', password: 'admin-password' };
const mockAdmin = { secret: ADMIN_SECRET };

async function tokenFor(server: TestServer, cn: string, issuer = root) {
  const dev = await device(issuer, now, cn);
  const response = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
  return { dev, response, token: (response.json() as { accessToken?: string }).accessToken };
}

interface TenantsBody {
  now: number;
  tenants: {
    id: string;
    domain: string;
    trustedCertificates: {
      fingerprint: string;
      name: string;
      status: string;
      autoRegistrationEnabled: boolean;
      validity: string;
      daysLeft: number;
    }[];
    lifespan: { value: string | null; seconds: number };
  }[];
}

const fingerprintOf = async (client: UiClient, tenantId: string) =>
  ((await client.get('tenants')).json() as TenantsBody).tenants.find((x) => x.id === tenantId)!
    .trustedCertificates[0]!.fingerprint;

t.test('the page and its files are served at / and /_mock/ui/, with a strict CSP', async (t) => {
  const server = await startServer(t, { seed });
  for (const path of ['/', '/_mock/ui', '/_mock/ui/']) {
    const page = await call(server, { path });
    t.equal(page.status, 200, path);
    t.match(page.headers['content-type'], /^text\/html/);
    t.match(page.text, '<script type="module" src="/_mock/ui/app.js"></script>');
    t.match(page.headers['content-security-policy'], /script-src 'self'/, 'no inline scripts allowed');
  }
  const script = await call(server, { path: '/_mock/ui/app.js' });
  t.equal(script.status, 200);
  t.match(script.headers['content-type'], /^text\/javascript/);
  const view = await call(server, { path: '/_mock/ui/views/tokens.js' });
  t.equal(view.status, 200, 'files in subfolders');
  const again = await call(server, {
    path: '/_mock/ui/style.css',
    headers: { 'if-none-match': String(script.headers.etag) },
  });
  t.equal(again.status, 200, 'another file’s etag does not match');
  const cached = await call(server, {
    path: '/_mock/ui/app.js',
    headers: { 'if-none-match': String(script.headers.etag) },
  });
  t.equal(cached.status, 304);
  for (const path of ['/_mock/ui/nope.js', '/_mock/ui/../package.json', '/_mock/ui/%2e%2e/package.json']) {
    const missing = await call(server, { path });
    t.equal(missing.status, 404, path);
    t.match(missing.headers['content-type'], ERROR_TYPE);
  }
});

t.test('without a session every API call is a 401 with the Cumulocity error body', async (t) => {
  const server = await startServer(t, { seed });
  for (const [method, path] of [
    ['GET', 'session'],
    ['GET', 'tenants'],
    ['GET', 'devices'],
    ['GET', 'tokens'],
    ['GET', 'decisions'],
    ['GET', 'events'],
    ['POST', 'chain'],
    ['POST', 'decode'],
    ['POST', 'reset'],
    ['POST', 'logout'],
    ['PUT', 'tenants/t100/lifespan'],
  ] as const) {
    for (const cookie of [undefined, 'c8y_mock_ui=forged-session-id']) {
      const response = await call(server, {
        method,
        path: `/_mock/ui/api/${path}`,
        headers: cookie
          ? { cookie, 'content-type': 'application/json' }
          : { 'content-type': 'application/json' },
        body: method === 'GET' ? undefined : '{}',
      });
      t.equal(response.status, 401, `${method} ${path} ${cookie ?? 'no cookie'}`);
      t.match(response.headers['content-type'], ERROR_TYPE);
      t.same(response.json(), {
        error: 'security/Unauthorized',
        message: 'Full authentication is required to access this resource',
        info: INFO,
      });
    }
  }
});

t.test('sign-in: wrong credentials are 401, bad bodies 400, success a strict cookie', async (t) => {
  const server = await startServer(t, { seed });
  const login = (body: string) =>
    call(server, {
      method: 'POST',
      path: '/_mock/ui/api/login',
      headers: { 'content-type': 'application/json' },
      body,
    });
  for (const body of [
    { user: 't100/admin', password: 'wrong' },
    { user: 't999/admin', password: 'admin-password' },
    { user: 'admin', password: 'admin-password' },
    { secret: 'not-the-secret' },
  ]) {
    const response = await login(JSON.stringify(body));
    t.equal(response.status, 401, JSON.stringify(body));
    t.match(response.json(), {
      error: 'security/Unauthorized',
      message: 'Invalid credentials! : Bad credentials',
    });
    t.notOk(response.headers['set-cookie'], 'no cookie');
  }
  for (const [body, message] of [
    ['', /^Send a JSON object/],
    ['[]', /^Send a JSON object/],
    ['{"user": 5, "password": "x"}', /^user must be a string/],
    ['{"user": "t100/admin"}', /^Sign in with "user"/],
    ['{"user":', /^Invalid request body/],
  ] as const) {
    const response = await login(body);
    t.equal(response.status, 400, body);
    t.match(response.json(), { error: 'dashboard/Bad Request', message });
  }

  const ok = await login(JSON.stringify(tenantAdmin));
  t.equal(ok.status, 200);
  const setCookie = String(ok.headers['set-cookie']);
  t.match(
    setCookie,
    /^c8y_mock_ui=[A-Za-z0-9_-]{43}; Path=\/_mock\/ui; Max-Age=28800; HttpOnly; Secure; SameSite=Strict$/,
  );
  t.match(ok.json(), {
    name: 't100/admin',
    tenants: ['t100'],
    canReset: false,
    csrfToken: /^[A-Za-z0-9_-]{43}$/,
  });

  const admin = await signIn(server, mockAdmin);
  const session = await admin.get('session');
  t.equal(session.status, 200);
  t.match(session.json(), { name: 'mock administrator', tenants: ['t100', 't200'], canReset: true });
});

t.test('state-changing requests need the session’s CSRF token', async (t) => {
  const server = await startServer(t, { seed });
  const client = await signIn(server, tenantAdmin);
  const fingerprint = await fingerprintOf(client, 't100');
  const path = `/_mock/ui/api/tenants/t100/trusted-certificates/${fingerprint}`;
  for (const csrf of [undefined, 'guessed-token', `${client.csrfToken}x`]) {
    const response = await call(server, {
      method: 'PUT',
      path,
      headers: {
        cookie: client.cookie,
        'content-type': 'application/json',
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
      },
      body: '{"status":"DISABLED"}',
    });
    t.equal(response.status, 403, `X-CSRF-Token ${csrf}`);
    t.match(response.json(), {
      error: 'security/Forbidden',
      message: "Access is denied: send the session's CSRF token in the X-CSRF-Token header.",
    });
  }
  t.equal(server.app.services.trust.get('t100', fingerprint).record.status, 'ENABLED', 'nothing changed');
  const other = await signIn(server, tenantAdmin);
  const crossed = await call(server, {
    method: 'PUT',
    path,
    headers: { cookie: client.cookie, 'x-csrf-token': other.csrfToken, 'content-type': 'application/json' },
    body: '{"status":"DISABLED"}',
  });
  t.equal(crossed.status, 403, 'another session’s token does not do');
  t.equal((await client.send('PUT', path.replace('/_mock/ui/api/', ''), { status: 'DISABLED' })).status, 200);
});

t.test('a tenant administrator sees and changes their own tenant only', async (t) => {
  const server = await startServer(t, { seed });
  await tokenFor(server, 't200-device', otherRoot);
  const outsider = await device(stranger, now, 'nobodys-device');
  await requestToken(server, { cert: outsider.certPem, key: outsider.keyPem });
  const admin = await signIn(server, mockAdmin);
  const client = await signIn(server, tenantAdmin);
  const t200Fingerprint = await fingerprintOf(admin, 't200');

  t.same(
    ((await client.get('tenants')).json() as TenantsBody).tenants.map((x) => x.id),
    ['t100'],
  );
  t.same(
    ((await admin.get('tenants')).json() as TenantsBody).tenants.map((x) => x.id),
    ['t100', 't200'],
  );
  t.same(((await client.get('tokens')).json() as { tokens: unknown[] }).tokens, [], 'no t200 tokens');
  t.equal(((await admin.get('tokens')).json() as { tokens: unknown[] }).tokens.length, 1);
  t.same(
    ((await client.get('decisions')).json() as { decisions: unknown[] }).decisions,
    [],
    'no decisions of others',
  );
  t.equal(((await admin.get('decisions')).json() as { decisions: unknown[] }).decisions.length, 2);

  for (const [method, path, body] of [
    ['PUT', `tenants/t200/trusted-certificates/${t200Fingerprint}`, { status: 'DISABLED' }],
    ['PUT', 'tenants/t200/lifespan', { seconds: 600 }],
    ['POST', 'reset', {}],
  ] as const) {
    const response = await client.send(method, path, body);
    t.equal(response.status, 403, `${method} ${path}`);
    t.match(response.json(), { error: 'security/Forbidden', message: /^Access is denied/ });
  }
  t.equal((await client.get('decisions?tenant=t200')).status, 403);
  const t200Token = ((await admin.get('tokens')).json() as { tokens: { hash: string }[] }).tokens[0]!.hash;
  t.equal((await client.send('POST', `tokens/${t200Token}/revoke`)).status, 403, 'another tenant’s token');
  t.equal(server.app.services.trust.get('t200', t200Fingerprint).record.status, 'ENABLED');
  t.equal(server.app.services.options.lifespanSeconds('t200'), 3600);
});

t.test(
  'disabling a trusted certificate refuses the next token request; auto-registration and lifetime',
  async (t) => {
    const server = await startServer(t, { seed });
    const client = await signIn(server, tenantAdmin);
    const fingerprint = await fingerprintOf(client, 't100');
    const path = `tenants/t100/trusted-certificates/${fingerprint}`;
    const first = await tokenFor(server, 'switch-01');
    t.equal(first.response.status, 200);

    const disabled = await client.send('PUT', path, { status: 'DISABLED' });
    t.equal(disabled.status, 200);
    t.match((disabled.json() as TenantsBody['tenants'][0]).trustedCertificates[0], { status: 'DISABLED' });
    const refused = await requestToken(server, { cert: first.dev.certPem, key: first.dev.keyPem });
    t.equal(refused.status, 401, 'the next token request fails');
    const [decision] = server.app.services.decisions.list({ limit: 1 });
    t.equal(decision?.rule, 'anchor-enabled');

    t.equal(
      (await client.send('PUT', path, { status: 'ENABLED', autoRegistrationEnabled: false })).status,
      200,
    );
    t.equal(
      (await tokenFor(server, 'switch-01')).response.status,
      200,
      'a known device gets its token again',
    );
    t.equal((await tokenFor(server, 'switch-02')).response.status, 422, 'an unknown one is not registered');

    for (const [body, message] of [
      [{ status: 'PAUSED' }, 'dashboard/Bad Request'],
      [{ autoRegistrationEnabled: 'yes' }, 'dashboard/Bad Request'],
      [{}, 'dashboard/Bad Request'],
      [[], 'dashboard/Bad Request'],
    ] as const) {
      const response = await client.send('PUT', path, body);
      t.equal(response.status, 400, JSON.stringify(body));
      t.match(response.json(), { error: message });
    }
    const unknown = await client.send('PUT', `tenants/t100/trusted-certificates/${'0'.repeat(40)}`, {
      status: 'DISABLED',
    });
    t.equal(unknown.status, 404);

    const tooShort = await client.send('PUT', 'tenants/t100/lifespan', { seconds: 200 });
    t.equal(tooShort.status, 422);
    t.match(tooShort.json(), {
      message:
        'oauth.internal/device-token.lifespan.seconds must be at least 300 seconds (5 minutes); got 200',
    });
    t.equal((await client.send('PUT', 'tenants/t100/lifespan', { seconds: 'soon' })).status, 422);
    t.equal((await client.send('PUT', 'tenants/t100/lifespan', { seconds: true })).status, 400);
    const set = await client.send('PUT', 'tenants/t100/lifespan', { seconds: '600' });
    t.equal(set.status, 200);
    t.match(set.json(), { lifespan: { value: '600', seconds: 600 } });
    const admin = await signIn(server, mockAdmin);
    t.equal((await admin.send('PUT', 'tenants/t999/lifespan', { seconds: 600 })).status, 404);
  },
);

t.test('devices, tokens on the timeline, and revoking a token', async (t) => {
  const server = await startServer(t, { seed });
  const client = await signIn(server, tenantAdmin);
  const { token, dev } = await tokenFor(server, 'timeline-01', issuing);
  t.ok(token === undefined, 'without its issuing CA in the chain the device is refused');
  const issued = await requestToken(server, {
    cert: dev.certPem,
    key: dev.keyPem,
    chainHeader: header(issuing.certificate.pem),
  });
  t.equal(issued.status, 200);
  const jwt = (issued.json() as { accessToken: string }).accessToken;

  const devices = (await client.get('devices')).json() as {
    tenants: { id: string; devices: Record<string, unknown>[] }[];
  };
  t.match(devices.tenants[0]?.devices, [
    {
      externalId: 'timeline-01',
      registration: 'auto',
      certificate: { subject: 'CN=timeline-01', fingerprint: dev.credential.certificate.fingerprint },
      anchor: { name: 't100 CA', enabled: true },
      lastRequest: { outcome: 'issued', status: 200, source: 'decision' },
    },
  ]);

  const tokens = (await client.get('tokens')).json() as {
    now: number;
    tokens: {
      hash: string;
      issuedAt: number;
      halfLifeAt: number;
      expiresAt: number;
      state: string;
      revokedAt: null;
    }[];
  };
  t.equal(tokens.tokens.length, 1);
  const [view] = tokens.tokens;
  t.equal(view!.expiresAt - view!.issuedAt, 3600);
  t.equal(view!.halfLifeAt, view!.issuedAt + 1800);
  t.match(view, { state: 'active', revokedAt: null });

  const me = () => call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${jwt}` } });
  t.equal((await me()).status, 200);
  const revoked = await client.send('POST', `tokens/${encodeURIComponent(view!.hash)}/revoke`);
  t.equal(revoked.status, 200);
  t.match(revoked.json(), { hash: view!.hash, revokedAt: server.clock.now() });
  t.equal((await me()).status, 401, 'a revoked token is refused');
  t.equal(
    (await client.send('POST', `tokens/${encodeURIComponent(view!.hash)}/revoke`)).status,
    200,
    'idempotent',
  );
  t.match(((await client.get('tokens')).json() as typeof tokens).tokens[0], { state: 'revoked' });
  t.equal((await client.send('POST', 'tokens/no-such-hash/revoke')).status, 404);

  server.clock.advance(1801_000);
  const second = await tokenFor(server, 'second-01');
  t.equal(second.response.status, 200);
  // After a restart the decision log (kept in memory) is empty: a device's last request is then
  // its newest token, from the store.
  const restarted = await startServer(t, { seed, store: server.store, clock: server.clock });
  const again = await signIn(restarted, tenantAdmin);
  const after = (await again.get('devices')).json() as typeof devices;
  t.match(
    after.tenants[0]?.devices.find((d) => d.externalId === 'second-01'),
    { lastRequest: { outcome: 'issued', status: 200, source: 'token' } },
  );

  server.clock.advance(1800_000);
  const states = ((await client.get('tokens')).json() as typeof tokens).tokens.map((x) => x.state);
  t.same(states, ['renewable', 'revoked'], 'past the half-life point; revoked stays revoked');
  server.clock.advance(3600_000);
  t.same(
    ((await client.get('tokens')).json() as typeof tokens).tokens.map((x) => x.state),
    ['expired', 'revoked'],
  );
});

t.test('the chain check says which rule failed, in the decision log’s words', async (t) => {
  const server = await startServer(t, { seed });
  const admin = await signIn(server, mockAdmin);
  const client = await signIn(server, tenantAdmin);
  const check = (who: UiClient, chain: string) => who.send('POST', 'chain', { chain });

  const good = await device(issuing, now, 'chain-ok-01');
  const accepted = await check(client, good.chainPem);
  t.equal(accepted.status, 200);
  const report = accepted.json() as {
    ok: boolean;
    tenantId: string;
    chainChecks: { rule: string; ok: boolean }[];
    steps: {
      role: string;
      certificate: { subject: string; key: string };
      checks: { rule: string; ok: boolean }[];
    }[];
  };
  t.match(report, { ok: true, tenantId: 't100', anchor: { name: 't100 CA' }, presented: 3 });
  t.same(
    report.steps.map((s) => s.role),
    ['leaf', 'intermediate', 'anchor'],
  );
  t.ok(
    report.steps.every((s) => s.checks.every((c) => c.ok)),
    'every rule passed',
  );
  t.match(report.steps[0]!.checks, [
    { rule: 'not-expired', ok: true },
    { rule: 'leaf-key-usage', ok: true },
    { rule: 'leaf-extended-key-usage', ok: true },
    { rule: 'signature', ok: true },
  ]);

  const outsider = await device(stranger, now, 'chain-refused-01');
  const refused = (await check(client, outsider.certPem)).json() as {
    ok: boolean;
    rule: string;
    reason: string;
  };
  t.match(refused, { ok: false, rule: 'trusted-anchor', reason: /^no tenant trusts this chain/ });

  // The same words as the decision log for the same certificate.
  await requestToken(server, { cert: outsider.certPem, key: outsider.keyPem });
  const [logged] = server.app.services.decisions.list({ limit: 1 });
  t.equal(refused.reason, logged?.reason);

  const expired = await device(issuing, now, 'chain-expired-01', {
    notBefore: new Date(now - 30 * DAY),
    notAfter: new Date(now - DAY),
  });
  const late = (await check(client, expired.chainPem)).json() as typeof report & {
    rule: string;
    reason: string;
  };
  t.match(late, { ok: false, rule: 'not-expired', reason: /CN=chain-expired-01.* expired on / });
  t.match(late.steps[0]!.checks, [{ rule: 'not-expired', ok: false }]);

  const t200Device = await device(otherRoot, now, 'chain-t200-01');
  t.match((await check(admin, t200Device.chainPem)).json(), { ok: true, tenantId: 't200' });
  t.match(
    (await check(client, t200Device.chainPem)).json(),
    { ok: false, rule: 'trusted-anchor' },
    'a tenant administrator checks against their own trusted certificates only',
  );

  const oneLine = (await check(client, header(good.certPem, issuing.certificate.pem))).json();
  t.match(oneLine, { ok: true }, 'the one-line header form works too');

  for (const [chain, message] of [
    ['', 'Paste or upload at least one PEM certificate, the device certificate first.'],
    ['hello', 'Cannot parse the certificate chain: unexpected text outside PEM blocks.'],
    [
      good.keyPem,
      /^Cannot parse the certificate chain: found a PRIVATE KEY block where a CERTIFICATE was expected/,
    ],
    ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', /^Cannot parse the certificate chain: /],
  ] as const) {
    const response = await check(client, chain);
    t.equal(response.status, 400, String(chain).slice(0, 30));
    t.match(response.json(), { error: 'dashboard/Bad Request', message });
    t.notMatch(response.text, 'PRIVATE KEY-----', 'never echoes a key');
  }
  t.equal((await client.send('POST', 'chain', { chain: 42 })).status, 400);
});

t.test('the token decoder shows header and claims and whether the token is valid here now', async (t) => {
  const server = await startServer(t, { seed });
  const client = await signIn(server, tenantAdmin);
  const admin = await signIn(server, mockAdmin);
  const { token } = await tokenFor(server, 'decode-01');
  const decode = (who: UiClient, text: string) => who.send('POST', 'decode', { token: text });

  const valid = await decode(client, `Bearer ${token}`);
  t.equal(valid.status, 200);
  t.match(valid.json(), {
    header: { alg: 'RS256', typ: 'JWT' },
    claims: { sub: 'device_decode-01', ten: 't100', iss: 't100.example.test', tci: 'device_token_config' },
    known: true,
    valid: true,
  });

  const { token: other } = await tokenFor(server, 'decode-t200', otherRoot);
  t.match((await decode(admin, other!)).json(), { valid: true });
  t.match((await decode(client, other!)).json(), {
    valid: false,
    rule: 'token-tenant',
    claims: { ten: 't200' },
  });

  await call(server, { method: 'POST', path: '/user/logout', headers: { authorization: `Bearer ${token}` } });
  t.match((await decode(client, token!)).json(), {
    valid: false,
    rule: 'token-revoked',
    reason: 'token of device_decode-01 (tenant t100) was logged out',
  });
  server.clock.advance(3601_000);
  t.match((await decode(admin, other!)).json(), { valid: false, rule: 'token-expired' });

  const [head, body] = token!.split('.');
  t.match((await decode(client, `${head}.${body}.c2lnbmF0dXJl`)).json(), {
    valid: false,
    rule: 'token-signature',
    known: false,
  });
  for (const text of ['', 'not a token', 'a.b.c']) {
    const response = await decode(client, text);
    t.equal(response.status, 400, text);
    t.match(response.json(), { error: 'dashboard/Bad Request' });
  }
});

t.test('reset to the seed is for the mock administrator', async (t) => {
  const server = await startServer(t, { seed });
  const admin = await signIn(server, mockAdmin);
  await tokenFor(server, 'reset-ui-01');
  t.equal(server.app.services.devices.list('t100').length, 1);
  const reset = await admin.send('POST', 'reset');
  t.equal(reset.status, 200);
  t.match(reset.json(), { status: 'reset', tenants: ['t100', 't200'] });
  t.equal(server.app.services.devices.list('t100').length, 0);
  t.equal((await admin.get('session')).status, 200, 'the session survives a reset');

  const unseeded = await startServer(t, {});
  const bare = await signIn(unseeded, mockAdmin);
  t.match((await bare.get('session')).json(), { canReset: false });
  t.equal((await bare.send('POST', 'reset')).status, 422);
});

t.test('sign-out and idle expiry end the session', async (t) => {
  const server = await startServer(t, { seed });
  const client = await signIn(server, tenantAdmin);
  const out = await client.send('POST', 'logout');
  t.equal(out.status, 204);
  t.match(String(out.headers['set-cookie']), /^c8y_mock_ui=; Path=\/_mock\/ui; Max-Age=0;/);
  t.equal((await client.get('tenants')).status, 401);

  const idle = await signIn(server, tenantAdmin);
  server.clock.advance(7 * 3600_000);
  t.equal((await idle.get('tenants')).status, 200, 'used within the idle time');
  server.clock.advance(7 * 3600_000);
  t.equal((await idle.get('tenants')).status, 200, 'each use extends it');
  server.clock.advance(8 * 3600_000 + 1);
  t.equal((await idle.get('tenants')).status, 401, 'unused for 8 hours');

  // A state without the user (imported over the control API) ends their session.
  const gone = await signIn(server, tenantAdmin);
  const admin = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };
  const snapshot = (await call(server, { path: '/_mock/state', headers: admin })).json() as {
    tables: { users: unknown[] };
  };
  snapshot.tables.users = [];
  const imported = await call(server, {
    method: 'PUT',
    path: '/_mock/state',
    headers: admin,
    body: JSON.stringify(snapshot),
  });
  t.equal(imported.status, 204);
  t.equal((await gone.get('tenants')).status, 401, 'a removed user’s session ends');
  t.equal((await gone.get('session')).status, 401);
});

/** Opens the live stream and collects its events until told to stop. */
function openStream(server: TestServer, client: UiClient, lastEventId?: string) {
  const events: { event: string; data: string; id: string }[] = [];
  let buffer = '';
  const waiters: (() => void)[] = [];
  let status = 0;
  let closed = false;
  const request = httpsRequest({
    host: '127.0.0.1',
    port: server.port,
    servername: 'localhost',
    path: '/_mock/ui/api/events',
    ca: server.serverCa,
    agent: false,
    headers: {
      cookie: client.cookie,
      accept: 'text/event-stream',
      host: `localhost:${server.port}`,
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    },
  });
  const opened = new Promise<void>((resolve, reject) => {
    request.on('response', (response) => {
      status = response.statusCode ?? 0;
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((line) => !line.startsWith(':') && line.includes(': '))
              .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
          );
          if (fields.event)
            events.push({ event: fields.event, data: fields.data ?? '', id: fields.id ?? '' });
          end = buffer.indexOf('\n\n');
        }
        for (const wake of waiters.splice(0)) wake();
      });
      response.on('end', () => {
        closed = true;
        for (const wake of waiters.splice(0)) wake();
      });
      resolve();
    });
    request.on('error', reject);
  });
  request.end();
  return {
    opened,
    events,
    get status() {
      return status;
    },
    get closed() {
      return closed;
    },
    /** Resolves once `predicate` holds (checked on every chunk). */
    async until(predicate: () => boolean) {
      while (!predicate()) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: () => request.destroy(),
  };
}

t.test('the live stream delivers each decision a viewer may see, and ends with its session', async (t) => {
  const server = await startServer(t, { listen: true, seed });
  const admin = await signIn(server, mockAdmin);
  const client = await signIn(server, tenantAdmin);
  const all = openStream(server, admin);
  const own = openStream(server, client);
  await Promise.all([all.opened, own.opened]);
  t.equal(all.status, 200);

  await tokenFor(server, 'stream-t200', otherRoot);
  await tokenFor(server, 'stream-t100');
  await all.until(() => all.events.length === 2);
  await own.until(() => own.events.length === 1);
  t.same(
    all.events.map((e) => (JSON.parse(e.data) as { externalId: string }).externalId),
    ['stream-t200', 'stream-t100'],
  );
  const seen = JSON.parse(own.events[0]!.data) as Record<string, unknown>;
  t.match(seen, {
    outcome: 'issued',
    tenantId: 't100',
    externalId: 'stream-t100',
    token: { expiresAt: Number },
  });
  t.notOk(JSON.stringify(seen).includes('eyJ'), 'the token itself is never sent');

  // A reconnecting page gets what it missed.
  const replay = openStream(server, client, all.events[0]!.id);
  await replay.opened;
  await replay.until(() => replay.events.length === 1);
  t.equal(replay.events[0]!.id, own.events[0]!.id);
  replay.close();

  t.equal((await client.send('POST', 'logout')).status, 204);
  await tokenFor(server, 'stream-after-logout');
  await own.until(() => own.closed);
  t.equal(own.events.length, 1, 'nothing after sign-out; the stream ended');
  await all.until(() => all.events.length === 3);
  all.close();
});

t.test('closing the server ends open streams', async (t) => {
  const server = await startServer(t, { listen: true, seed });
  const admin = await signIn(server, mockAdmin);
  const stream = openStream(server, admin);
  await stream.opened;
  await server.app.close();
  await stream.until(() => stream.closed);
  t.pass('closed');
});

t.test('odd input always gets a 4xx that says what was wrong, never a 5xx', async (t) => {
  const server = await startServer(t, { seed });
  const admin = await signIn(server, mockAdmin);
  const raw = (method: string, path: string, body: string, contentType = 'application/json') =>
    call(server, {
      method,
      path: `/_mock/ui/api/${path}`,
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, 'content-type': contentType },
      body,
    });
  const attempts: [string, string, string, string?][] = [
    ['POST', 'chain', '{"chain": ["a"]}'],
    ['POST', 'chain', 'null'],
    ['POST', 'chain', '"-----BEGIN CERTIFICATE-----"'],
    ['POST', 'chain', JSON.stringify({ chain: '-----BEGIN CERTIFICATE-----\n'.repeat(5000) })],
    ['POST', 'chain', JSON.stringify({ chain: '%E0%A4%A' })],
    ['POST', 'chain', 'chain=abc', 'application/x-www-form-urlencoded'],
    ['POST', 'decode', '{"token": {"a": 1}}'],
    ['POST', 'decode', JSON.stringify({ token: 'eyJ.eyJ.x' })],
    [
      'POST',
      'decode',
      JSON.stringify({ token: `${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.` }),
    ],
    ['POST', 'decode', 'token', 'text/plain'],
    ['PUT', 'tenants/t100/lifespan', '{"seconds": -5}'],
    ['PUT', 'tenants/t100/lifespan', '{"seconds": 1e400}'],
    ['PUT', 'tenants/t100/lifespan', '{"seconds": "3600; DROP TABLE"}'],
    ['PUT', 'tenants/t100/trusted-certificates/..%2F..%2Fetc', '{"status": "DISABLED"}'],
    ['PUT', 'tenants/%00/trusted-certificates/abc', '{"status": "DISABLED"}'],
    ['POST', 'tokens/%FF/revoke', '{}'],
    ['GET', 'decisions?limit=0', ''],
    ['GET', 'decisions?limit=abc&outcome=issued', ''],
    ['GET', 'decisions?outcome=issued&outcome=refused', ''],
    ['GET', 'decisions?tenant=t100&tenant=t200', ''],
    ['GET', 'no-such-thing', ''],
  ];
  const badPath = await call(server, { path: '/user/%FF' });
  t.equal(badPath.status, 400, 'a bad percent-encoding anywhere');
  t.match(badPath.json(), { error: 'general/Bad Request', message: /^The request path is not valid/ });
  for (const [method, path, body, type] of attempts) {
    const response = await raw(method, path, body, type);
    const label = `${method} ${path.slice(0, 60)} ${body.slice(0, 40)}`;
    t.ok(response.status >= 400 || response.status === 200, label);
    t.ok(response.status < 500, `${label}: ${response.status} ${response.text.slice(0, 200)}`);
    if (response.status >= 400) {
      const parsed = response.json() as { error: string; message: string };
      t.match(parsed, { error: /\//, message: /\w/ }, `${label}: Cumulocity error body`);
    }
  }
});
