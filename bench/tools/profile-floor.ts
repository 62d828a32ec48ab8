/**
 * node --import tsx bench/tools/profile-floor.ts [seconds] [--peer | --lean] [--prof]: a baseline server's
 * CPU per request, by thread, and the load generator's, for comparison with profile-token: the
 * floor (f); with --peer oauth2-mock-server's RS256 `POST /token` driven as the bench's row (e)
 * drives it; with --lean bench/servers/lean-token.ts, (a)'s checks and writes with nothing else,
 * driven as profile-token drives (a) (a new device per request through a trusted proxy). --prof
 * writes a CPU profile of the server (node --cpu-prof) into the printed folder.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  commonName,
  createDeviceCertificate,
  exportPrivateKeyPem,
} from '../../src/pki/certificate-factory.js';
import { formatChainHeader } from '../../src/pki/chain-header.js';
import { ca, devices, localhostServer } from '../fixtures.js';
import { keepAlive } from '../load.js';
import { MOCK_POOL_ENV } from './child-servers.js';
import { perRequestLines, processCpu, threadCpu } from './thread-cpu.js';

const seconds = Number(process.argv[2] ?? 5);
const peer = process.argv.includes('--peer');
const lean = process.argv.includes('--lean');
const prof = process.argv.includes('--prof');
const now = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'c8y-floor-'));
const { ca: serverCa, keyFile, certFile } = await localhostServer(dir, 'floor CA', now);
const deviceCa = await ca('bench-device-ca', { type: 'ec' }, now);
// --lean: enough devices that none asks twice in 2 s of warm-up and 10 s of load; the others use one.
const fleet = await devices(deviceCa, 'fleet', lean ? 30_000 : 1, now, () => {});
// --lean: the trusted proxy's connection, as profile-token's (a).
const proxy = await createDeviceCertificate({
  issuer: serverCa,
  subject: commonName('proxy'),
  notBefore: new Date(now - 1e8),
  notAfter: new Date(now + 1e9),
});
writeFileSync(join(dir, 'anchor.pem'), deviceCa.certPem);
writeFileSync(join(dir, 'proxy.pem'), proxy.certificate.pem);
const chainHeaders = fleet.map((d) => formatChainHeader(d.certPem));
let next = 0;
const server = spawn(
  process.execPath,
  [
    ...(prof
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${dir}`,
          '--import',
          new URL('exit-on-term.mjs', import.meta.url).pathname,
        ]
      : []),
    '--import',
    'tsx',
    peer
      ? 'bench/servers/oauth2-mock-server.ts'
      : lean
        ? 'bench/servers/lean-token.ts'
        : 'bench/servers/floor-fastify.ts',
    keyFile,
    certFile,
    '19998',
    ...(lean ? [join(dir, 'anchor.pem'), join(dir, 'proxy.pem'), dir] : []),
  ],
  {
    cwd: new URL('../..', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'inherit'],
    // The lean server's pool as src/bin.cts sizes the mock's; the peer and the floor as shipped.
    env: lean ? MOCK_POOL_ENV : process.env,
  },
);
await new Promise<void>((resolve) => server.stdout.on('data', () => resolve()));
const tls = { cert: fleet[0]!.certPem, key: fleet[0]!.keyPem, ca: serverCa.certificate.pem };
const proxyTls = {
  ...tls,
  cert: proxy.certificate.pem,
  key: await exportPrivateKeyPem(proxy.keys.privateKey),
};
// As bench/run.ts drives each.
const load = (seconds: number) =>
  peer
    ? keepAlive({
        url: 'https://localhost:19998/token',
        connections: 16,
        seconds,
        tls,
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from('bench-client:secret').toString('base64')}`,
        },
        body: 'grant_type=client_credentials&scope=read',
      })
    : lean
      ? keepAlive({
          url: 'https://localhost:19998/devicecontrol/deviceAccessToken',
          connections: 16,
          seconds,
          tls: proxyTls,
          method: 'POST',
          headers: { accept: 'application/json' },
          perRequest: () => ({ 'x-ssl-cert-chain': chainHeaders[next++ % chainHeaders.length]! }),
        })
      : keepAlive({ url: 'https://localhost:19998/', connections: 16, seconds, tls });
await load(2); // warm-up
const cpu = () => {
  const { user, system } = processCpu(server.pid!);
  return user + system;
};
const before = cpu();
const threadsBefore = threadCpu(server.pid!);
const clientBefore = process.cpuUsage();
const started = performance.now();
const result = await load(seconds);
const used = cpu() - before;
const client = process.cpuUsage(clientBefore);
console.log(JSON.stringify(result));
if (lean && next > fleet.length)
  console.log(`the fleet wrapped: ${next - fleet.length} requests were of a known device`);
console.log(
  `server: ${(used / ((performance.now() - started) / 1000)).toFixed(2)} cores, ${Math.round((used * 1e6) / result.requests)} µs CPU per request`,
);
console.log(
  `load generator: ${Math.round((client.user + client.system) / result.requests)} µs CPU per request`,
);
for (const line of perRequestLines(threadCpu(server.pid!), threadsBefore, result.requests)) console.log(line);
server.kill('SIGTERM');
if (prof) {
  await new Promise((resolve) => server.on('exit', resolve));
  console.log(`profile in ${dir}`);
}
