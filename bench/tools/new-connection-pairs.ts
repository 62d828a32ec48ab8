/**
 * node --import tsx bench/tools/new-connection-pairs.ts [rounds] [build/dist/bin.cjs ...]: row (d) of
 * the bench, a device's token request over a new TLS connection each (no resumption), for one or
 * more builds of the mock side by side with the bare node:https server of (d)'s baseline (issue 19).
 * Each round runs every build and then the bare server for 4 s, the builds' order alternating, and
 * prints their rates, each build's ratio to the bare server, and both servers' CPU per connection by
 * thread (read from /proc). Without a build it runs this checkout's `dist/bin.cjs`; another build is
 * a copy of another commit's `dist` and `package.json` (for example under `node_modules/.builds/`).
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ca, devices, localhostServer, writeOneTenantSeed } from '../fixtures.js';
import { type LoadResult, newConnectionEach, type TlsClient } from '../load.js';
import { ChildServers, mockServe } from './child-servers.js';
import { perRequestLines, threadCpu } from './thread-cpu.js';

const rounds = Number(process.argv[2] ?? 3);
const builds = process.argv.slice(3);
if (builds.length === 0) builds.push('dist/bin.cjs');
const now = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'c8y-new-connection-pairs-'));
const { keyFile, certFile, ca: serverCa } = await localhostServer(dir, 'pairs CA', now);
const certsDir = join(dir, 'certs');
mkdirSync(certsDir);
const deviceCa = await ca('pairs-device-ca', { type: 'ec' }, now);
const [device] = await devices(deviceCa, 'pairs', 1, now, () => {});
writeOneTenantSeed(join(dir, 'seed.json'), deviceCa.certPem, 'pairs-password');

const servers = new ChildServers();
let nextPort = 19_600;
/** Starts a server on the next port. */
const start = async (args: (port: number) => string[]): Promise<{ port: number; pid: number }> => {
  const port = nextPort++;
  return { port, pid: await servers.start(args(port)) };
};

const mocks: { build: string; port: number; pid: number }[] = [];
let bare = { port: 0, pid: 0 };
try {
  for (const build of builds) {
    const dataDir = mkdtempSync(join(dir, 'data-'));
    const seedFile = join(dir, 'seed.json');
    const server = await start((port) =>
      mockServe({ build, port, mqttPort: 0, certsDir, seedFile, dataDir }),
    );
    mocks.push({ build, ...server });
  }
  bare = await start((port) => [
    '--import',
    'tsx',
    'bench/servers/bare-https.ts',
    keyFile,
    certFile,
    `${port}`,
  ]);
} catch (error) {
  servers.stop();
  throw error;
}
const deviceTls = { cert: device!.certPem, key: device!.keyPem };
// The mocks share one certs folder: the first made its server's CA there.
const mockTls: TlsClient = { ...deviceTls, ca: readFileSync(join(certsDir, 'dev-ca.pem'), 'utf8') };
const bareTls: TlsClient = { ...deviceTls, ca: serverCa.certificate.pem };

// What (d) asks of each: the bare server its static answer, the mock a device's token.
const run = (port: number, seconds: number): Promise<LoadResult> =>
  newConnectionEach({
    host: '127.0.0.1',
    port,
    concurrency: 16,
    seconds,
    ...(port === bare.port
      ? { tls: bareTls, method: 'GET', path: '/' }
      : { tls: mockTls, method: 'POST', path: '/devicecontrol/deviceAccessToken' }),
  });
const measured = async (server: { port: number; pid: number }) => {
  const before = threadCpu(server.pid);
  const result = await run(server.port, 4);
  const cpu = perRequestLines(threadCpu(server.pid), before, result.requests).map((line) => line.trim());
  return { result, cpu: cpu.join(', ') };
};

try {
  for (const server of [...mocks, bare]) await run(server.port, 2);
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? mocks : [...mocks].reverse();
    const results = [];
    for (const mock of order) results.push({ mock, ...(await measured(mock)) });
    const base = await measured(bare);
    for (const { mock, result, cpu } of results) {
      const failed = result.errors + result.non2xx;
      console.log(
        `round ${round} ${mock.build}: ${Math.round(result.rps)}/s, bare ${Math.round(base.result.rps)}/s, ratio ${(result.rps / base.result.rps).toFixed(3)}${failed ? `, ${failed} failed` : ''}; mock ${cpu}; bare ${base.cpu}`,
      );
    }
  }
} finally {
  servers.stop();
}
