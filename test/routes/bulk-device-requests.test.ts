import { decodeJwt } from 'jose';
import t from 'tap';
import { admin, adminSeed, assertError, multipart } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { openApi } from '../helpers/openapi.js';
import { device, rootCa } from '../helpers/pki.js';
import { requestToken, startServer, type TestServer } from '../helpers/server.js';

const now = TEST_NOW;
const spec = openApi();
const BULK = '/devicecontrol/bulkNewDeviceRequests';
const root = await rootCa(now, 'Bulk Root');
// Auto-registration off: only registered devices get tokens.
const seed = adminSeed([
  { id: 't100', trusted: [{ pem: root.certificate.pem, auto: false }], devices: ['known-01'] },
]);

async function upload(server: TestServer, csv: string, field = 'file') {
  const form = await multipart({ [field]: { content: csv, filename: 'devices.csv', type: 'text/csv' } });
  return admin(server, { method: 'POST', path: BULK, body: form.body, contentType: form.contentType });
}

t.test('registered devices of a tenant without auto-registration get tokens', async (t) => {
  const server = await startServer(t, { seed });
  const dev = await device(root, now, 'bulk-01');
  assertError(
    t,
    await requestToken(server, { cert: dev.certPem, key: dev.keyPem }),
    422,
    'Auto registeration is failed for device/Unprocessable Entity',
    'Cannot process certificate data.',
  );

  const csv = [
    'ID;AUTH_TYPE;CREDENTIALS;TYPE;NAME;com_cumulocity_model_Agent.active',
    'bulk-01;CERTIFICATES;;c8y_Device;Bulk 1;true',
    'bulk-02;certificates;;c8y_Device;Bulk 2;true',
    'known-01;CERTIFICATES;;c8y_Device;Known;true',
    'basic-01;BASIC;Secret123!;c8y_Device;Basic;true',
    ';CERTIFICATES;;c8y_Device;No ID;true',
    'bad/id;CERTIFICATES;;c8y_Device;Slash;true',
    'creds-01;CERTIFICATES;Secret123!;c8y_Device;Both;true',
    'short-01;CERTIFICATES',
    'odd-01;TOKEN;;c8y_Device;Odd;true',
  ].join('\n');
  const response = await upload(server, csv);
  t.equal(response.status, 201);
  t.match(
    response.headers['content-type'],
    /^application\/vnd\.com\.nsn\.cumulocity\.bulknewdevicerequest\+json/,
  );
  spec.assert(t, 'post', BULK, response);
  const failed = (deviceId: string | undefined, line: number, reason: string, raw: string) => ({
    bulkNewDeviceStatus: 'FAILED',
    ...(deviceId ? { deviceId } : {}),
    failureReason: `Line ${line}: ${reason}`,
    line: raw,
  });
  const rows = csv.split('\n');
  t.same(response.json(), {
    numberOfAll: 9,
    numberOfCreated: 2,
    numberOfFailed: 6,
    numberOfSuccessful: 3,
    credentialUpdatedList: [{ bulkNewDeviceStatus: 'CREDENTIAL_UPDATED', deviceId: 'known-01' }],
    failedCreationList: [
      failed(
        'basic-01',
        5,
        'the mock registers only devices that authenticate with certificates: set AUTH_TYPE to CERTIFICATES (devices with passwords are not simulated).',
        rows[4]!,
      ),
      failed(undefined, 6, 'ID is empty.', rows[5]!),
      failed(
        'bad/id',
        7,
        'the ID "bad/id" contains a character that is not allowed in a device ID (whitespace, / \\ : + $).',
        rows[6]!,
      ),
      failed('creds-01', 8, 'CREDENTIALS must be empty when AUTH_TYPE is CERTIFICATES.', rows[7]!),
      failed('short-01', 9, 'the line has 2 values but the first line names 6 columns.', rows[8]!),
      failed('odd-01', 10, 'AUTH_TYPE must be CERTIFICATES or BASIC; got "TOKEN".', rows[9]!),
    ],
  });

  const token = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
  t.equal(token.status, 200, 'the registered device gets a token at once');
  t.match(decodeJwt((token.json() as { accessToken: string }).accessToken), {
    sub: 'device_bulk-01',
    ten: 't100',
  });
  const unlisted = await device(root, now, 'basic-01');
  t.equal(
    (await requestToken(server, { cert: unlisted.certPem, key: unlisted.keyPem })).status,
    422,
    'a failed row registers nothing',
  );
});

t.test('the separator is detected: comma (as @c8y/client shows) and tab', async (t) => {
  const server = await startServer(t, { seed });
  for (const [name, csv] of [
    ['comma', 'ID,AUTH_TYPE,TENANT\ncomma-01,CERTIFICATES,t100\n'],
    ['tab', 'ID\tAUTH_TYPE\ntab-01\tCERTIFICATES\n'],
  ] as const) {
    const response = await upload(server, csv);
    t.equal(response.status, 201, name);
    t.match(response.json(), { numberOfAll: 1, numberOfCreated: 1, numberOfFailed: 0 }, name);
  }
  t.ok(server.app.services.devices.get('t100', 'comma-01'));
  t.ok(server.app.services.devices.get('t100', 'tab-01'));
});

t.test('files that are no bulk registration', async (t) => {
  const server = await startServer(t, { seed });
  const cases: [string, () => ReturnType<typeof upload>, number, string, string][] = [
    [
      'no ID column',
      () => upload(server, 'NAME;AUTH_TYPE\nx;CERTIFICATES\n'),
      422,
      'devicecontrol/Unprocessable Entity',
      'The first line of the CSV file must name the columns and include ID; found "NAME", "AUTH_TYPE".',
    ],
    [
      'only the header',
      () => upload(server, 'ID;AUTH_TYPE\n'),
      422,
      'devicecontrol/Unprocessable Entity',
      'The CSV file has column names but no device rows.',
    ],
    [
      'an empty file',
      () => upload(server, '\n'),
      422,
      'devicecontrol/Unprocessable Entity',
      'The CSV file is empty; its first line must name the columns (ID;AUTH_TYPE;…).',
    ],
    [
      'the file in another field',
      () => upload(server, 'ID;AUTH_TYPE\nx;CERTIFICATES\n', 'csv'),
      400,
      'devicecontrol/Bad Request',
      'Send the CSV file in the multipart field "file".',
    ],
    [
      'JSON instead of a file',
      () => admin(server, { method: 'POST', path: BULK, json: { id: 'x' } }),
      400,
      'devicecontrol/Bad Request',
      'Send the CSV file as multipart/form-data in the field "file".',
    ],
    [
      'a broken multipart body',
      () =>
        admin(server, {
          method: 'POST',
          path: BULK,
          body: '--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\nID\r\n',
          contentType: 'multipart/form-data; boundary=xyz',
        }),
      400,
      'devicecontrol/Bad Request',
      'The multipart request could not be read: Unexpected end of multipart data.',
    ],
  ];
  for (const [name, send, status, error, message] of cases) {
    t.test(name, async (t) => {
      const response = await send();
      assertError(t, response, status, error, message);
      spec.assert(t, 'post', BULK, response);
    });
  }
  t.test('a device token is refused', async (t) => {
    const dev = await device(root, now, 'known-01');
    const token = (
      (await requestToken(server, { cert: dev.certPem, key: dev.keyPem })).json() as { accessToken: string }
    ).accessToken;
    const form = await multipart({ file: { content: 'ID;AUTH_TYPE\nx;CERTIFICATES\n' } });
    const response = await admin(server, {
      method: 'POST',
      path: BULK,
      body: form.body,
      contentType: form.contentType,
      auth: `Bearer ${token}`,
    });
    assertError(t, response, 403, 'security/Forbidden', 'Access is denied.');
    spec.assert(t, 'post', BULK, response);
  });
});
