// (l) baseline: a bare aedes broker over TLS with requestCert, no hooks: a QoS 1 PUBLISH gets its
// PUBACK and goes nowhere (nobody subscribes). What MQTT over TLS costs before the mock's work.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';
import { Aedes } from 'aedes';

const [keyFile, certFile, port] = process.argv.slice(2) as [string, string, string];
const broker = await Aedes.createBroker();
createServer(
  { key: readFileSync(keyFile), cert: readFileSync(certFile), requestCert: true, rejectUnauthorized: false },
  broker.handle,
).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
