/** node --import tsx bench/tools/profile-floor.ts [seconds]: the floor server's CPU per request, for comparison with profile-token. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  commonName,
  createRootCa,
  createServerCertificate,
  exportPrivateKeyPem,
} from '../../src/pki/certificate-factory.js';
import { ca, devices } from '../fixtures.js';
import { keepAlive } from '../load.js';

const seconds = Number(process.argv[2] ?? 5);
const now = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'c8y-floor-'));
const serverCa = await createRootCa({
  subject: commonName('floor CA'),
  notBefore: new Date(now - 1e8),
  notAfter: new Date(now + 1e9),
});
const cert = await createServerCertificate({
  issuer: serverCa,
  subject: commonName('localhost'),
  names: ['localhost'],
  notBefore: new Date(now - 1e8),
  notAfter: new Date(now + 1e9),
});
writeFileSync(join(dir, 'key.pem'), await exportPrivateKeyPem(cert.keys.privateKey));
writeFileSync(join(dir, 'cert.pem'), cert.certificate.pem);
const fleet = await devices(await ca('bench-device-ca', { type: 'ec' }, now), 'fleet', 12_000, now, () => {});
const server = spawn(
  process.execPath,
  ['--import', 'tsx', 'bench/servers/floor-fastify.ts', join(dir, 'key.pem'), join(dir, 'cert.pem'), '19998'],
  {
    cwd: new URL('../..', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
await new Promise<void>((resolve) => server.stdout.on('data', () => resolve()));
const cpu = () => {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const before = cpu();
const started = performance.now();
const result = await keepAlive({
  url: 'https://localhost:19998/',
  connections: 16,
  seconds,
  tls: { cert: fleet[0]!.certPem, key: fleet[0]!.keyPem, ca: serverCa.certificate.pem },
});
const used = cpu() - before;
console.log(JSON.stringify(result));
console.log(
  `server: ${(used / ((performance.now() - started) / 1000)).toFixed(2)} cores, ${Math.round((used * 1e6) / result.requests)} µs CPU per request`,
);
server.kill('SIGTERM');
