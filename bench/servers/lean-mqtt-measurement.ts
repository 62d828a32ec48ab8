/**
 * A bound for row (m), not a product: bare aedes over TLS (the row's floor, `bare-aedes.ts`) plus
 * the least a stored QoS 1 measurement needs (issue 19): the `200` SmartREST line on `s/us` read
 * and checked, the measurement stored through `lean-measurement-store.ts`, the PUBACK once it is
 * committed. Nothing else: no device, no session, no templates, no decision record.
 *
 * node --import tsx bench/servers/lean-mqtt-measurement.ts key.pem cert.pem port data-dir
 *   [--no-store | --writer-thread] (--no-store wins if both are given)
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';
import { Aedes } from 'aedes';
import { leanMeasurementStore } from './lean-measurement-store.js';

const [keyFile, certFile, port, dataDir] = process.argv.slice(2) as [string, string, string, string];
const store = leanMeasurementStore(
  dataDir,
  !process.argv.includes('--no-store'),
  process.argv.includes('--writer-thread'),
);
const broker = await Aedes.createBroker({
  authorizePublish: (client, packet, done) => {
    if (packet.topic !== 's/us') return done(null);
    const [id, type, series, value, unit] = (packet.payload as Buffer).toString('utf8').split(',');
    const number = Number(value);
    if (id !== '200' || !type || !series || value === '' || !Number.isFinite(number)) {
      return done(new Error('not a 200 line'));
    }
    store({
      device: client!.id,
      type,
      time: Date.now(),
      fragments: JSON.stringify({ [type]: { [series]: unit ? { value: number, unit } : { value: number } } }),
      stored: () => done(null),
    });
  },
});
createServer(
  { key: readFileSync(keyFile), cert: readFileSync(certFile), requestCert: true, rejectUnauthorized: false },
  broker.handle,
).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
