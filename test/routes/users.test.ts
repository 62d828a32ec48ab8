import t from 'tap';
import { admin, adminSeed, assertError, basic } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { closed, connectDevice, nextMessage } from '../helpers/mqtt.js';
import { dataApiSpec, openApi } from '../helpers/openapi.js';
import { device, rootCa } from '../helpers/pki.js';
import { ADMIN_SECRET, call, requestToken, startServer } from '../helpers/server.js';
import { until } from '../helpers/wait.js';

/*
 * The docs' "disable the device user" step, through the platform's user API
 * (GET/PUT /user/{tenantId}/users/{userName}): a disabled device user gets no token, its tokens
 * are refused, and its MQTT connection ends. The 2026 subset has no such path, only the `user`
 * schema, which the answers are held to.
 */
const now = TEST_NOW;
const spec = dataApiSpec();
const root = await rootCa(now, 'Users Root CA');
const dev = await device(root, now, 'users-dev-01');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: root.certificate.pem }] }, { id: 't200' }]);
const USER = '/user/t100/users/device_users-dev-01';

t.test('disable the device user: no token, its tokens refused, its MQTT connection closed', async (t) => {
  const server = await startServer(t, { seed, mqtt: true });
  const first = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
  t.equal(first.status, 200, 'a token while enabled (and the device user is made)');
  const { accessToken } = first.json() as { accessToken: string };
  const bearer = { authorization: `Bearer ${accessToken}` };

  const read = await admin(server, { path: USER });
  t.equal(read.status, 200);
  t.match(String(read.headers['content-type']), /^application\/vnd\.com\.nsn\.cumulocity\.user\+json/);
  t.match(read.json(), { id: 'device_users-dev-01', userName: 'device_users-dev-01', enabled: true });
  spec.assertSchema(t, 'user', read.json(), 'GET the device user');

  const mqtt = await connectDevice(t, server, {
    cert: dev.certPem,
    key: dev.keyPem,
    clientId: 'users-dev-01',
  });
  await mqtt.subscribeAsync('s/dat', { qos: 0 });
  const answer = nextMessage(mqtt, 's/dat');
  await mqtt.publishAsync('s/uat', '', { qos: 0 });
  t.match(await answer, /^71,/, 'the MQTT session works');
  const mqttClosed = closed(mqtt);

  const disabled = await admin(server, { method: 'PUT', path: USER, json: { enabled: false } });
  t.equal(disabled.status, 200);
  t.match(disabled.json(), { enabled: false });
  spec.assertSchema(t, 'user', disabled.json(), 'PUT the device user');
  await mqttClosed;
  t.pass('the MQTT connection was closed');
  await until(() => server.app.services.mqttSessions.size === 0, 'the session to go');
  t.match(server.app.services.decisions.list({ limit: 1 })[0], {
    door: 'mqtt',
    rule: 'user-enabled',
    mqtt: { stage: 'session' },
  });

  assertError(
    t,
    await call(server, { path: '/user/currentUser', headers: bearer }),
    401,
    'security/Unauthorized',
    'Invalid credentials! : User is disabled',
  );
  assertError(
    t,
    await requestToken(server, { cert: dev.certPem, key: dev.keyPem }),
    401,
    'security/Unauthorized',
    'Invalid credentials! : User is disabled',
  );
  t.match(server.app.services.decisions.list({ limit: 1 })[0], {
    door: 'rest',
    rule: 'user-enabled',
    reason: /device_users-dev-01 of tenant t100 is disabled/,
  });
  t.match((await admin(server, { path: USER })).json(), { enabled: false }, 'GET shows it');

  const enabled = await admin(server, {
    method: 'PUT',
    path: USER,
    json: { enabled: true, email: 'ignored' },
  });
  t.match(enabled.json(), { enabled: true });
  t.equal(
    (await call(server, { path: '/user/currentUser', headers: bearer })).status,
    200,
    'its token again',
  );
  t.equal((await requestToken(server, { cert: dev.certPem, key: dev.keyPem })).status, 200, 'a token again');
  const unchanged = await admin(server, { method: 'PUT', path: USER, json: {} });
  t.match(unchanged.json(), { enabled: true }, 'a PUT without enabled changes nothing');
});

t.test('the user API refuses what the platform would', async (t) => {
  const server = await startServer(t, { seed });
  await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
  assertError(
    t,
    await admin(server, { path: '/user/t100/users/device_nobody' }),
    404,
    'user/Not Found',
    'User with username = device_nobody not found',
  );
  assertError(
    t,
    await admin(server, { path: '/user/t100/users/admin' }),
    404,
    'user/Not Found',
    'User with username = admin not found',
  );
  assertError(
    t,
    await admin(server, { path: USER, auth: basic('t200/admin') }),
    403,
    'security/Forbidden',
    'Access is denied.',
  );
  assertError(
    t,
    await admin(server, { method: 'PUT', path: USER, json: { enabled: 'no' } }),
    422,
    'user/Unprocessable Entity',
    'Field enabled must be true or false; got string "no".',
  );
  t.equal((await admin(server, { path: USER, auth: null })).status, 401, 'no credentials');
  const token = (await requestToken(server, { cert: dev.certPem, key: dev.keyPem })).json() as {
    accessToken: string;
  };
  t.equal(
    (await admin(server, { path: USER, auth: `Bearer ${token.accessToken}` })).status,
    403,
    'a device may not read users',
  );
});

t.test(
  'the device-token feature switched off for a tenant: the documented 404, on again: tokens',
  async (t) => {
    const server = await startServer(t, { seed });
    const features = await admin(server, { path: '/features' });
    t.equal(features.status, 200);
    t.same(features.json(), [
      { key: 'device-access-token', phase: 'GENERALLY_AVAILABLE', active: true, strategy: 'TENANT' },
    ]);
    const off = await admin(server, {
      method: 'PUT',
      path: '/features/device-access-token/by-tenant',
      json: { active: false },
    });
    t.equal(off.status, 200);
    t.match(off.json(), { key: 'device-access-token', active: false });
    t.match((await admin(server, { path: '/features/device-access-token' })).json(), { active: false });

    const refused = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
    t.equal(refused.status, 404);
    t.same(refused.json(), {
      error: 'Not Found',
      message: 'This feature is disabled, please contact system administrator.',
      info: 'https://www.cumulocity.com/guides/reference-guide/#error_reporting',
    });
    openApi().assert(t, 'post', '/devicecontrol/deviceAccessToken', refused);
    t.match(server.app.services.decisions.list({ limit: 1 })[0], {
      rule: 'feature-enabled',
      reason: /switched off for tenant t100/,
    });
    t.notOk(server.app.services.devices.get('t100', 'users-dev-01'), 'no device registered meanwhile');

    // Other tenants keep it; switched on, tokens again.
    t.match(
      (await admin(server, { path: '/features/device-access-token', auth: basic('t200/admin') })).json(),
      {
        active: true,
      },
    );
    await admin(server, {
      method: 'PUT',
      path: '/features/device-access-token/by-tenant',
      json: { active: true },
    });
    t.equal((await requestToken(server, { cert: dev.certPem, key: dev.keyPem })).status, 200);

    assertError(
      t,
      await admin(server, { path: '/features/no-such-feature' }),
      404,
      'features/Not Found',
      'Feature toggle with key no-such-feature not found',
    );
    assertError(
      t,
      await admin(server, { method: 'PUT', path: '/features/device-access-token/by-tenant', json: {} }),
      422,
      'features/Unprocessable Entity',
      'Field active is required: true or false.',
    );

    // The switch is state: exported and imported with the rest.
    await admin(server, {
      method: 'PUT',
      path: '/features/device-access-token/by-tenant',
      json: { active: false },
    });
    const exported = (
      await call(server, {
        path: '/_mock/state',
        headers: { authorization: `Bearer ${ADMIN_SECRET}` },
      })
    ).json() as { tables: { featureToggles: unknown[] } };
    t.same(exported.tables.featureToggles, [{ tenantId: 't100', key: 'device-access-token', active: false }]);
  },
);
