import { decodeJwt } from 'jose';
import t from 'tap';
import { admin, adminSeed, assertError, basic } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { openApi } from '../helpers/openapi.js';
import { device, rootCa } from '../helpers/pki.js';
import { ADMIN_SECRET, call, requestToken, startServer } from '../helpers/server.js';

const now = TEST_NOW;
const spec = openApi();
const OPTION_TYPE = /^application\/vnd\.com\.nsn\.cumulocity\.option\+json/;
const root = await rootCa(now, 'Options Root');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: root.certificate.pem }] }, { id: 't200' }]);
const vnd = 'application/vnd.com.nsn.cumulocity.option+json';

t.test('every option endpoint with its media type and status', async (t) => {
  const server = await startServer(t, { seed });
  const base = `https://localhost:${server.port}`;

  const created = await admin(server, {
    method: 'POST',
    path: '/tenant/options',
    contentType: vnd,
    headers: { accept: vnd },
    json: { category: 'alarm.type.mapping', key: 'temp_too_high', value: 'CRITICAL|temperature too high' },
  });
  t.equal(created.status, 200, 'POST answers 200, not 201');
  t.match(created.headers['content-type'], OPTION_TYPE);
  spec.assert(t, 'post', '/tenant/options', created);
  t.same(created.json(), {
    category: 'alarm.type.mapping',
    key: 'temp_too_high',
    value: 'CRITICAL|temperature too high',
    self: `${base}/tenant/options/alarm.type.mapping/temp_too_high`,
  });

  const one = await admin(server, { path: '/tenant/options/alarm.type.mapping/temp_too_high' });
  t.equal(one.status, 200);
  t.match(one.headers['content-type'], OPTION_TYPE);
  spec.assert(t, 'get', '/tenant/options/{category}/{key}', one);
  t.same(one.json(), created.json());

  const updated = await admin(server, {
    method: 'PUT',
    path: '/tenant/options/alarm.type.mapping/temp_too_high',
    json: { value: 'MAJOR|warm' },
  });
  t.equal(updated.status, 200);
  spec.assert(t, 'put', '/tenant/options/{category}/{key}', updated);
  t.match(updated.json(), { value: 'MAJOR|warm' });

  const category = await admin(server, {
    method: 'PUT',
    path: '/tenant/options/alarm.type.mapping',
    json: { temp_too_low: '0', humidity: 42 },
  });
  t.equal(category.status, 200);
  t.match(category.headers['content-type'], OPTION_TYPE);
  spec.assert(t, 'put', '/tenant/options/{category}', category);
  t.same(
    category.json(),
    { humidity: '42', temp_too_high: 'MAJOR|warm', temp_too_low: '0' },
    'the whole category, values as strings',
  );
  const read = await admin(server, { path: '/tenant/options/alarm.type.mapping' });
  spec.assert(t, 'get', '/tenant/options/{category}', read);
  t.same(read.json(), category.json());
  t.same(
    (await admin(server, { path: '/tenant/options/nothing.here' })).json(),
    {},
    'an empty category is {}',
  );

  const list = await admin(server, { path: '/tenant/options?pageSize=2&withTotalPages=true' });
  t.equal(list.status, 200);
  t.match(list.headers['content-type'], /^application\/vnd\.com\.nsn\.cumulocity\.optioncollection\+json/);
  spec.assert(t, 'get', '/tenant/options', list);
  t.same(list.json(), {
    options: [
      {
        category: 'alarm.type.mapping',
        key: 'humidity',
        value: '42',
        self: `${base}/tenant/options/alarm.type.mapping/humidity`,
      },
      {
        category: 'alarm.type.mapping',
        key: 'temp_too_high',
        value: 'MAJOR|warm',
        self: `${base}/tenant/options/alarm.type.mapping/temp_too_high`,
      },
    ],
    next: `${base}/tenant/options?pageSize=2&currentPage=2&withTotalPages=true`,
    self: `${base}/tenant/options?pageSize=2&currentPage=1&withTotalPages=true`,
    statistics: { currentPage: 1, pageSize: 2, totalPages: 2 },
  });

  const deleted = await admin(server, {
    method: 'DELETE',
    path: '/tenant/options/alarm.type.mapping/humidity',
  });
  t.equal(deleted.status, 204);
  t.equal(deleted.text, '');
  spec.assert(t, 'delete', '/tenant/options/{category}/{key}', deleted);

  const otherTenant = await admin(server, {
    path: '/tenant/options/alarm.type.mapping',
    auth: basic('t200/admin'),
  });
  t.same(otherTenant.json(), {}, "options are per tenant: t200 does not see t100's");
});

t.test('refusals', async (t) => {
  const server = await startServer(t, { seed });
  const cases: [string, Parameters<typeof admin>[1], string, number, string, string][] = [
    [
      'an unknown option',
      { path: '/tenant/options/no/such' },
      '/tenant/options/{category}/{key}',
      404,
      'options/Not Found',
      'Unable to find option by given key: no/such',
    ],
    [
      'DELETE of an unknown option',
      { method: 'DELETE', path: '/tenant/options/no/such' },
      '/tenant/options/{category}/{key}',
      404,
      'options/Not Found',
      'Unable to find option by given key: no/such',
    ],
    [
      'POST without a key',
      { method: 'POST', path: '/tenant/options', json: { category: 'a', value: 'b' } },
      '/tenant/options',
      422,
      'options/Unprocessable Entity',
      'Field key is required.',
    ],
    [
      'POST without a value',
      { method: 'POST', path: '/tenant/options', json: { category: 'a', key: 'b' } },
      '/tenant/options',
      422,
      'options/Unprocessable Entity',
      'Field value is required.',
    ],
    [
      'an object as a value',
      { method: 'POST', path: '/tenant/options', json: { category: 'a', key: 'b', value: { x: 1 } } },
      '/tenant/options',
      422,
      'options/Unprocessable Entity',
      'Field value must be a string (option values are strings, e.g. "300"); got object.',
    ],
    [
      'a lifespan below five minutes',
      {
        method: 'POST',
        path: '/tenant/options',
        json: { category: 'oauth.internal', key: 'device-token.lifespan.seconds', value: '299' },
      },
      '/tenant/options',
      422,
      'options/Unprocessable Entity',
      'oauth.internal/device-token.lifespan.seconds must be at least 300 seconds (5 minutes); got 299',
    ],
    [
      'a lifespan beyond a year',
      {
        method: 'POST',
        path: '/tenant/options',
        json: {
          category: 'oauth.internal',
          key: 'device-token.lifespan.seconds',
          value: '99999999999999999999',
        },
      },
      '/tenant/options',
      422,
      'options/Unprocessable Entity',
      'oauth.internal/device-token.lifespan.seconds must be at most 31536000 seconds (365 days); got 99999999999999999999',
    ],
    [
      'a lifespan that is no whole number',
      {
        method: 'PUT',
        path: '/tenant/options/oauth.internal',
        json: { 'device-token.lifespan.seconds': '600.5' },
      },
      '/tenant/options/{category}',
      422,
      'options/Unprocessable Entity',
      'oauth.internal/device-token.lifespan.seconds must be a whole number of seconds from 300 (5 minutes) to 31536000 (365 days); got "600.5"',
    ],
    [
      'a bad page size',
      { path: '/tenant/options?pageSize=5000' },
      '/tenant/options',
      400,
      'options/Bad Request',
      'Query parameter pageSize must be a whole number from 1 to 2000; got "5000".',
    ],
    [
      'a URL with broken percent-encoding',
      { path: '/tenant/options/%E0%A4%A/x' },
      '/tenant/options/{category}/{key}',
      400,
      'general/Bad Request',
      "The request path is not valid: '/tenant/options/%E0%A4%A/x' is not a valid url component",
    ],
    [
      'no credentials',
      { path: '/tenant/options', auth: null },
      '/tenant/options',
      401,
      'security/Unauthorized',
      'Full authentication is required to access this resource',
    ],
  ];
  for (const [name, request, template, status, error, message] of cases) {
    t.test(name, async (t) => {
      const response = await admin(server, request);
      assertError(t, response, status, error, message);
      spec.assert(t, request.method ?? 'get', template, response);
    });
  }
  t.test('a rejected category update writes nothing', async (t) => {
    const response = await admin(server, {
      method: 'PUT',
      path: '/tenant/options/oauth.internal',
      json: { 'basic-token.lifespan.seconds': '1209600', 'device-token.lifespan.seconds': '10' },
    });
    t.equal(response.status, 422);
    t.same((await admin(server, { path: '/tenant/options/oauth.internal' })).json(), {});
  });
  t.test('a device token is refused', async (t) => {
    const dev = await device(root, now, 'options-device-01');
    const token = (
      (await requestToken(server, { cert: dev.certPem, key: dev.keyPem })).json() as { accessToken: string }
    ).accessToken;
    const response = await admin(server, { path: '/tenant/options', auth: `Bearer ${token}` });
    assertError(t, response, 403, 'security/Forbidden', 'Access is denied.');
    spec.assert(t, 'get', '/tenant/options', response);
  });
});

t.test('the lifespan option takes effect on the next token, no restart', async (t) => {
  const server = await startServer(t, { seed });
  const dev = await device(root, now, 'lifespan-device-01');
  const set = await admin(server, {
    method: 'PUT',
    path: '/tenant/options/oauth.internal/device-token.lifespan.seconds',
    json: { value: '300' },
  });
  t.equal(set.status, 200, 'PUT sets an option that was never stored (only its default applied)');
  spec.assert(t, 'put', '/tenant/options/{category}/{key}', set);
  t.match(set.json(), { category: 'oauth.internal', key: 'device-token.lifespan.seconds', value: '300' });
  const claims = decodeJwt(
    ((await requestToken(server, { cert: dev.certPem, key: dev.keyPem })).json() as { accessToken: string })
      .accessToken,
  );
  t.equal(claims.exp! - claims.iat!, 300);
});

t.test(
  'the longest lifespan is a year: its tokens carry a readable exp; a longer stored one is cut to it',
  async (t) => {
    const server = await startServer(t, { seed });
    const set = await admin(server, {
      method: 'PUT',
      path: '/tenant/options/oauth.internal/device-token.lifespan.seconds',
      json: { value: '31536000' },
    });
    t.equal(set.status, 200);
    const tokenClaims = async (cn: string) => {
      const dev = await device(root, now, cn);
      const response = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
      return decodeJwt((response.json() as { accessToken: string }).accessToken);
    };
    const claims = await tokenClaims('year-device-01');
    t.equal(claims.exp! - claims.iat!, 31_536_000);
    t.ok(Number.isSafeInteger(claims.exp), 'exp is a safe integer');
    t.equal(new Date(claims.exp! * 1000).toISOString(), new Date(now + 31_536_000_000).toISOString());

    // An imported state is not checked option by option: its value is cut to the maximum.
    const control = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };
    const state = (await call(server, { path: '/_mock/state', headers: control })).json() as {
      tables: { options: { value: string }[] };
    };
    for (const option of state.tables.options) option.value = '99999999999999999999';
    const put = await call(server, {
      method: 'PUT',
      path: '/_mock/state',
      headers: control,
      body: JSON.stringify(state),
    });
    t.equal(put.status, 204);
    const cut = await tokenClaims('year-device-02');
    t.equal(cut.exp! - cut.iat!, 31_536_000, 'cut to the maximum');
  },
);

t.test('with --lifespan-below-minimum clamp, a short lifespan is stored and tokens last 300 s', async (t) => {
  const server = await startServer(t, { seed, config: { lifespanBelowMinimum: 'clamp' } });
  const set = await admin(server, {
    method: 'PUT',
    path: '/tenant/options/oauth.internal',
    json: { 'device-token.lifespan.seconds': '60' },
  });
  t.equal(set.status, 200);
  t.same(set.json(), { 'device-token.lifespan.seconds': '60' }, 'stored as given');
  const dev = await device(root, now, 'clamp-device-01');
  const claims = decodeJwt(
    ((await requestToken(server, { cert: dev.certPem, key: dev.keyPem })).json() as { accessToken: string })
      .accessToken,
  );
  t.equal(claims.exp! - claims.iat!, 300, 'clamped to the minimum');
  const notNumber = await admin(server, {
    method: 'PUT',
    path: '/tenant/options/oauth.internal',
    json: { 'device-token.lifespan.seconds': 'soon' },
  });
  assertError(
    t,
    notNumber,
    422,
    'options/Unprocessable Entity',
    'oauth.internal/device-token.lifespan.seconds must be a whole number of seconds from 300 (5 minutes) to 31536000 (365 days); got "soon"',
  );
});

t.test('credentials.* values are never shown: <<Encrypted>>, as the platform shows them', async (t) => {
  const server = await startServer(t, { seed });
  const secret = 'do-not-show-this-secret';
  const created = await admin(server, {
    method: 'POST',
    path: '/tenant/options',
    json: { category: 'my.integration', key: 'credentials.password', value: secret },
  });
  t.equal(created.status, 200);
  t.match(created.json(), { key: 'credentials.password', value: '<<Encrypted>>' }, 'the answer to POST');
  spec.assert(t, 'post', '/tenant/options', created);
  await admin(server, {
    method: 'PUT',
    path: '/tenant/options/my.integration',
    json: { 'credentials.token': secret, plain: 'shown' },
  });
  const answers = await Promise.all([
    admin(server, { path: '/tenant/options/my.integration/credentials.password' }),
    admin(server, { path: '/tenant/options/my.integration' }),
    admin(server, { path: '/tenant/options?pageSize=100' }),
    admin(server, {
      method: 'PUT',
      path: '/tenant/options/my.integration/credentials.password',
      json: { value: secret },
    }),
  ]);
  for (const answer of answers) {
    t.equal(answer.status, 200);
    t.notMatch(answer.text, secret, 'the secret is not in the answer');
  }
  t.same(answers[1]!.json(), {
    'credentials.password': '<<Encrypted>>',
    'credentials.token': '<<Encrypted>>',
    plain: 'shown',
  });
  t.match(answers[0]!.json(), { value: '<<Encrypted>>' });
});
