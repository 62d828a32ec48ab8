/**
 * node --import tsx bench/tools/lean-new-device-bound.ts [rounds] [--no-token]: how close to its
 * goal a server on this stack can bring row (k), a new MQTT device per connection asking for its
 * first token (issue 19). Runs the row's baseline (bare node:https, a new connection per request,
 * as the bench's (d) and (k) share it), the lean bound (`bench/servers/lean-mqtt-token.ts`) and the
 * mock's build in `dist` (built beforehand: `npm run build`), 4 s each per round after 2 s of
 * warm-up, each round starting with the next of the three. They are driven as bench/run.ts drives
 * (k): 16 at a time, each a device of its own (handshake with its certificate, CONNECT, SUBSCRIBE
 * s/dat, s/uat, the 71 line). Prints each round's rates, p50, the ratios to the baseline, each
 * server's CPU per connection by thread (read from /proc), the load generator's, and the cores the
 * two kept busy together. The bench's fleet of 20,000 MQTT devices lasts about five rounds.
 * `--no-token`: the lean server answers `s/uat` with a fixed token, nothing signed or stored.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ca, devices, localhostServer, writeOneTenantSeed } from '../fixtures.js';
import { type LoadResult, newConnectionEach } from '../load.js';
import { type MqttDevice, mqttNewDeviceEach } from '../mqtt-load.js';
import { ChildServers, MOCK_POOL_ENV, mockServe } from './child-servers.js';
import { threadCpu } from './thread-cpu.js';

const rounds = Number(process.argv[2] ?? 3);
const PORTS = { bare: 19_501, lean: 19_502, mock: 19_503 };
const now = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'c8y-lean-k-'));
const { ca: serverCa, keyFile, certFile } = await localhostServer(dir, 'bound CA', now);
// The bench's device CA and MQTT fleet (bench/.cache): each connection a device of its own.
const deviceCa = await ca('bench-device-ca', { type: 'ec' }, now);
const fleet = await devices(deviceCa, 'mqtt', 20_000, now, () => {});
const anchorFile = join(dir, 'anchor.pem');
writeFileSync(anchorFile, deviceCa.certPem);
const trust = serverCa.certificate.pem;
// The mock makes its own identity there, and its CA is the mock's clients' trust.
const certsDir = join(dir, 'certs');
writeOneTenantSeed(join(dir, 'seed.json'), deviceCa.certPem, 'bound-password');

// Each device connects once, to the lean server or the mock: a second connection would not be new.
let cursor = 0;
const next = (): MqttDevice => {
  if (cursor >= fleet.length) throw new Error(`the fleet of ${fleet.length} ran out: fewer rounds`);
  const d = fleet[cursor]!;
  return { cert: d.certPem, key: d.keyPem, clientId: `mqtt-${String(cursor++).padStart(7, '0')}` };
};
const newDevices = (port: number, ca: string) => (seconds: number) =>
  mqttNewDeviceEach({ target: { host: '127.0.0.1', port, ca }, next, concurrency: 16, seconds });

const servers = new ChildServers();
try {
  const tsx = ['--import', 'tsx'];
  const bare = await servers.start([
    ...tsx,
    'bench/servers/bare-https.ts',
    keyFile,
    certFile,
    `${PORTS.bare}`,
  ]);
  const lean = await servers.start(
    [
      ...tsx,
      'bench/servers/lean-mqtt-token.ts',
      ...[keyFile, certFile, `${PORTS.lean}`, anchorFile, mkdtempSync(join(dir, 'k-'))],
      ...(process.argv.includes('--no-token') ? ['--no-token'] : []),
    ],
    MOCK_POOL_ENV,
  );
  const mock = await servers.start(
    mockServe({
      build: 'dist/bin.cjs',
      port: 0,
      mqttPort: PORTS.mock,
      certsDir,
      seedFile: join(dir, 'seed.json'),
      dataDir: join(dir, 'mock'),
    }),
  );
  const mockTrust = readFileSync(join(certsDir, 'dev-ca.pem'), 'utf8');
  const rows: { name: string; pid: number; run: (seconds: number) => Promise<LoadResult> }[] = [
    {
      name: 'bare node:https',
      pid: bare,
      run: (seconds) =>
        newConnectionEach({
          host: '127.0.0.1',
          port: PORTS.bare,
          concurrency: 16,
          seconds,
          tls: { cert: fleet[0]!.certPem, key: fleet[0]!.keyPem, ca: trust },
          method: 'GET',
          path: '/',
        }),
    },
    { name: 'lean', pid: lean, run: newDevices(PORTS.lean, trust) },
    { name: 'mock', pid: mock, run: newDevices(PORTS.mock, mockTrust) },
  ];
  for (const { run } of rows) await run(2);
  for (let round = 1; round <= rounds; round++) {
    const rates = new Map<string, number>();
    const lines: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const { name, pid, run } = rows[(round - 1 + i) % rows.length]!;
      const before = threadCpu(pid);
      const client = process.cpuUsage();
      const started = performance.now();
      const result = await run(4);
      const elapsed = (performance.now() - started) / 1000;
      const { user, system } = process.cpuUsage(client);
      const perConnection = (seconds: number) => Math.round((seconds * 1e6) / result.requests);
      const byThread = [...threadCpu(pid)].map(([thread, seconds]) => {
        const used = seconds - (before.get(thread) ?? 0);
        return { thread, used };
      });
      const serverSeconds = byThread.reduce((sum, { used }) => sum + used, 0);
      const generatorSeconds = (user + system) / 1e6;
      rates.set(name, result.rps);
      const failed = result.non2xx + result.errors;
      lines.push(
        `  ${name} ${Math.round(result.rps)}/s, p50 ${result.p50.toFixed(1)} ms${failed ? `, ${failed} failed` : ''}; µs a connection: ${byThread
          .filter(({ used }) => used > 0)
          .map(({ thread, used }) => `${thread} ${perConnection(used)}`)
          .join(
            ', ',
          )}, load generator ${perConnection(generatorSeconds)}; ${((serverSeconds + generatorSeconds) / elapsed).toFixed(2)} cores busy`,
      );
    }
    const base = rates.get('bare node:https')!;
    console.log(
      `round ${round}: lean/bare ${(rates.get('lean')! / base).toFixed(2)}, mock/bare ${(rates.get('mock')! / base).toFixed(2)}`,
    );
    for (const line of lines) console.log(line);
  }
} finally {
  servers.stop();
}
