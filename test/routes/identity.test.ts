import t from 'tap';
import { adminSeed, assertError } from '../helpers/admin.js';
import { TestClock } from '../helpers/clock.js';
import {
  ADMIN,
  bearer,
  createDevice,
  data,
  deviceToken,
  expectJson,
  type Json,
  T0,
  vnd,
} from '../helpers/device-data.js';
import { rootCa } from '../helpers/pki.js';
import { startServer } from '../helpers/server.js';

const ca = await rootCa(T0, 'Identity CA');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: ca.certificate.pem }] }]);

t.test('look up, bind, list and delete external IDs with the platform’s texts', async (t) => {
  const server = await startServer(t, { seed, clock: new TestClock(T0) });
  const base = `https://localhost:${server.port}`;
  const device = bearer(await deviceToken(server, ca, 'identity-01', T0));

  const unknown = await data(server, { path: '/identity/externalIds/c8y_Serial/identity-01', auth: device });
  assertError(
    t,
    unknown,
    404,
    'identity/Not Found',
    'External id not found; external id = ID [type=c8y_Serial, value=identity-01]',
  );

  const id = await createDevice(server, device, 'Identity device');
  const bound = await data(server, {
    method: 'POST',
    path: `/identity/globalIds/${id}/externalIds`,
    auth: device,
    contentType: vnd('externalid'),
    json: { type: 'c8y_Serial', externalId: 'identity-01' },
  });
  const record = expectJson(bound, 201);
  t.match(String(bound.headers['content-type']), /^application\/vnd\.com\.nsn\.cumulocity\.externalid\+json/);
  t.same(record, {
    externalId: 'identity-01',
    managedObject: { id, self: `${base}/inventory/managedObjects/${id}` },
    self: `${base}/identity/externalIds/c8y_Serial/identity-01`,
    type: 'c8y_Serial',
  });
  t.equal(bound.headers.location, record.self);

  const found = expectJson(
    await data(server, { path: '/identity/externalIds/c8y_Serial/identity-01', auth: device }),
    200,
  );
  t.same(found, record, 'the lookup finds the object');
  const again = await data(server, {
    method: 'POST',
    path: `/identity/globalIds/${id}/externalIds`,
    auth: device,
    json: { type: 'c8y_Serial', externalId: 'identity-01' },
  });
  t.equal(again.status, 201, 'binding it to the same object again is fine');

  const second = await createDevice(server, device, 'Another');
  const conflict = await data(server, {
    method: 'POST',
    path: `/identity/globalIds/${second}/externalIds`,
    auth: device,
    json: { type: 'c8y_Serial', externalId: 'identity-01' },
  });
  assertError(
    t,
    conflict,
    409,
    'identity/Conflict',
    'Duplicate – Identity already bound to a different Global ID.',
  );

  const noObject = await data(server, {
    method: 'POST',
    path: '/identity/globalIds/987654/externalIds',
    auth: device,
    json: { type: 'c8y_Serial', externalId: 'x' },
  });
  assertError(t, noObject, 404, 'identity/Not Found', 'Global ID not found');
  const missing = await data(server, {
    method: 'POST',
    path: `/identity/globalIds/${id}/externalIds`,
    auth: device,
    json: {},
  });
  assertError(
    t,
    missing,
    422,
    'undefined/validationError',
    'Following mandatory fields should be included: externalId,type',
  );

  // thin-edge percent-encodes the segment: test%3Bdevice is "test;device".
  await data(server, {
    method: 'POST',
    path: `/identity/globalIds/${id}/externalIds`,
    auth: ADMIN,
    json: { type: 'c8y_Serial', externalId: 'test;device' },
  });
  const encoded = expectJson(
    await data(server, { path: '/identity/externalIds/c8y_Serial/test%3Bdevice', auth: device }),
    200,
  );
  t.equal(encoded.externalId, 'test;device');
  t.equal(encoded.self, `${base}/identity/externalIds/c8y_Serial/test%3Bdevice`, 'self is encoded again');

  const list = expectJson(
    await data(server, { path: `/identity/globalIds/${id}/externalIds`, auth: device }),
    200,
  );
  t.same(
    (list.externalIds as Json[]).map((x) => x.externalId),
    ['identity-01', 'test;device'],
  );
  t.equal(list.self, `${base}/identity/globalIds/${id}/externalIds`);

  t.equal(
    (
      await data(server, {
        method: 'DELETE',
        path: '/identity/externalIds/c8y_Serial/test%3Bdevice',
        auth: device,
      })
    ).status,
    204,
  );
  t.equal(
    (await data(server, { path: '/identity/externalIds/c8y_Serial/test%3Bdevice', auth: device })).status,
    404,
  );
  const gone = await data(server, {
    method: 'DELETE',
    path: '/identity/externalIds/c8y_Serial/test%3Bdevice',
    auth: device,
  });
  assertError(
    t,
    gone,
    404,
    'identity/Not Found',
    'External id not found; external id = ID [type=c8y_Serial, value=test;device]',
  );
});

t.test('a device has ROLE_IDENTITY_ADMIN: it may bind names to objects it does not own', async (t) => {
  const server = await startServer(t, { seed, clock: new TestClock(T0) });
  const owner = bearer(await deviceToken(server, ca, 'identity-owner', T0));
  const stranger = bearer(await deviceToken(server, ca, 'identity-stranger', T0));
  const id = await createDevice(server, owner, 'Owned');
  const bound = await data(server, {
    method: 'POST',
    path: `/identity/globalIds/${id}/externalIds`,
    auth: stranger,
    json: { type: 'c8y_Serial', externalId: 'named-by-stranger' },
  });
  t.equal(bound.status, 201, 'the platform gives device users ROLE_IDENTITY_ADMIN');
  t.equal(
    (
      await data(server, {
        method: 'DELETE',
        path: '/identity/externalIds/c8y_Serial/named-by-stranger',
        auth: stranger,
      })
    ).status,
    204,
  );
});
