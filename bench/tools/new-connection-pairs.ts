/**
 * node --import tsx bench/tools/new-connection-pairs.ts [rounds] [build/dist/bin.cjs ...]: row (d) of
 * the bench, a device's token request over a new TLS connection each (no resumption), for one or
 * more builds of the mock side by side with the bare node:https server of (d)'s baseline (issue 19).
 * Each round runs every build and then the bare server for 4 s, the builds' order alternating, and
 * prints their rates, each build's ratio to the bare server, and both servers' CPU per connection by
 * thread (read from /proc). Without a build it runs this checkout's `dist/bin.cjs`; another build is
 * a copy of another commit's `dist` and `package.json` (for example under `node_modules/.builds/`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ca, devices, localhostServer, writeOneTenantSeed } from '../fixtures.js';
import { type LoadResult, newConnectionEach, type TlsClient } from '../load.js';
import { perRequestLines, threadCpu } from './thread-cpu.js';

const rounds = Number(process.argv[2] ?? 3);
const builds = process.argv.slice(3);
if (builds.length === 0) builds.push('dist/bin.cjs');
const root = new URL('../..', import.meta.url).pathname;
const now = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'c8y-new-connection-pairs-'));
const { keyFile, certFile, ca: serverCa } = await localhostServer(dir, 'pairs CA', now);
const certsDir = join(dir, 'certs');
mkdirSync(certsDir);
const deviceCa = await ca('pairs-device-ca', { type: 'ec' }, now);
const [device] = await devices(deviceCa, 'pairs', 1, now, () => {});
writeOneTenantSeed(join(dir, 'seed.json'), deviceCa.certPem, 'pairs-password');

const children: ChildProcess[] = [];
let nextPort = 19_600;
/** Starts a server on the next port; resolves once it says it is ready. */
const start = async (args: (port: number) => string[]): Promise<{ port: number; pid: number }> => {
  const port = nextPort++;
  const child = spawn(process.execPath, args(port), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let said = '';
  await new Promise<void>((resolve, reject) => {
    const hear = (chunk: Buffer) => {
      said += chunk;
      if (/ready|listening on/.test(said)) resolve();
    };
    child.stdout!.on('data', hear);
    child.stderr!.on('data', hear);
    child.once('exit', (code) => reject(new Error(`${args(port).join(' ')} exited with ${code}: ${said}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return { port, pid: child.pid! };
};

const mocks: { build: string; port: number; pid: number }[] = [];
for (const build of builds) {
  const data = mkdtempSync(join(dir, 'data-'));
  const server = await start((port) => [
    build,
    'serve',
    ...['--port', String(port), '--mqtt-port', '0', '--api-port', '0', '--host', '127.0.0.1'],
    ...['--certs-dir', certsDir, '--seed', join(dir, 'seed.json'), '--data-dir', data],
    ...['--admin-secret', 'pairs-admin-secret', '--log-level', 'warn'],
  ]);
  mocks.push({ build, ...server });
}
const bare = await start((port) => [
  '--import',
  'tsx',
  'bench/servers/bare-https.ts',
  keyFile,
  certFile,
  String(port),
]);
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
  for (const child of children) child.kill('SIGTERM');
}
