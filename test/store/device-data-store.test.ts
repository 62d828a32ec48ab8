import t from 'tap';
import { SqliteStore } from '../../src/store/sqlite-store.js';

/*
 * The store's retention rule on its own: never more than `keep` rows, the
 * oldest (lowest ids) first, removed a chunk (1% of keep) at a time.
 */
t.test('at most keep rows, oldest first, a chunk at a time', async (t) => {
  const store = new SqliteStore();
  t.teardown(() => store.close());
  store.insertTenant({ id: 't1', domain: 'a.test', createdAt: 0 });
  const source = store.deviceData.insertManagedObject({
    tenantId: 't1',
    owner: 'o',
    type: null,
    name: null,
    creationTime: 0,
    lastUpdated: 0,
    fragments: {},
  });
  const keep = 500; // chunk 5
  const counts: number[] = [];
  const ids: number[] = [];
  for (let i = 0; i < 520; i++) {
    ids.push(
      store.deviceData.insertMeasurement(
        { tenantId: 't1', sourceId: source, type: 't', time: i, fragments: {} },
        keep,
      ),
    );
    counts.push(store.deviceData.countMeasurements({ tenantId: 't1', newestFirst: false }));
  }
  t.ok(
    counts.every((n) => n <= keep),
    'never more than keep',
  );
  t.same(
    counts.slice(498, 507),
    [499, 500, 496, 497, 498, 499, 500, 496, 497],
    'five go when the sixth over arrives',
  );
  const left = store.deviceData.findMeasurements(
    { tenantId: 't1', newestFirst: false },
    { limit: 1, offset: 0 },
  );
  t.equal(left[0]?.id, ids[20], 'the oldest went first: 520 stored, the first 20 gone');
  t.equal(store.deviceData.getMeasurement(ids[19]!), undefined);

  const small = 3; // chunk 1: one goes with each new one
  for (let i = 0; i < 5; i++) {
    store.deviceData.insertEvent(
      {
        tenantId: 't1',
        sourceId: source,
        type: 'e',
        text: 'e',
        time: i,
        creationTime: 0,
        lastUpdated: 0,
        fragments: {},
      },
      small,
    );
    t.ok(store.deviceData.countEvents({ tenantId: 't1', newestFirst: true }) <= small);
  }
  t.same(
    store.deviceData
      .findEvents({ tenantId: 't1', newestFirst: false }, { limit: 10, offset: 0 })
      .map((e) => e.time),
    [2, 3, 4],
  );
});
