import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { admin, adminSeed, assertError, basic, multipart } from '../helpers/admin.js';
import { TEST_NOW } from '../helpers/clock.js';
import { openApi } from '../helpers/openapi.js';
import { DAY, device, rootCa } from '../helpers/pki.js';
import { type ClientResponse, requestToken, startServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const now = TEST_NOW;
const spec = openApi();
const CRL = '/tenant/trusted-certificates/settings/crl';
const DATE_ERROR = "Unsupported date time format, supported format:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'";
const root = await rootCa(now, 'CRL Root');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: root.certificate.pem }] }, { id: 't200' }]);

/** `openssl crl -inform DER -noout -text` on a downloaded CRL: serial (uppercase hex) to revocation date. */
async function readCrl(response: ClientResponse): Promise<{ text: string; revoked: Map<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'c8y-crl-'));
  writeFileSync(join(dir, 'list.crl'), response.raw);
  const { stdout } = await run('openssl', [
    'crl',
    '-inform',
    'DER',
    '-noout',
    '-text',
    '-in',
    join(dir, 'list.crl'),
  ]);
  const revoked = new Map<string, string>();
  for (const match of stdout.matchAll(/Serial Number: ([0-9A-F]+)\s+Revocation Date: ([^\n]+)/g)) {
    revoked.set(match[1]!, match[2]!.trim());
  }
  return { text: stdout, revoked };
}

/** openssl prints dates as `Jan 11 16:12:36 2023 GMT`. */
const opensslDate = (iso: string) => {
  const d = new Date(iso);
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const day = String(d.getUTCDate()).padStart(2, ' ');
  return `${month} ${day} ${d.toISOString().slice(11, 19)} ${d.getUTCFullYear()} GMT`;
};

const putJson = (server: TestServer, json: unknown, auth?: string) =>
  admin(server, { method: 'PUT', path: CRL, json, ...(auth ? { auth } : {}) });

async function putFile(server: TestServer, csv: string, field = 'file') {
  const { body, contentType } = await multipart({
    [field]: { content: csv, filename: 'crl.csv', type: 'text/csv' },
  });
  return admin(server, { method: 'PUT', path: CRL, body, contentType });
}

t.test('JSON entries, then a real DER CRL that openssl reads', async (t) => {
  const server = await startServer(t, { seed });
  const put = await putJson(server, {
    crls: [
      { serialNumberInHex: '1000', revocationDate: '2023-01-11T16:12:36.288Z' },
      { serialNumberInHex: '0xABCDEF0123', revocationDate: '2024-02-29T00:00:00.000Z' },
      { serialNumberInHex: 'ff01' },
      { serialNumberInHex: '77', revocationDate: new Date(now + 10 * DAY).toISOString() },
    ],
  });
  t.equal(put.status, 204);
  t.equal(put.text, '');
  spec.assert(t, 'put', CRL, put);

  const got = await admin(server, { path: CRL, headers: { accept: 'application/pkix-crl' } });
  t.equal(got.status, 200);
  t.equal(got.headers['content-type'], 'application/pkix-crl');
  spec.assert(t, 'get', CRL, got);
  const { text, revoked } = await readCrl(got);
  t.match(text, /Version 2/);
  t.match(text, /Issuer: CN = t100, O = c8y-mtls-mock offline CRL/);
  const serverNow = new Date(server.clock.now()).toISOString().replace(/\.\d{3}Z$/, '.000Z');
  t.same(
    Object.fromEntries(revoked),
    {
      '1000': opensslDate('2023-01-11T16:12:36.000Z'),
      ABCDEF0123: opensslDate('2024-02-29T00:00:00.000Z'),
      FF01: opensslDate(serverNow),
      '77': opensslDate(serverNow),
    },
    'every serial; a missing or future date is now',
  );

  const again = await putJson(server, {
    crls: [{ serialNumberInHex: '1000', revocationDate: '2020-01-01T00:00:00.000Z' }],
  });
  t.equal(again.status, 204);
  t.equal(
    (await readCrl(await admin(server, { path: CRL }))).revoked.get('1000'),
    opensslDate('2023-01-11T16:12:36.000Z'),
    'an entry already on the list stays (JSON payload)',
  );

  const other = await readCrl(await admin(server, { path: CRL, auth: basic('t200/admin') }));
  t.equal(other.revoked.size, 0, "t200's list is its own");
  t.match(other.text, /No Revoked Certificates/);
});

t.test('a CSV file in the multipart field "file"', async (t) => {
  const server = await startServer(t, { seed });
  const first = await putFile(server, 'SERIALNO,DATE\n1000,2023-01-11T16:12:36.288Z\nA1,\n');
  t.equal(first.status, 204);
  spec.assert(t, 'put', CRL, first);
  const second = await putFile(
    server,
    `SERIAL NO.;REVOCATION DATE\r\n1000;2023-05-05T05:05:05.000Z\r\n00b2;2023-06-06T06:06:06.000Z\r\nc3;${new Date(now + DAY).toISOString()}\r\n`,
  );
  t.equal(second.status, 204, 'semicolons and CRLF work too');
  const { revoked } = await readCrl(await admin(server, { path: CRL }));
  t.same([...revoked.keys()].sort(), ['1000', 'A1', 'B2'], 'a future-dated file entry is skipped');
  t.equal(revoked.get('1000'), opensslDate('2023-05-05T05:05:05.000Z'), 'the last upload wins for a file');
  const noHeader = await putFile(server, 'd4,2023-01-01T00:00:00.000Z\n');
  t.equal(noHeader.status, 204, 'the header line is optional');
});

t.test('bad CRL uploads get the documented 400', async (t) => {
  const server = await startServer(t, { seed });
  const rows = Array.from(
    { length: 5001 },
    (_, i) => `${(i + 1).toString(16)},2023-01-01T00:00:00.000Z`,
  ).join('\n');
  const cases: [string, () => Promise<ClientResponse>, string][] = [
    [
      'a date without milliseconds',
      () => putJson(server, { crls: [{ serialNumberInHex: '10', revocationDate: '2023-01-11T16:12:36Z' }] }),
      DATE_ERROR,
    ],
    [
      'a date that does not exist',
      () =>
        putJson(server, { crls: [{ serialNumberInHex: '10', revocationDate: '2023-02-30T00:00:00.000Z' }] }),
      DATE_ERROR,
    ],
    [
      'a date that is a number',
      () => putJson(server, { crls: [{ serialNumberInHex: '10', revocationDate: 1 }] }),
      DATE_ERROR,
    ],
    ['a bad date in a file', () => putFile(server, 'SERIALNO,DATE\n10,11/01/2023\n'), DATE_ERROR],
    [
      'a serial that is not hex',
      () => putJson(server, { crls: [{ serialNumberInHex: 'xyz' }] }),
      'crls[0]: serial number "xyz" is not hexadecimal.',
    ],
    [
      'a serial longer than 20 octets',
      () => putJson(server, { crls: [{ serialNumberInHex: '1'.repeat(41) }] }),
      'crls[0]: serial number has 41 hex digits; a certificate serial has at most 40.',
    ],
    [
      'no crls array',
      () => putJson(server, { serials: [] }),
      'Send {"crls":[{"serialNumberInHex":"…","revocationDate":"…"}]} as JSON, or a CSV file in the multipart field "file".',
    ],
    [
      'a file row with three columns',
      () => putFile(server, '10,2023-01-01T00:00:00.000Z,x\n'),
      'line 1: expected SERIALNO,DATE but found 3 columns.',
    ],
    [
      'a file of only the header',
      () => putFile(server, 'SERIALNO,DATE\n'),
      'The CRL file holds no entries (expected SERIALNO,DATE rows).',
    ],
    [
      'more than 5000 rows in a file',
      () => putFile(server, rows),
      'The CRL file holds 5001 entries; at most 5000 are allowed per file (upload several files).',
    ],
    [
      'a file in the wrong field',
      () => putFile(server, '10,2023-01-01T00:00:00.000Z\n', 'upload'),
      'Send the CSV file (SERIALNO,DATE rows) in the multipart field "file".',
    ],
    [
      'an unclosed quote',
      () => putFile(server, '"10,2023-01-01T00:00:00.000Z\n'),
      'The CSV file could not be read: Quote Not Closed: the parsing is finished with an opening quote at line 1',
    ],
  ];
  for (const [name, send, message] of cases) {
    t.test(name, async (t) => {
      const response = await send();
      assertError(t, response, 400, 'Device Certificates/Bad Request', message);
      spec.assert(t, 'put', CRL, response);
    });
  }
  t.test('a CSV body without multipart', async (t) => {
    const response = await admin(server, { method: 'PUT', path: CRL, body: '10,', contentType: 'text/csv' });
    assertError(
      t,
      response,
      415,
      'general/Unsupported Media Type',
      "Unsupported Content-Type; send application/json, the resource's Cumulocity media type, or multipart/form-data where a file is uploaded.",
    );
    spec.assert(t, 'put', CRL, response);
  });
  t.test('nothing of a refused upload was written', async (t) => {
    t.equal((await readCrl(await admin(server, { path: CRL }))).revoked.size, 0);
  });
  t.test('who may call', async (t) => {
    const anonymous = await admin(server, { path: CRL, auth: null });
    assertError(
      t,
      anonymous,
      401,
      'security/Unauthorized',
      'Full authentication is required to access this resource',
    );
    spec.assert(t, 'get', CRL, anonymous);
    const dev = await device(root, now, 'crl-reader-01');
    const token = (
      (await requestToken(server, { cert: dev.certPem, key: dev.keyPem })).json() as { accessToken: string }
    ).accessToken;
    const withToken = await putJson(server, { crls: [] }, `Bearer ${token}`);
    assertError(t, withToken, 403, 'security/Forbidden', 'Access is denied.');
    spec.assert(t, 'put', CRL, withToken);
  });
});

t.test('the offline check refuses a revoked serial before anything else, only when enabled', async (t) => {
  const server = await startServer(t, { seed });
  const dev = await device(root, now, 'revoked-01');
  const expiredAndRevoked = await device(root, now, 'revoked-expired-01', {
    notBefore: new Date(now - 30 * DAY),
    notAfter: new Date(now - DAY),
  });
  const serials = [dev.credential.certificate.serialHex, expiredAndRevoked.credential.certificate.serialHex];
  t.equal(
    (await putJson(server, { crls: serials.map((serialNumberInHex) => ({ serialNumberInHex })) })).status,
    204,
  );
  t.equal(
    (await requestToken(server, { cert: dev.certPem, key: dev.keyPem })).status,
    200,
    'with the check off (the default), a revoked serial still gets a token',
  );
  const enable = await admin(server, {
    method: 'POST',
    path: '/tenant/options',
    json: { category: 'configuration', key: 'crl.offline.check.enabled', value: 'true' },
  });
  t.equal(enable.status, 200);
  const refused = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
  assertError(t, refused, 401, 'security/Unauthorized', 'Invalid certificate chain!');
  spec.assert(t, 'post', '/devicecontrol/deviceAccessToken', refused);
  await requestToken(server, { cert: expiredAndRevoked.certPem, key: expiredAndRevoked.keyPem });
  const decision = server.app.services.decisions.list({ externalId: 'revoked-expired-01' })[0];
  t.equal(decision?.rule, 'not-revoked', 'an expired and revoked certificate is refused for the revocation');
});
