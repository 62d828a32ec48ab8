import t, { type Test } from 'tap';
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
import { call, startServer } from '../helpers/server.js';

const ca = await rootCa(T0, 'Inventory CA');
const seed = adminSeed([{ id: 't100', trusted: [{ pem: ca.certificate.pem }] }]);
const MOS = '/inventory/managedObjects';

async function setUp(t: Test) {
  const clock = new TestClock(T0);
  const server = await startServer(t, { seed, clock });
  const device = bearer(await deviceToken(server, ca, 'inventory-01', T0));
  const other = bearer(await deviceToken(server, ca, 'inventory-02', T0));
  return { server, clock, device, other, base: `https://localhost:${server.port}` };
}

t.test(
  'a device creates its managed object: owner, times, self, references, fragments as sent',
  async (t) => {
    const { server, device, base } = await setUp(t);
    const response = await data(server, {
      method: 'POST',
      path: MOS,
      auth: device,
      contentType: vnd('managedobject'),
      json: {
        name: 'Boiler 7',
        type: 'thin-edge.io',
        owner: 'someone_else',
        c8y_IsDevice: {},
        com_cumulocity_model_Agent: {},
        c8y_SupportedOperations: ['c8y_Restart', 'c8y_Command'],
        custom: { nested: [1, { deep: true }], empty: null },
        lastUpdated: '1999-01-01T00:00:00.000Z',
      },
    });
    const mo = expectJson(response, 201);
    t.match(
      String(response.headers['content-type']),
      /^application\/vnd\.com\.nsn\.cumulocity\.managedobject\+json/,
    );
    t.equal(response.headers.location, `${base}${MOS}/${mo.id}`, 'Location names the new object');
    t.same(mo, {
      id: mo.id,
      type: 'thin-edge.io',
      name: 'Boiler 7',
      owner: 'device_inventory-01',
      creationTime: '2026-06-01T12:00:00.000Z',
      lastUpdated: '2026-06-01T12:00:00.000Z',
      self: `${base}${MOS}/${mo.id}`,
      c8y_IsDevice: {},
      com_cumulocity_model_Agent: {},
      c8y_SupportedOperations: ['c8y_Restart', 'c8y_Command'],
      custom: { nested: [1, { deep: true }], empty: null },
      childDevices: { references: [], self: `${base}${MOS}/${mo.id}/childDevices` },
      deviceParents: { references: [], self: `${base}${MOS}/${mo.id}/deviceParents` },
      childAssets: { references: [], self: `${base}${MOS}/${mo.id}/childAssets` },
      assetParents: { references: [], self: `${base}${MOS}/${mo.id}/assetParents` },
      childAdditions: { references: [], self: `${base}${MOS}/${mo.id}/childAdditions` },
      additionParents: { references: [], self: `${base}${MOS}/${mo.id}/additionParents` },
    });
    t.match(/^\d+$/.test(mo.id!), true, 'ids are numbers in strings');

    const asAdmin = expectJson(
      await data(server, {
        method: 'POST',
        path: MOS,
        auth: ADMIN,
        json: { name: 'Handed over', owner: 'device_inventory-02' },
      }),
      201,
    );
    t.equal(asAdmin.owner, 'device_inventory-02', 'an inventory administrator may name the owner');
    const own = expectJson(await data(server, { method: 'POST', path: MOS, auth: ADMIN, json: {} }), 201);
    t.equal(own.owner, 'admin', 'nothing is required; the creator owns it');
    t.notOk('name' in own, 'no name when none was sent');
  },
);

t.test(
  'PUT replaces the properties sent, null removes one, and moves lastUpdated; {id} alone is a heartbeat',
  async (t) => {
    const { server, clock, device } = await setUp(t);
    const id = await createDevice(server, device, 'Before', {
      c8y_Firmware: { name: 'fw', version: '1' },
      keep: 1,
      drop: 2,
    });
    clock.advance(60_000);
    const updated = expectJson(
      await data(server, {
        method: 'PUT',
        path: `${MOS}/${id}`,
        auth: device,
        json: { id, name: 'After', c8y_Firmware: { version: '2' }, drop: null, creationTime: 'ignored' },
      }),
      200,
    );
    t.match(updated, {
      name: 'After',
      c8y_Firmware: { version: '2' },
      keep: 1,
      lastUpdated: '2026-06-01T12:01:00.000Z',
    });
    t.notOk('name' in (updated.c8y_Firmware as Json), 'a fragment is replaced whole, not merged');
    t.notOk('drop' in updated, 'null removes a fragment');
    t.equal(updated.creationTime, '2026-06-01T12:00:00.000Z', 'read-only properties are ignored');

    clock.advance(60_000);
    const heartbeat = expectJson(
      await data(server, { method: 'PUT', path: `${MOS}/${id}`, auth: device, json: { id } }),
      200,
    );
    t.same(heartbeat, { id }, 'the heartbeat answers with the id only');
    const again = expectJson(await data(server, { path: `${MOS}/${id}`, auth: device }), 200);
    t.equal(again.lastUpdated, '2026-06-01T12:01:00.000Z', 'and changes nothing');

    const none = await data(server, {
      method: 'PUT',
      path: `${MOS}/${id}`,
      auth: device,
      accept: null,
      json: { x: 1 },
    });
    t.equal(none.status, 200);
    t.equal(none.raw.length, 0, 'without Accept the answer has no body');
    t.equal(none.headers['content-type'], undefined);

    const handOver = await data(server, {
      method: 'PUT',
      path: `${MOS}/${id}`,
      auth: device,
      json: { owner: 'device_other' },
    });
    assertError(t, handOver, 403, 'security/Forbidden', 'Access is denied.');
    const sameOwner = await data(server, {
      method: 'PUT',
      path: `${MOS}/${id}`,
      auth: device,
      json: { owner: 'device_inventory-01' },
    });
    t.equal(sameOwner.status, 200, 'echoing the owner back is fine');
    const byAdmin = expectJson(
      await data(server, { method: 'PUT', path: `${MOS}/${id}`, auth: ADMIN, json: { owner: 'admin' } }),
      200,
    );
    t.equal(byAdmin.owner, 'admin', 'an administrator hands it over');
    assertError(
      t,
      await data(server, { method: 'PUT', path: `${MOS}/${id}`, auth: device, json: { name: 'mine again' } }),
      403,
      'security/Forbidden',
      'Access is denied.',
    );
  },
);

t.test('who may do what: read everything of the tenant, change only what you own', async (t) => {
  const { server, device, other } = await setUp(t);
  const id = await createDevice(server, device, 'Owned by 01');
  t.equal(
    (await data(server, { path: `${MOS}/${id}`, auth: other })).status,
    200,
    'ROLE_INVENTORY_READ reads any object',
  );
  for (const [method, json] of [
    ['PUT', { name: 'taken' }],
    ['DELETE', undefined],
  ] as const) {
    const response = await data(server, {
      method,
      path: `${MOS}/${id}`,
      auth: other,
      ...(json ? { json } : {}),
    });
    assertError(t, response, 403, 'security/Forbidden', 'Access is denied.');
  }
  const missing = await data(server, { path: `${MOS}/123456789`, auth: device });
  assertError(
    t,
    missing,
    404,
    'inventory/Not Found',
    "Finding device data from database failed : No managedObject for id '123456789'!",
  );
  const word = await data(server, { path: `${MOS}/not-a-number`, auth: device });
  assertError(
    t,
    word,
    404,
    'inventory/Not Found',
    "Finding device data from database failed : No managedObject for id 'not-a-number'!",
  );
  const anonymous = await data(server, { path: `${MOS}/123456789` });
  assertError(
    t,
    anonymous,
    401,
    'security/Unauthorized',
    'Full authentication is required to access this resource',
  );
  const badBody = await call(server, {
    method: 'POST',
    path: MOS,
    headers: { 'content-type': 'application/json' },
    body: '{broken',
  });
  t.equal(badBody.status, 401, 'a request without credentials is a 401 before its body is looked at');
});

t.test('collections: filters, text search, paging with totals and links', async (t) => {
  const { server, device, other, base } = await setUp(t);
  const boiler = await createDevice(server, device, 'Boiler North-7', { type: 'c8y_Boiler' });
  const pump = await createDevice(server, device, 'Pump', { type: 'c8y_Pump', c8y_Hardware: {} });
  const third = await createDevice(server, other, 'Sensor 3', { type: 'c8y_Pump' });
  await data(server, {
    method: 'POST',
    path: `/identity/globalIds/${pump}/externalIds`,
    auth: device,
    json: { type: 'c8y_Serial', externalId: 'SN-4711' },
  });
  const ids = async (query: string, auth = ADMIN) =>
    (expectJson(await data(server, { path: `${MOS}?${query}`, auth }), 200).managedObjects as Json[]).map(
      (mo) => mo.id,
    );

  t.same(await ids('type=c8y_Pump'), [pump, third]);
  t.same(await ids('fragmentType=c8y_Hardware'), [pump]);
  t.same(await ids('owner=device_inventory-02'), [third]);
  t.same(await ids(`ids=${third},${boiler}`), [boiler, third], 'ids, in id order');
  t.same(await ids('text=north'), [boiler], 'text matches the start of a token of the name');
  t.same(await ids('text=sn'), [pump], 'and of an external ID');
  t.same(await ids('text=inventory-02'), [third], 'and of the owner, split at -');
  t.same(await ids('text=%22boiler%20north%22'), [boiler], 'a quoted phrase must appear whole');
  t.same(await ids('text=%22north%20boiler%22'), [], 'in that order');
  t.same(await ids('type=c8y_Pump', other), [pump, third], 'a device reads the whole tenant');

  const first = expectJson(
    await data(server, {
      path: `${MOS}?fragmentType=c8y_IsDevice&pageSize=2&withTotalPages=true&withTotalElements=true`,
      auth: ADMIN,
    }),
    200,
  );
  t.same(first.statistics, { currentPage: 1, pageSize: 2, totalPages: 2, totalElements: 3 });
  t.equal(
    first.self,
    `${base}${MOS}?pageSize=2&currentPage=1&fragmentType=c8y_IsDevice&withTotalPages=true&withTotalElements=true`,
  );
  t.equal(
    first.next,
    `${base}${MOS}?pageSize=2&currentPage=2&fragmentType=c8y_IsDevice&withTotalPages=true&withTotalElements=true`,
  );
  t.notOk('prev' in first);
  const second = expectJson(
    await data(server, {
      path: new URL(first.next as string).pathname + new URL(first.next as string).search,
      auth: ADMIN,
    }),
    200,
  );
  t.same(
    (second.managedObjects as Json[]).map((mo) => mo.id),
    [third],
  );
  t.notOk('next' in second, 'no next link on the last page');
  t.ok('prev' in second);
  const plain = expectJson(await data(server, { path: MOS, auth: ADMIN }), 200);
  t.same(
    plain.statistics,
    { currentPage: 1, pageSize: 5, totalPages: 1 },
    'totalPages by default (the 2026 spec), totalElements only when asked for',
  );

  const badPage = await data(server, { path: `${MOS}?pageSize=2001`, auth: ADMIN });
  assertError(t, badPage, 400, 'inventory/Bad Request', /pageSize must be a whole number from 1 to 2000/);
  const query = await data(server, {
    path: `${MOS}?q=${encodeURIComponent("$filter=(name eq 'Pump')")}`,
    auth: ADMIN,
  });
  assertError(t, query, 422, 'inventory/Invalid Data', /does not evaluate the query language/);
});

t.test('child devices as thin-edge uses them, parents shown on the child, references removed', async (t) => {
  const { server, device, other, base } = await setUp(t);
  const parent = await createDevice(server, device, 'Gateway', { com_cumulocity_model_Agent: {} });
  const existing = await createDevice(server, device, 'Child A');

  const linked = await data(server, {
    method: 'POST',
    path: `${MOS}/${parent}/childDevices`,
    auth: device,
    contentType: vnd('managedobjectreference'),
    json: { managedObject: { id: existing } },
  });
  const reference = expectJson(linked, 201);
  t.same(reference, {
    managedObject: { id: existing, name: 'Child A', self: `${base}${MOS}/${existing}` },
    self: `${base}${MOS}/${parent}/childDevices/${existing}`,
  });
  t.equal(linked.headers.location, reference.self);

  const created = expectJson(
    await data(server, {
      method: 'POST',
      path: `${MOS}/${parent}/childDevices`,
      auth: device,
      contentType: vnd('managedobject'),
      json: { name: 'Child B', type: 'thin-edge.io-child', c8y_IsDevice: {} },
    }),
    201,
  );
  t.equal(created.owner, 'device_inventory-01');
  t.same((created.deviceParents as Json).references, [
    {
      managedObject: { id: parent, name: 'Gateway', self: `${base}${MOS}/${parent}` },
      self: `${base}${MOS}/${parent}/childDevices/${created.id}`,
    },
  ]);

  const gateway = expectJson(
    await data(server, { path: `${MOS}/${parent}?withChildrenCount=true`, auth: device }),
    200,
  );
  const children = gateway.childDevices as { count: number; references: { managedObject: Json }[] };
  t.equal(children.count, 2);
  t.same(
    children.references.map((r) => r.managedObject.name),
    ['Child A', 'Child B'],
  );
  const list = expectJson(await data(server, { path: `${MOS}/${parent}/childDevices`, auth: device }), 200);
  t.equal((list.references as Json[]).length, 2, 'GET lists the references');
  t.match(list.statistics, { currentPage: 1, pageSize: 5 });

  const assets = expectJson(
    await data(server, {
      method: 'POST',
      path: `${MOS}/${parent}/childAdditions`,
      auth: device,
      contentType: vnd('managedobjectreferencecollection'),
      json: { references: [{ managedObject: { id: existing } }] },
    }),
    201,
  );
  t.equal((assets.references as Json[]).length, 1, 'several references at once');

  const foreign = await data(server, {
    method: 'POST',
    path: `${MOS}/${parent}/childDevices`,
    auth: other,
    json: { managedObject: { id: existing } },
  });
  assertError(t, foreign, 403, 'security/Forbidden', 'Access is denied.');
  const noId = await data(server, {
    method: 'POST',
    path: `${MOS}/${parent}/childDevices`,
    auth: device,
    contentType: vnd('managedobjectreference'),
    json: { managedObject: {} },
  });
  assertError(
    t,
    noId,
    422,
    'undefined/validationError',
    'Following mandatory fields should be included: managedObject.id',
  );

  const removed = await data(server, {
    method: 'DELETE',
    path: `${MOS}/${parent}/childDevices/${existing}`,
    auth: device,
  });
  t.equal(removed.status, 204);
  const twice = await data(server, {
    method: 'DELETE',
    path: `${MOS}/${parent}/childDevices/${existing}`,
    auth: device,
  });
  t.equal(twice.status, 404, 'a reference that is not there');
  const after = expectJson(await data(server, { path: `${MOS}/${existing}`, auth: device }), 200);
  t.same((after.deviceParents as Json).references, [], 'the child no longer names the parent');
  t.equal((after.additionParents as { references: Json[] }).references.length, 1, 'the other kind stays');
});

t.test('external IDs on creation; deleting an object takes its data, cascade its children', async (t) => {
  const { server, device } = await setUp(t);
  const first = expectJson(
    await data(server, {
      method: 'POST',
      path: MOS,
      auth: device,
      json: {
        name: 'With serial',
        c8y_IsDevice: {},
        externalIds: [{ type: 'c8y_Serial', externalId: 'inv-serial-1' }],
      },
    }),
    201,
  );
  t.notOk('externalIds' in first, 'externalIds are bound, not stored as a fragment');
  const found = expectJson(
    await data(server, { path: '/identity/externalIds/c8y_Serial/inv-serial-1', auth: device }),
    200,
  );
  t.match(found.managedObject, { id: first.id });
  const conflict = await data(server, {
    method: 'POST',
    path: MOS,
    auth: device,
    json: { name: 'Second', externalIds: [{ type: 'c8y_Serial', externalId: 'inv-serial-1' }] },
  });
  assertError(
    t,
    conflict,
    409,
    'identity/Conflict',
    'Duplicate – Identity already bound to a different Global ID.',
  );
  const names = (
    expectJson(await data(server, { path: `${MOS}?pageSize=100`, auth: ADMIN }), 200).managedObjects as Json[]
  ).map((mo) => mo.name);
  t.same(names, ['With serial'], 'the refused object was not created');

  await data(server, {
    method: 'POST',
    path: '/measurement/measurements',
    auth: device,
    json: { source: { id: first.id }, time: '2026-06-01T12:00:00Z', type: 't', t: { v: { value: 1 } } },
  });
  const child = expectJson(
    await data(server, {
      method: 'POST',
      path: `${MOS}/${first.id}/childDevices`,
      auth: device,
      json: { name: 'Child' },
    }),
    201,
  );
  t.equal((await data(server, { method: 'DELETE', path: `${MOS}/${first.id}`, auth: device })).status, 204);
  t.equal(
    (await data(server, { path: '/identity/externalIds/c8y_Serial/inv-serial-1', auth: device })).status,
    404,
    'its external ID went',
  );
  t.equal(
    (await data(server, { path: '/measurement/measurements/1', auth: ADMIN })).status,
    404,
    'its measurements went',
  );
  const orphan = expectJson(await data(server, { path: `${MOS}/${child.id}`, auth: device }), 200);
  t.same((orphan.deviceParents as Json).references, [], 'a child device stays without cascade');

  const parent = await createDevice(server, device, 'Parent');
  const kid = expectJson(
    await data(server, {
      method: 'POST',
      path: `${MOS}/${parent}/childDevices`,
      auth: device,
      json: { name: 'Kid' },
    }),
    201,
  );
  const grandkid = expectJson(
    await data(server, {
      method: 'POST',
      path: `${MOS}/${kid.id}/childAssets`,
      auth: device,
      json: { name: 'Grandkid' },
    }),
    201,
  );
  t.equal(
    (await data(server, { method: 'DELETE', path: `${MOS}/${parent}?cascade=true`, auth: device })).status,
    204,
  );
  for (const id of [kid.id, grandkid.id])
    t.equal(
      (await data(server, { path: `${MOS}/${id}`, auth: device })).status,
      404,
      `cascade removed ${id}`,
    );
  const bad = await data(server, {
    method: 'DELETE',
    path: `${MOS}/${child.id}?cascade=maybe`,
    auth: device,
  });
  assertError(t, bad, 400, 'inventory/Bad Request', /cascade must be true or false/);
});

t.test('any other path under the data APIs: 401 without credentials, then 404', async (t) => {
  const { server, device } = await setUp(t);
  for (const path of [
    '/inventory/managedObjects/1/childDevices/2',
    '/inventory/somethingElse',
    '/identity/search',
    '/measurement/measurements/1/series',
    '/event/events/1/binaries',
    '/alarm/alarms/1/count',
    '/devicecontrol/operations/1/extra',
  ]) {
    const anonymous = await data(server, { path });
    assertError(
      t,
      anonymous,
      401,
      'security/Unauthorized',
      'Full authentication is required to access this resource',
    );
    const known = await data(server, { path, auth: device });
    assertError(t, known, 404, 'general/Not Found', `No resource at GET ${path}.`);
  }
});

t.test(
  'a body with a prototype key is refused with 400 naming the key, valid JSON though it is',
  async (t) => {
    const { server, device } = await setUp(t);
    const post = (body: string, contentType = vnd('managedobject')) =>
      call(server, {
        method: 'POST',
        path: MOS,
        headers: { authorization: device, 'content-type': contentType, accept: 'application/json' },
        body,
      });
    for (const [body, key] of [
      ['{"name":"a","__proto__":{"x":1}}', '__proto__'],
      ['{"name":"a","c8y_Thing":{"constructor":{"prototype":{"x":1}}}}', 'constructor.prototype'],
    ] as const) {
      assertError(
        t,
        await post(body),
        400,
        'inventory/Bad Request',
        `Invalid request body: the key ${key} is refused, as it could change the prototype of objects; rename it.`,
      );
    }
    assertError(
      t,
      await post('{"name":"a","__proto__":{"x":1}}', 'application/json'),
      400,
      'inventory/Bad Request',
      /the key __proto__ is refused/,
    );
    assertError(
      t,
      await post('{"name":'),
      400,
      'inventory/Bad Request',
      /^Invalid request body: (?!the key)/,
    );
    t.equal(
      (await post('{"name":"a","constructor":"b"}')).status,
      201,
      'a key named constructor alone is fine',
    );
  },
);
