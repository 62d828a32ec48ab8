/**
 * node --import tsx bench/tools/profile-token.ts [seconds] [--prof] [--reused] [--current-user] [--measurement] [--est] [--mqtt-measurement] [--mqtt-new-device] [--on-disk] [--devices N] [--heap-snapshot] [--memory] [--then-b-c] [--server path/main.js]
 *
 * Drives the built server's token endpoint the way bench scenario (a) does (a new
 * device per request, through a trusted proxy connection) and reports the
 * server's CPU time per request; with --prof it writes a CPU profile of the
 * server (node --cpu-prof) into the printed folder. With --reused every request
 * is the same device over its own TLS connection (scenario (b)); with --current-user
 * that device's token on GET /user/currentUser (scenario (c)); with --measurement that device
 * sending POST /measurement/measurements for its managed object (scenario (h)); with --est that
 * device re-enrolling with a CSR of its own key at the tenant CA (simplereenroll, scenario (j)); with
 * --mqtt-measurement 16 devices on kept MQTT connections sending QoS 1 `200` lines (scenario (m)); with
 * --mqtt-new-device a new device per MQTT connection asking for its first token (scenario (k)). --on-disk keeps
 * the store in a data directory (as the bench's mocks do) instead of --ephemeral. --devices sets
 * the fleet's size (12,000; the bench's (a) to (d) register about 20,000); --heap-snapshot writes
 * the server's heap after the load into the printed folder (node --heapsnapshot-signal);
 * --server runs another build (its dist/bin.cjs; e.g. the code before a change, built elsewhere);
 * --memory prints the server's memory (RSS, V8's heap, buffers) after the load, and --then-b-c
 * also after (b) and (c) run on the same server for as long, as the bench's mock sees them, with
 * the server's CPU per request of each.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Certificate } from '../../src/pki/certificate.js';
import {
  commonName,
  createDeviceCertificate,
  createRootCa,
  exportPrivateKeyPem,
  importPrivateKeyPem,
} from '../../src/pki/certificate-factory.js';
import { formatChainHeader } from '../../src/pki/chain-header.js';
import { createCsr } from '../../src/pki/csr.js';
import { decodeCertificateBlocks } from '../../src/pki/pem.js';
import { x509 } from '../../src/pki/x509.js';
import { ca, devices, writeOneTenantSeed } from '../fixtures.js';
import { keepAlive } from '../load.js';
import { mqttKeepAlive, mqttNewDeviceEach } from '../mqtt-load.js';
import { perRequestLines, processCpu, threadCpu } from './thread-cpu.js';

const seconds = Number(process.argv[2] ?? 5);
const measurement = process.argv.includes('--measurement');
const mqttMeasurement = process.argv.includes('--mqtt-measurement');
const mqttNewDevice = process.argv.includes('--mqtt-new-device');
const mqtt = mqttMeasurement || mqttNewDevice;
const currentUser = process.argv.includes('--current-user');
const est = process.argv.includes('--est');
const withToken = currentUser || measurement || est;
const reused = withToken || mqttMeasurement || process.argv.includes('--reused');
const onDisk = process.argv.includes('--on-disk');
const devicesAt = process.argv.indexOf('--devices');
const fleetSize = devicesAt > 0 ? Number(process.argv[devicesAt + 1]) : 12_000;
const heapSnapshot = process.argv.includes('--heap-snapshot');
// Another build of the server, for the code before a change side by side with it.
const serverAt = process.argv.indexOf('--server');
const serverMain = serverAt > 0 ? process.argv[serverAt + 1]! : 'dist/bin.cjs';
const memoryAfter = process.argv.includes('--then-b-c');
const memoryReport = memoryAfter || process.argv.includes('--memory');
const now = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'c8y-profile-'));
const deviceCa = await ca('bench-device-ca', { type: 'ec' }, now);
const fleet = await devices(deviceCa, 'fleet', fleetSize, now, () => {});
const headers = fleet.map((d) => formatChainHeader(d.certPem));
const proxyCa = await createRootCa({
  subject: commonName('profile proxy CA'),
  notBefore: new Date(now - 1e8),
  notAfter: new Date(now + 1e9),
});
const proxy = await createDeviceCertificate({
  issuer: proxyCa,
  subject: commonName('proxy'),
  notBefore: new Date(now - 1e8),
  notAfter: new Date(now + 1e9),
});
// The administrator is for --est: the one who creates the tenant CA.
writeOneTenantSeed(join(dir, 'seed.json'), deviceCa.certPem, 'profile-password');
const prof = [
  ...(process.argv.includes('--prof') ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []),
  ...(heapSnapshot ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`] : []),
  ...(memoryReport ? ['--import', new URL('memory-signal.mjs', import.meta.url).pathname] : []),
];
const server = spawn(
  process.execPath,
  [
    ...prof,
    serverMain,
    'serve',
    '--port',
    '19999',
    // The MQTT door's default port may be another mock's: only the MQTT modes open one.
    '--mqtt-port',
    mqtt ? '19883' : '0',
    // Nor the API door's: 9443 may be taken too.
    '--api-port',
    '0',
    '--host',
    '127.0.0.1',
    '--certs-dir',
    join(dir, 'certs'),
    ...(onDisk ? ['--data-dir', join(dir, 'data')] : ['--ephemeral']),
    '--seed',
    join(dir, 'seed.json'),
    '--trusted-proxy',
    proxy.certificate.fingerprint,
    '--log-level',
    'warn',
    '--admin-secret',
    'profile-secret',
  ],
  { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'ignore', 'pipe'], env: process.env },
);
let out = '';
await new Promise<void>((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening:\n${out}`)));
  // The banner goes to stderr (the log to stdout); its error lines are passed on.
  server.stderr.on('data', (c: Buffer) => {
    if (out.includes('listening on')) {
      process.stderr.write(c);
      return;
    }
    out += c.toString();
    if (out.includes('listening on')) resolve();
  });
});
const serverCa = readFileSync(join(dir, 'certs', 'dev-ca.pem'), 'utf8');
const tls = reused
  ? { cert: fleet[0]!.certPem, key: fleet[0]!.keyPem, ca: serverCa }
  : { cert: proxy.certificate.pem, key: await exportPrivateKeyPem(proxy.keys.privateKey), ca: serverCa };
const ticks = () => processCpu(server.pid!);
const cpu = () => {
  const { user, system } = ticks();
  return user + system;
};
const ticksBefore = ticks();
const threadsBefore = threadCpu(server.pid!);
const clientBefore = process.cpuUsage();
/** POSTs `body` to the server as `client`: the answer's body, or an error for another status than `expected`. */
async function post(
  path: string,
  client: typeof tls,
  headers: Record<string, string>,
  expected: number,
  body?: string,
): Promise<string> {
  const { request } = await import('node:https');
  return new Promise<string>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: 19999, servername: 'localhost', method: 'POST', path, headers, ...client },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () =>
          res.statusCode === expected
            ? resolve(text)
            : reject(new Error(`${path}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
/** A token for the device of `client`'s certificate. */
async function fetchToken(client: typeof tls): Promise<string> {
  // Without Accept a POST is answered with an empty body.
  const answer = await post('/devicecontrol/deviceAccessToken', client, { accept: 'application/json' }, 200);
  return (JSON.parse(answer) as { accessToken: string }).accessToken;
}
/** Asks the server (started with --memory) for its memory, which it writes to stderr. */
async function memory(label: string): Promise<void> {
  if (!memoryReport) return;
  console.log(label);
  server.kill('SIGWINCH');
  await new Promise((resolve) => setTimeout(resolve, 500));
}
const tokenPost = { method: 'POST' as const, headers: { accept: 'application/json' } };
let bearer = '';
let source = '';
if (withToken) {
  bearer = await fetchToken(tls);
}
let csr = '';
if (est) {
  // The tenant CA, as the bench's (j) makes it; then a CSR of the device's own key and subject.
  await post(
    '/certificate-authority',
    tls,
    {
      authorization: `Basic ${Buffer.from('t100/admin:profile-password').toString('base64')}`,
      accept: 'application/json',
    },
    201,
  );
  const leaf = new x509.X509Certificate(fleet[0]!.certPem);
  const keys = (await importPrivateKeyPem(fleet[0]!.keyPem)) as CryptoKeyPair;
  csr = (await createCsr(leaf.subjectName, keys)).toString('base64');
}
if (measurement) {
  const answer = await post(
    '/inventory/managedObjects',
    tls,
    { authorization: `Bearer ${bearer}`, accept: 'application/json', 'content-type': 'application/json' },
    201,
    JSON.stringify({ name: 'profiled', c8y_IsDevice: {} }),
  );
  source = (JSON.parse(answer) as { id: string }).id;
}
let i = 0;
const before = cpu();
const started = performance.now();
const mqttDevice = (d: (typeof fleet)[number]) => ({
  cert: d.certPem,
  key: d.keyPem,
  clientId: Certificate.fromDer(decodeCertificateBlocks(d.certPem)[0]!).commonNames[0]!,
});
const result = mqttNewDevice
  ? await mqttNewDeviceEach({
      target: { host: '127.0.0.1', port: 19883, ca: serverCa },
      next: () => mqttDevice(fleet[i++ % fleet.length]!),
      concurrency: 16,
      seconds,
    })
  : mqttMeasurement
    ? await mqttKeepAlive({
        target: { host: '127.0.0.1', port: 19883, ca: serverCa },
        // Devices of their own, as the bench's (m): each connection one device, its client ID its CN.
        devices: fleet.slice(-16).map(mqttDevice),
        seconds,
        work: { kind: 'publish', topic: 's/us', payload: '200,c8y_TemperatureMeasurement,T,21.5,C' },
      })
    : await keepAlive({
        connections: 16,
        seconds,
        tls,
        ...(est
          ? {
              url: 'https://localhost:19999/.well-known/est/simplereenroll',
              method: 'POST' as const,
              headers: {
                authorization: `Bearer ${bearer}`,
                'content-type': 'application/pkcs10',
                'content-transfer-encoding': 'base64',
              },
              body: csr,
            }
          : measurement
            ? {
                url: 'https://localhost:19999/measurement/measurements',
                method: 'POST' as const,
                headers: {
                  authorization: `Bearer ${bearer}`,
                  accept: 'application/json',
                  'content-type': 'application/json',
                },
                body: JSON.stringify({
                  source: { id: source },
                  time: new Date(now).toISOString(),
                  type: 'c8y_TemperatureMeasurement',
                  c8y_TemperatureMeasurement: { T: { value: 21.5, unit: 'C' } },
                }),
              }
            : currentUser
              ? {
                  url: 'https://localhost:19999/user/currentUser',
                  headers: { authorization: `Bearer ${bearer}` },
                }
              : { url: 'https://localhost:19999/devicecontrol/deviceAccessToken', ...tokenPost }),
        ...(reused ? {} : { perRequest: () => ({ 'x-ssl-cert-chain': headers[i++ % headers.length]! }) }),
      });
const used = cpu() - before;
console.log(JSON.stringify(result));
if ((!reused || mqttNewDevice) && result.requests > fleet.length) {
  console.log(
    `the fleet wrapped: ${result.requests - fleet.length} requests reused a token (use more --devices)`,
  );
}
console.log(
  `server: ${(used / ((performance.now() - started) / 1000)).toFixed(2)} cores, ${Math.round((used * 1e6) / result.requests)} µs CPU per request`,
);
const ticksAfter = ticks();
const client = process.cpuUsage(clientBefore);
console.log(
  `load generator: ${Math.round((client.user + client.system) / result.requests)} µs CPU per request`,
);
for (const line of perRequestLines(threadCpu(server.pid!), threadsBefore, result.requests)) console.log(line);
console.log(
  `server: ${Math.round(((ticksAfter.user - ticksBefore.user) * 1e6) / result.requests)} µs user, ${Math.round(((ticksAfter.system - ticksBefore.system) * 1e6) / result.requests)} µs system per request`,
);
await memory('after the load');
if (memoryAfter) {
  // What the bench's mock does next: (b) and (c) on the same server, at their higher rates.
  const own = { cert: fleet[0]!.certPem, key: fleet[0]!.keyPem, ca: serverCa };
  const tokenUrl = 'https://localhost:19999/devicecontrol/deviceAccessToken';
  const bBefore = threadCpu(server.pid!);
  const b = await keepAlive({ connections: 16, seconds, tls: own, url: tokenUrl, ...tokenPost });
  for (const line of perRequestLines(threadCpu(server.pid!), bBefore, b.requests)) console.log(`(b)${line}`);
  await memory(`after (b), ${Math.round(b.rps)}/s`);
  const token = await fetchToken(own);
  const cBefore = threadCpu(server.pid!);
  const c = await keepAlive({
    connections: 16,
    seconds,
    tls: own,
    url: 'https://localhost:19999/user/currentUser',
    headers: { authorization: `Bearer ${token}` },
  });
  for (const line of perRequestLines(threadCpu(server.pid!), cBefore, c.requests)) console.log(`(c)${line}`);
  await memory(`after (c), ${Math.round(c.rps)}/s`);
}
const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1];
console.log(`server resident memory: ${Math.round(Number(rss) / 1024)} MB`);
if (heapSnapshot) {
  const written = () => readdirSync(dir).some((f) => f.endsWith('.heapsnapshot'));
  server.kill('SIGUSR2');
  // The snapshot is written when the file appears and stops growing.
  while (!written()) await new Promise((r) => setTimeout(r, 200));
  let size = -1;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'))!;
    const now = statSync(join(dir, file)).size;
    if (now === size) break;
    size = now;
  }
  console.log(`heap snapshot in ${dir}`);
}
server.kill('SIGTERM');
await new Promise((resolve) => server.on('exit', resolve));
if (prof.length) console.log(`profile in ${dir}`);
