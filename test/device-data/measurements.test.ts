import t from 'tap';
import { administratorActor, deviceActor } from '../../src/device-data/actor.js';
import { validSeries } from '../../src/device-data/measurements.js';
import { TEST_NOW } from '../helpers/clock.js';
import { rootCa } from '../helpers/pki.js';
import { seedWith } from '../helpers/seeds.js';
import { startServer } from '../helpers/server.js';

/*
 * Measurements.createOf and createMade: the MQTT door's measurement of a device it read just
 * before, as a document or as the templates make it. The source is checked as create checks it
 * (tenant, role or ownership) without being read again, so both must store what create stores and
 * refuse what it refuses, with the same error.
 */
const ca = await rootCa(TEST_NOW, 'Measurements CA');
const other = await rootCa(TEST_NOW, 'Measurements other CA');
const server = await startServer(t, {
  seed: seedWith([
    { id: 't100', domain: 't100.example.test', pem: ca.certificate.pem },
    { id: 't200', domain: 't200.example.test', pem: other.certificate.pem },
  ]),
});
const { inventory, measurements } = server.app.services;
const owner = deviceActor('t100', 'device_meter-1');
const stranger = deviceActor('t100', 'device_meter-2');
const foreign = deviceActor('t200', 'device_meter-1');
const meter = inventory.create(owner, { name: 'meter-1', c8y_IsDevice: {} }).record;
const body = {
  type: 'c8y_TemperatureMeasurement',
  time: '2026-06-01T12:00:00.000Z',
  c8y_TemperatureMeasurement: { T: { value: 21.5, unit: 'C' } },
};

/** What create answers for the same source, or its error. */
const outcome = (run: () => unknown) => {
  try {
    const { id: _id, ...stored } = run() as { id: string };
    return { stored };
  } catch (error) {
    const { status, type, message } = error as { status: number; type: string; message: string };
    return { status, type, message };
  }
};

t.test('createOf stores what create stores, for the owner and an administrator', async (t) => {
  for (const actor of [owner, administratorActor('t100', 'admin')]) {
    const viaCreate = outcome(() =>
      measurements.create(actor, { source: { id: String(meter.id) }, ...body }),
    );
    const viaCreateOf = outcome(() => measurements.createOf(actor, meter, body));
    t.same(viaCreateOf, viaCreate, actor.userName);
    t.match(viaCreateOf, { stored: { sourceId: meter.id, type: 'c8y_TemperatureMeasurement' } });
  }
});

t.test('createOf refuses the source create refuses, with the same error', async (t) => {
  for (const [name, actor] of [
    ['a device user that does not own it', stranger],
    ['a user of another tenant', foreign],
  ] as const) {
    const viaCreate = outcome(() =>
      measurements.create(actor, { source: { id: String(meter.id) }, ...body }),
    );
    const viaCreateOf = outcome(() => measurements.createOf(actor, meter, body));
    t.match(viaCreate, { status: Number }, `${name}: refused by create`);
    t.same(viaCreateOf, viaCreate, `${name}: refused alike by createOf`);
  }
});

t.test('a fragment named source in the body wins, as in create: the source is missing', async (t) => {
  const withSource = { ...body, source: { T: { value: 1 } } };
  const viaCreate = outcome(() =>
    measurements.create(owner, Object.assign({ source: { id: String(meter.id) } }, withSource)),
  );
  const viaCreateOf = outcome(() => measurements.createOf(owner, meter, withSource));
  t.match(viaCreate, { status: 422 });
  t.same(viaCreateOf, viaCreate);
});

/** The same measurement as `createMade` takes it: the time in milliseconds, the fragments apart. */
const made = (
  fragments: Record<string, unknown> = { c8y_TemperatureMeasurement: body.c8y_TemperatureMeasurement },
) => ({
  type: body.type,
  time: Date.parse(body.time),
  fragments,
});

t.test('createMade stores what create stores, and refuses what it refuses, alike', async (t) => {
  for (const [name, actor] of [
    ['the owner', owner],
    ['an administrator', administratorActor('t100', 'admin')],
    ['a device user that does not own it', stranger],
    ['a user of another tenant', foreign],
  ] as const) {
    const viaCreate = outcome(() =>
      measurements.create(actor, { source: { id: String(meter.id) }, ...body }),
    );
    t.same(
      outcome(() => measurements.createMade(actor, meter, made())),
      viaCreate,
      name,
    );
  }
  const badUnit = { c8y_T: { T: { value: 1, unit: '' } } };
  const refused = outcome(() =>
    measurements.create(owner, { source: { id: String(meter.id) }, ...body, ...badUnit }),
  );
  t.match(refused, { status: 422, message: /c8y_T\.T\.unit must be a non-empty string/ });
  t.same(
    outcome(() => measurements.createMade(owner, meter, made(badUnit))),
    refused,
    'the series rule',
  );
});

t.test('createMade: a fragment named like a computed property goes as a document would', async (t) => {
  for (const name of ['id', 'self', 'source', 'time', 'type']) {
    const fragments = { [name]: { T: { value: 1 } } };
    const viaCreateOf = outcome(() =>
      measurements.createOf(owner, meter, { type: body.type, time: body.time, ...fragments }),
    );
    t.same(
      outcome(() => measurements.createMade(owner, meter, made(fragments))),
      viaCreateOf,
      name,
    );
  }
  // The time goes on as the device sent it: its instant printed back in UTC would be year -1.
  const early = '0000-01-01T00:30:00+01:00';
  const id = { id: { T: { value: 1 } } };
  const viaCreateOf = outcome(() =>
    measurements.createOf(owner, meter, { type: body.type, time: early, ...id }),
  );
  t.match(viaCreateOf, { stored: { time: Date.parse(early) } }, 'stored by createOf');
  t.same(
    outcome(() =>
      measurements.createMade(owner, meter, {
        type: body.type,
        time: Date.parse(early),
        sentTime: early,
        fragments: id,
      }),
    ),
    viaCreateOf,
    'a time before year 0 in UTC',
  );
});

t.test('a __proto__ fragment is dropped, by createMade as by create', async (t) => {
  const sent = `{"__proto__": {"T": {"value": 1}}, "c8y_T": {"T": {"value": 2}}}`;
  const viaCreate = outcome(() =>
    measurements.create(owner, {
      source: { id: String(meter.id) },
      type: body.type,
      time: body.time,
      ...JSON.parse(sent),
    }),
  );
  const viaCreateMade = outcome(() => measurements.createMade(owner, meter, made(JSON.parse(sent))));
  t.equal(JSON.stringify(viaCreateMade), JSON.stringify(viaCreate));
  t.same(Object.keys((viaCreateMade as { stored: { fragments: object } }).stored.fragments), ['c8y_T']);
  t.same(Object.keys(validSeries(JSON.parse(sent))), ['c8y_T'], 'validSeries alone');
});

t.test(
  'validSeries keeps series as they are, drops the rest of a fragment with one, refuses a bad unit',
  async (t) => {
    const series = { c8y_T: { T: { value: 21.5, unit: 'C' }, U: { value: -1 } }, c8y_V: { V: { value: 0 } } };
    t.same(validSeries(series), series, 'series only');
    t.same(
      validSeries({ c8y_T: { T: { value: 1 }, junk: 5, noValue: { unit: 'C' }, text: { value: '1' } } }),
      { c8y_T: { T: { value: 1 } } },
      'what is not a series goes, beside a series',
    );
    t.same(
      validSeries({ c8y_T: { T: { value: 1 } }, empty: {}, plain: 'kept', none: { flag: { value: true } } }),
      { c8y_T: { T: { value: 1 } }, empty: {}, plain: 'kept', none: { flag: { value: true } } },
      'a fragment without a series is kept whole',
    );
    t.same(validSeries({ c8y_T: { T: { value: Number.POSITIVE_INFINITY }, U: { value: 2 } } }), {
      c8y_T: { U: { value: 2 } },
    });
    t.same(
      validSeries({ c8y_T: { T: { value: 'x', unit: '' } } }),
      { c8y_T: { T: { value: 'x', unit: '' } } },
      'no series: its unit is not checked',
    );
    for (const unit of ['', 5, null]) {
      t.match(
        outcome(() => validSeries({ c8y_T: { T: { value: 1, unit } } })),
        { status: 422 },
        `unit ${JSON.stringify(unit)}`,
      );
      t.match(
        outcome(() => validSeries({ c8y_A: { A: { value: 1 } }, c8y_T: { T: { value: 1, unit } } })),
        { status: 422 },
        `unit ${JSON.stringify(unit)} in a second fragment`,
      );
    }
  },
);
