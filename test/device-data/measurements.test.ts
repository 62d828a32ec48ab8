import t from 'tap';
import { administratorActor, deviceActor } from '../../src/device-data/actor.js';
import { TEST_NOW } from '../helpers/clock.js';
import { rootCa } from '../helpers/pki.js';
import { seedWith } from '../helpers/seeds.js';
import { startServer } from '../helpers/server.js';

/*
 * Measurements.createOf: the MQTT door's measurement of a device it read just before. The source is
 * checked as create checks it (tenant, role or ownership) without being read again, so it must
 * refuse what create refuses, with the same error.
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
