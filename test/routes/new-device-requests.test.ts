import t from 'tap';
import { basic } from '../helpers/admin.js';
import {
  ADMIN,
  asAdmin,
  deviceCsr,
  EST_NOW,
  enroll,
  estServer,
  inject,
  registerWithOtp,
} from '../helpers/est.js';
import { estApiSpec } from '../helpers/openapi.js';
import type { TestServer } from '../helpers/server.js';

/*
 * Registration for enrollment: a bulk file with AUTH_TYPE=CERTIFICATES and
 * ENROLLMENT_OTP, or POST /devicecontrol/newDeviceRequests with an
 * enrollmentToken. The device's managed object and c8y_Serial exist at once.
 */
const spec = estApiSpec();
const REQUESTS = '/devicecontrol/newDeviceRequests';
const NEW_DEVICE_REQUEST = 'application/vnd.com.nsn.cumulocity.newdevicerequest+json';

async function upload(server: TestServer, csv: string) {
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'devices.csv');
  const request = new Request('https://localhost/', { method: 'POST', body: form });
  return inject(server, {
    method: 'POST',
    url: '/devicecontrol/bulkNewDeviceRequests',
    headers: {
      accept: 'application/json',
      authorization: ADMIN,
      'content-type': request.headers.get('content-type')!,
    },
    body: Buffer.from(await request.arrayBuffer()),
  });
}

/** The managed object the device's c8y_Serial names, as go-c8y-cli looks it up right after registering. */
const serialOf = (server: TestServer, id: string) =>
  asAdmin(server, 'GET', `/identity/externalIds/c8y_Serial/${encodeURIComponent(id)}`);

t.test('a bulk file with ENROLLMENT_OTP, separated as clients send it: TAB, ";" or ","', async (t) => {
  const server = await estServer(t);
  await asAdmin(server, 'POST', '/certificate-authority');
  for (const [separator, id] of [
    ['\t', 'tab-01'],
    [';', 'semicolon-01'],
    [',', 'comma-01'],
  ] as const) {
    const csv = [
      [
        'ID',
        'AUTH_TYPE',
        'ENROLLMENT_OTP',
        'NAME',
        'TYPE',
        'CREDENTIALS',
        'com_cumulocity_model_Agent.active',
      ],
      [id, 'CERTIFICATES', `otp-${id}`, `Device ${id}`, 'thin-edge.io', 'ignored-with-an-otp', 'true'],
    ]
      .map((row) => row.join(separator))
      .join('\n');
    const response = await upload(server, csv);
    t.equal(response.status, 201, JSON.stringify(separator));
    t.same(response.json(), {
      numberOfAll: 1,
      numberOfCreated: 1,
      numberOfFailed: 0,
      numberOfSuccessful: 1,
      credentialUpdatedList: [],
      failedCreationList: [],
    });
    const serial = await serialOf(server, id);
    t.equal(serial.status, 200, `${id}: c8y_Serial exists at once`);
    const objectId = (serial.json() as { managedObject: { id: string } }).managedObject.id;
    const object = await asAdmin(server, 'GET', `/inventory/managedObjects/${objectId}`);
    t.match(object.json(), {
      name: `Device ${id}`,
      type: 'thin-edge.io',
      owner: `device_${id}`,
      c8y_IsDevice: {},
    });
    const csr = await deviceCsr(`CN=${id}`);
    t.equal((await enroll(server, id, `otp-${id}`, csr.der)).status, 200, `${id} enrolls with its password`);
  }
});

t.test(
  'bulk rows with a password that cannot be used fail on their own; a second file updates the password',
  async (t) => {
    const server = await estServer(t);
    const csv = [
      'ID\tAUTH_TYPE\tENROLLMENT_OTP',
      'long-01\tCERTIFICATES\t123456789012345678901234567890123',
      'basic-01\tBASIC\tsome-otp',
      'spaces-01\tCERTIFICATES\t"with space"',
      'good-01\tCERTIFICATES\tfirst-otp',
      'plain-01\tCERTIFICATES\t',
    ].join('\n');
    const response = await upload(server, csv);
    t.equal(response.status, 201);
    const result = response.json() as {
      numberOfSuccessful: number;
      numberOfFailed: number;
      failedCreationList: { deviceId: string; failureReason: string }[];
    };
    t.equal(result.numberOfSuccessful, 2, 'good-01, and plain-01 (a device with a certificate of its own)');
    t.same(
      result.failedCreationList.map((f) => [f.deviceId, f.failureReason]),
      [
        [
          'long-01',
          'Line 2: ENROLLMENT_OTP: the one-time password has 33 characters; at most 32 are allowed.',
        ],
        ['basic-01', 'Line 3: ENROLLMENT_OTP needs AUTH_TYPE CERTIFICATES; got "BASIC".'],
        [
          'spaces-01',
          'Line 4: ENROLLMENT_OTP: the one-time password contains whitespace or control characters.',
        ],
      ],
    );
    t.equal(
      server.app.services.enrollmentRequests.get('t100', 'plain-01'),
      undefined,
      'no password, no request',
    );

    const again = await upload(server, 'ID\tAUTH_TYPE\tENROLLMENT_OTP\ngood-01\tCERTIFICATES\tsecond-otp\n');
    t.match(again.json(), {
      numberOfCreated: 0,
      numberOfSuccessful: 1,
      credentialUpdatedList: [{ bulkNewDeviceStatus: 'CREDENTIAL_UPDATED', deviceId: 'good-01' }],
    });
    await asAdmin(server, 'POST', '/certificate-authority');
    const csr = await deviceCsr('CN=good-01');
    t.equal(
      (await enroll(server, 'good-01', 'first-otp', csr.der)).status,
      401,
      'the first password is replaced',
    );
    t.equal((await enroll(server, 'good-01', 'second-otp', csr.der)).status, 200);
  },
);

t.test(
  'POST /devicecontrol/newDeviceRequests with an enrollmentToken: ACCEPTED, listed until the device enrolls',
  async (t) => {
    const server = await estServer(t);
    await asAdmin(server, 'POST', '/certificate-authority');
    const created = await inject(server, {
      method: 'POST',
      url: REQUESTS,
      headers: { accept: NEW_DEVICE_REQUEST, 'content-type': NEW_DEVICE_REQUEST, authorization: ADMIN },
      body: JSON.stringify({ id: 'request-01', type: 'c8y_Linux', enrollmentToken: 'token-request-01' }),
    });
    t.equal(created.status, 201);
    t.match(
      String(created.headers['content-type']),
      /^application\/vnd\.com\.nsn\.cumulocity\.newdevicerequest\+json/,
    );
    spec.assert(t, 'post', REQUESTS, created);
    t.same(created.json(), {
      creationTime: new Date(EST_NOW).toISOString(),
      id: 'request-01',
      owner: 'admin',
      self: `https://t100.example.test${REQUESTS}/request-01`,
      status: 'ACCEPTED',
      tenantId: 't100',
      type: 'c8y_Linux',
    });
    t.equal(
      (await serialOf(server, 'request-01')).status,
      200,
      'the managed object and c8y_Serial exist at once',
    );
    t.equal(server.app.services.devices.get('t100', 'request-01')?.registration, 'request');

    const list = await asAdmin(server, 'GET', REQUESTS);
    t.equal(list.status, 200);
    spec.assert(t, 'get', REQUESTS, list);
    t.match(list.json(), {
      newDeviceRequests: [{ id: 'request-01', status: 'ACCEPTED' }],
      statistics: { pageSize: 5 },
    });
    const one = await asAdmin(server, 'GET', `${REQUESTS}/request-01`);
    t.equal(one.status, 200);
    spec.assert(t, 'get', `${REQUESTS}/{requestId}`, one);

    const duplicate = await asAdmin(server, 'POST', REQUESTS, {
      id: 'request-01',
      enrollmentToken: 'another',
    });
    t.equal(duplicate.status, 422, 'an open request is not replaced');
    t.match(duplicate.json(), {
      error: 'devicecontrol/Unprocessable Entity',
      message: /exists already; delete it first/,
    });

    const csr = await deviceCsr('CN=request-01');
    t.equal((await enroll(server, 'request-01', 'token-request-01', csr.der)).status, 200);
    t.same((await asAdmin(server, 'GET', REQUESTS)).json(), {
      newDeviceRequests: [],
      self: `https://t100.example.test${REQUESTS}?pageSize=5&currentPage=1`,
      statistics: { currentPage: 1, pageSize: 5, totalPages: 0 },
    });
    const gone = await asAdmin(server, 'GET', `${REQUESTS}/request-01`);
    t.equal(gone.status, 404);
    t.match(gone.json(), {
      error: 'devicecontrol/Not Found',
      message: 'Could not find newDeviceRequest by ID request-01',
    });
    spec.assert(t, 'get', `${REQUESTS}/{requestId}`, gone);
    t.equal(
      (await asAdmin(server, 'POST', REQUESTS, { id: 'request-01', enrollmentToken: 'for-a-new-key' }))
        .status,
      201,
      'an enrolled device can be registered again (a lost key)',
    );
  },
);

t.test('DELETE /devicecontrol/newDeviceRequests/{id}: the password can no longer be used', async (t) => {
  const server = await estServer(t);
  await asAdmin(server, 'POST', '/certificate-authority');
  await registerWithOtp(server, [['deleted-01', 'otp-deleted']]);
  const deleted = await asAdmin(server, 'DELETE', `${REQUESTS}/deleted-01`);
  t.equal(deleted.status, 204);
  spec.assert(t, 'delete', `${REQUESTS}/{requestId}`, deleted);
  t.equal((await asAdmin(server, 'DELETE', `${REQUESTS}/deleted-01`)).status, 404);
  const csr = await deviceCsr('CN=deleted-01');
  t.equal((await enroll(server, 'deleted-01', 'otp-deleted', csr.der)).status, 401);
});

t.test('newDeviceRequests refusals', async (t) => {
  const server = await estServer(t);
  const cases: [string, unknown, number, string, string | RegExp][] = [
    [
      'no id',
      { enrollmentToken: 'abc' },
      422,
      'undefined/validationError',
      'Following mandatory fields should be included: id',
    ],
    [
      'no enrollmentToken',
      { id: 'classic-01' },
      422,
      'devicecontrol/Unprocessable Entity',
      /simulates new device requests for the tenant CA only: send enrollmentToken/,
    ],
    [
      'a bad id',
      { id: 'a/b', enrollmentToken: 'abc' },
      422,
      'devicecontrol/Unprocessable Entity',
      /not allowed in a device ID/,
    ],
    [
      'a long password',
      { id: 'long-02', enrollmentToken: 'x'.repeat(33) },
      422,
      'devicecontrol/Unprocessable Entity',
      'enrollmentToken: the one-time password has 33 characters; at most 32 are allowed.',
    ],
    ['no object', [1], 422, 'devicecontrol/Unprocessable Entity', /must be a JSON object/],
  ];
  for (const [name, body, status, error, message] of cases) {
    const response = await asAdmin(server, 'POST', REQUESTS, body);
    t.equal(response.status, status, name);
    t.match(response.json(), { error, message }, name);
    spec.assert(t, 'post', REQUESTS, response);
  }
  t.equal((await inject(server, { method: 'GET', url: REQUESTS })).status, 401, 'no credentials');
  await asAdmin(server, 'POST', REQUESTS, { id: 'mine-01', enrollmentToken: 'abc' });
  const list = await asAdmin(server, 'GET', REQUESTS, undefined, basic('t200/admin'));
  t.match(list.json(), { newDeviceRequests: [] }, "another tenant's list is its own");
  const other = await asAdmin(server, 'GET', `${REQUESTS}/mine-01`, undefined, basic('t200/admin'));
  t.equal(other.status, 404, "another tenant's administrator does not see it");
});
