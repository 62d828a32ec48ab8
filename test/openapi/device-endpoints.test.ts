import { readFileSync } from 'node:fs';
import t from 'tap';
import { adminSeed } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { OpenApiValidator, openApi, SPEC_CORRECTIONS, SPEC_FILE } from '../helpers/openapi.js';
import { device, header, intermediateCa, rootCa } from '../helpers/pki.js';
import { call, requestToken, startServer } from '../helpers/server.js';

/**
 * The token endpoint and the endpoints a device token reads, validated
 * against the OpenAPI subset (the administration APIs are validated in their
 * own tests). Known spec errors are corrected in test/helpers/openapi.ts.
 */
const now = TEST_NOW;
const spec = openApi();
const TOKEN = '/devicecontrol/deviceAccessToken';
const root = await rootCa(now, 'Spec Root');
const issuing = await intermediateCa(root, now, 'Spec Issuing CA');
const closed = await rootCa(now, 'Closed Root');
const seed = adminSeed([
  { id: 't100', trusted: [{ pem: root.certificate.pem }] },
  { id: 't200', trusted: [{ pem: closed.certificate.pem, auto: false }] },
]);

t.test('deviceAccessToken responses match the spec', async (t) => {
  const server = await startServer(t, { seed });
  const dev = await device(issuing, now, 'spec-device-01');
  const ok = await requestToken(server, {
    cert: dev.certPem,
    key: dev.keyPem,
    chainHeader: header(issuing.certificate.pem),
  });
  t.equal(ok.status, 200);
  spec.assert(t, 'post', TOKEN, ok);

  const unparsable = await requestToken(server, {
    cert: dev.certPem,
    key: dev.keyPem,
    chainHeader: '-----BEGIN CERTIFICATE----- MIIB**** -----END CERTIFICATE-----',
  });
  t.equal(unparsable.status, 400);
  spec.assert(t, 'post', TOKEN, unparsable);

  const stranger = await device(await rootCa(now, 'Stranger'), now, 'spec-stranger-01');
  const untrusted = await requestToken(server, { cert: stranger.certPem, key: stranger.keyPem });
  t.equal(untrusted.status, 401);
  spec.assert(t, 'post', TOKEN, untrusted);

  const unregistered = await device(closed, now, 'spec-unregistered-01');
  const refused = await requestToken(server, { cert: unregistered.certPem, key: unregistered.keyPem });
  t.equal(refused.status, 422);
  spec.assert(t, 'post', TOKEN, refused);

  const token = (ok.json() as { accessToken: string }).accessToken;
  const bearer = { authorization: `Bearer ${token}` };
  const user = await call(server, { path: '/user/currentUser', headers: bearer });
  t.equal(user.status, 200);
  spec.assert(t, 'get', '/user/currentUser', user);
  const tenant = await call(server, { path: '/tenant/currentTenant', headers: bearer });
  t.equal(tenant.status, 200);
  spec.assert(t, 'get', '/tenant/currentTenant', tenant);
  const logout = await call(server, {
    method: 'POST',
    path: '/user/logout',
    headers: { ...bearer, 'content-type': 'application/json', accept: 'application/json' },
  });
  t.equal(logout.status, 200);
  spec.assert(t, 'post', '/user/logout', logout);
  const after = await call(server, { path: '/user/currentUser', headers: bearer });
  t.equal(after.status, 401);
  spec.assert(t, 'get', '/user/currentUser', after);
});

t.test('the validator catches what the spec forbids', async (t) => {
  const validator = new OpenApiValidator();
  const response = (status: number, contentType: string, body: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    return {
      status,
      headers: { 'content-type': contentType },
      text,
      raw: Buffer.from(text),
      json: () => body,
    };
  };
  t.same(validator.check('post', TOKEN, response(200, 'application/json', { accessToken: 'x.y.z' })), []);
  t.match(
    validator.check('post', TOKEN, response(200, 'application/json', { access_token: 'x.y.z' })).join('\n'),
    /must have required property 'accessToken'/,
    'the spec’s access_token is what the platform does not send',
  );
  t.match(
    validator.check(
      'post',
      TOKEN,
      response(200, 'application/vnd.com.nsn.cumulocity.managedobject+json', {}),
    ),
    [/content type/],
    'a content type the spec does not list',
  );
  t.match(
    validator.check('post', TOKEN, response(418, 'application/json', {})),
    [/status not documented/],
    'an undocumented status',
  );
  const certificateProblems = validator
    .check(
      'get',
      '/tenant/tenants/{tenantId}/trusted-certificates/{fingerprint}',
      response(200, 'application/json', { version: 'three', status: 'ON' }),
    )
    .join('\n');
  t.match(certificateProblems, /version must be integer/, 'field types');
  t.match(certificateProblems, /status must be equal to one of the allowed values/, 'enums');
  t.match(
    validator.check('delete', '/tenant/options/{category}/{key}', response(204, '', { surprise: true })),
    [/defines no body/],
    'a 204 with a body',
  );
  t.match(
    validator
      .check(
        'get',
        '/tenant/options',
        response(200, 'application/vnd.com.nsn.cumulocity.optioncollection+json', {
          options: [{ value: 300 }],
        }),
      )
      .join('\n'),
    /value must be string/,
    'option values are strings',
  );
});

t.test('the spec file is the fixture copy, and docs/apis.md lists every correction', async (t) => {
  t.match(SPEC_FILE, /test\/fixtures\/openapi\/c8y-oas-auth-subset\.json$/);
  const raw = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as {
    components: { schemas: { accessToken: { properties: Record<string, unknown> } } };
  };
  t.ok(
    'access_token' in raw.components.schemas.accessToken.properties,
    'the uncorrected spec still says access_token',
  );
  const page = readFileSync(new URL('../../docs/apis.md', import.meta.url), 'utf8');
  for (const correction of SPEC_CORRECTIONS) {
    t.ok(page.includes(correction.where), `docs/apis.md names: ${correction.where}`);
  }
});
