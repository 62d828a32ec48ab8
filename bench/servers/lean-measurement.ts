/**
 * A bound for row (h), not a product: the least a server on this stack does to store a REST
 * measurement (issue 19). node:https without a framework; the device's `Authorization` header
 * compared with the one it was given (what the mock's kept Bearer session finds on a connection);
 * the JSON body read, its source, type and time checked; the measurement stored through
 * `lean-measurement-store.ts`; a 201 with the platform's body, media type, `Location` and the
 * mock's four security headers once committed. Nothing else: no routing table, no tenant, no
 * roles, no log, no error bodies.
 *
 * node --import tsx bench/servers/lean-measurement.ts key.pem cert.pem port data-dir token
 *   [--no-store | --writer-thread] (--no-store wins if both are given)
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { leanMeasurementStore } from './lean-measurement-store.js';

const [keyFile, certFile, port, dataDir, token] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const store = leanMeasurementStore(
  dataDir,
  !process.argv.includes('--no-store'),
  process.argv.includes('--writer-thread'),
);
const authorization = `Bearer ${token}`;
const base = 'https://localhost';
const HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  'strict-transport-security': 'max-age=31536000',
  'content-type': 'application/vnd.com.nsn.cumulocity.measurement+json;charset=UTF-8;ver=0.9',
};

createServer(
  { key: readFileSync(keyFile), cert: readFileSync(certFile), requestCert: true, rejectUnauthorized: false },
  (request, response) => {
    if (
      request.method !== 'POST' ||
      request.url !== '/measurement/measurements' ||
      request.headers.authorization !== authorization
    ) {
      response.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let document: Record<string, unknown>;
      try {
        document = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        response.writeHead(400).end();
        return;
      }
      const { source, time, type, ...fragments } = document;
      const ms = typeof time === 'string' ? Date.parse(time) : Number.NaN;
      if (
        (source as { id?: unknown } | undefined)?.id !== '1' ||
        typeof type !== 'string' ||
        Number.isNaN(ms)
      ) {
        response.writeHead(422).end();
        return;
      }
      store({
        // The row's one device: its object, the first the store makes, is source 1.
        device: 'd1',
        type,
        time: ms,
        fragments: JSON.stringify(fragments),
        stored: (id) => {
          const self = `${base}/measurement/measurements/${id}`;
          const body = JSON.stringify({
            id: String(id),
            self,
            source: { id: '1', self: `${base}/inventory/managedObjects/1` },
            time: new Date(ms).toISOString(),
            type,
            ...fragments,
          });
          response.writeHead(201, { ...HEADERS, location: self, 'content-length': Buffer.byteLength(body) });
          response.end(body);
        },
      });
    });
  },
).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
