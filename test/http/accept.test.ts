import t from 'tap';
import { adminSeed, basic, multipart } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, rootCa } from '../helpers/pki.js';
import { type ClientResponse, call, startServer, type TestServer } from '../helpers/server.js';

/*
 * `Accept` on POST and PUT as the OpenAPI says: "If you specify an Accept header in a POST or PUT
 * request, the response will contain the newly created or updated object. If you do not specify
 * the header, the response body will be empty." The device data APIs have their own tests
 * (test/device-data); these are the administration APIs and the token endpoint, each asked once
 * without the header, once with it, and once without it under `--response-body always`.
 */
const now = TEST_NOW;
const root = await rootCa(now, 'Accept Root CA');
const uploads = await Promise.all(['one', 'two', 'three', 'four'].map((n) => rootCa(now, `Accept ${n} CA`)));
const dev = await device(root, now, 'accept-device-01');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: root.certificate.pem }] }]);

interface Write {
  name: string;
  method: 'POST' | 'PUT';
  path: string | ((round: number) => string);
  status: number;
  /** The JSON body, or a multipart form. */
  json?: (round: number) => unknown;
  form?: () => Promise<{ body: Buffer; contentType: string }>;
  /** A field the answer's object has when it is sent. */
  field: string | ((round: number) => string);
}

const pem = (round: number) => uploads[round]!.certificate.pem;
const writes: Write[] = [
  {
    name: 'upload a trusted certificate',
    method: 'POST',
    path: '/tenant/tenants/t100/trusted-certificates',
    status: 201,
    json: (round) => ({ name: `upload ${round}`, certInPemFormat: pem(round), status: 'ENABLED' }),
    field: 'fingerprint',
  },
  {
    name: 'change a trusted certificate',
    method: 'PUT',
    path: (round) => `/tenant/tenants/t100/trusted-certificates/${uploads[round]!.certificate.fingerprint}`,
    status: 200,
    json: (round) => ({ name: `renamed ${round}` }),
    field: 'fingerprint',
  },
  {
    name: 'a proof-of-possession verification code',
    method: 'POST',
    path: (round) =>
      `/tenant/tenants/t100/trusted-certificates-pop/${uploads[round]!.certificate.fingerprint}/verification-code`,
    status: 200,
    field: 'proofOfPossessionUnsignedVerificationCode',
  },
  {
    name: 'create an option',
    method: 'POST',
    path: '/tenant/options',
    status: 200,
    json: (round) => ({ category: 'accept', key: `k${round}`, value: 'v' }),
    field: 'value',
  },
  {
    name: 'a category of options',
    method: 'PUT',
    path: '/tenant/options/accept',
    status: 200,
    json: (round) => ({ [`c${round}`]: 'v' }),
    field: (round) => `c${round}`,
  },
  {
    name: 'one option',
    method: 'PUT',
    path: '/tenant/options/accept/k0',
    status: 200,
    json: (round) => ({ value: `v${round}` }),
    field: 'value',
  },
  {
    name: 'bulk device registration',
    method: 'POST',
    path: '/devicecontrol/bulkNewDeviceRequests',
    status: 201,
    form: () =>
      multipart({
        file: { content: 'ID;AUTH_TYPE\nbulk-accept-01;CERTIFICATES\n', filename: 'd.csv', type: 'text/csv' },
      }),
    field: 'numberOfAll',
  },
];

async function send(
  server: TestServer,
  write: Write,
  round: number,
  accept: boolean,
): Promise<ClientResponse> {
  const form = write.form ? await write.form() : undefined;
  const json = write.json?.(round);
  return call(server, {
    method: write.method,
    path: typeof write.path === 'string' ? write.path : write.path(round),
    headers: {
      authorization: basic('t100/admin'),
      ...(accept ? { accept: 'application/json' } : {}),
      ...(form ? { 'content-type': form.contentType } : {}),
      ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(form ? { body: form.body } : json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
}

t.test('POST and PUT of the administration APIs: the object only with Accept', async (t) => {
  const server = await startServer(t, { seed });
  const always = await startServer(t, { seed, config: { responseBody: 'always' } });
  // Round 0 without Accept, round 1 with it, round 2 without it under --response-body always.
  for (const [round, target, accept, body] of [
    [0, server, false, false],
    [1, server, true, true],
    [2, always, false, true],
  ] as const) {
    for (const write of writes) {
      const response = await send(target, write, round, accept);
      const label = `${write.name}, ${accept ? 'with' : 'without'} Accept${target === always ? ', --response-body always' : ''}`;
      t.equal(response.status, write.status, `${label}: ${write.status}`);
      const field = typeof write.field === 'string' ? write.field : write.field(round);
      if (body) t.match(response.json(), { [field]: /./ }, `${label}: the object`);
      else t.equal(response.text, '', `${label}: an empty body`);
    }
  }
});

t.test('the tenant CA: the certificate only with Accept', async (t) => {
  const server = await startServer(t, { seed });
  const created = await call(server, {
    method: 'POST',
    path: '/certificate-authority',
    headers: { authorization: basic('t100/admin') },
  });
  t.equal(created.status, 201);
  t.equal(created.text, '', 'no Accept: empty');
  const listed = await call(server, {
    path: '/tenant/tenants/t100/trusted-certificates?certificateAuthority=true',
    headers: { authorization: basic('t100/admin'), accept: 'application/json' },
  });
  t.equal((listed.json() as { certificates: unknown[] }).certificates.length, 1, 'it was made');
  for (const [i, accept] of [false, true].entries()) {
    const registered = await call(server, {
      method: 'POST',
      path: '/devicecontrol/newDeviceRequests',
      headers: {
        authorization: basic('t100/admin'),
        'content-type': 'application/json',
        ...(accept ? { accept: 'application/json' } : {}),
      },
      body: JSON.stringify({ id: `est-accept-0${i}`, enrollmentToken: `otp-${i}-secret` }),
    });
    t.equal(registered.status, 201, 'a new device request');
    if (accept)
      t.match(registered.json(), { id: 'est-accept-01', status: 'ACCEPTED' }, 'with Accept: the request');
    else t.equal(registered.text, '', 'without Accept: empty');
  }
});

t.test(
  'the token endpoint: no Accept, no token in the body (the OpenAPI lists Accept there too)',
  async (t) => {
    const server = await startServer(t, { seed });
    const token = (target: TestServer, accept: boolean) =>
      call(target, {
        method: 'POST',
        path: '/devicecontrol/deviceAccessToken',
        cert: dev.certPem,
        key: dev.keyPem,
        ...(accept ? { headers: { accept: 'application/json' } } : {}),
      });
    const bare = await token(server, false);
    t.equal(bare.status, 200);
    t.equal(bare.text, '', 'an empty body');
    const asked = await token(server, true);
    t.match(asked.json(), { accessToken: /^eyJ/ }, 'with Accept: the token');
    const always = await startServer(t, { seed, config: { responseBody: 'always' } });
    const anyway = await token(always, false);
    t.match(anyway.json(), { accessToken: /^eyJ/ }, '--response-body always: the token anyway');
  },
);
