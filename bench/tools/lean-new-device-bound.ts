/**
 * node --import tsx bench/tools/lean-new-device-bound.ts [rounds]: how close to its goal any
 * server on this stack can bring row (k), a new MQTT device per connection asking for its first
 * token (issue 19). Runs the row's baseline (bare node:https, a new connection per request, as the
 * bench's (d) and (k) share it), the lean bound (`bench/servers/lean-mqtt-token.ts`) and the mock's
 * build in `dist`, in alternating rounds of 4 s after 2 s of warm-up each, driven as bench/run.ts
 * drives (k) (16 at a time, each a device of its own: handshake with its certificate, CONNECT,
 * SUBSCRIBE s/dat, s/uat, the 71 line), and prints each round's rates, the ratios to the baseline,
 * and each server's CPU per connection by thread (read from /proc) and the load generator's.
 * `--no-token`: the lean server answers `s/uat` with a fixed token, nothing signed or stored.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ca, devices, localhostServer, writeOneTenantSeed } from '../fixtures.js';
import { type LoadResult, newConnectionEach } from '../load.js';
import { type MqttDevice, mqttNewDeviceEach } from '../mqtt-load.js';
import { perRequestLines, threadCpu } from './thread-cpu.js';

const rounds = Number(process.argv[2] ?? 3);
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

const children: ChildProcess[] = [];
/** Starts a server; resolves to its process id once `ready` has been written. */
const start = async (args: string[], ready: (output: string) => boolean): Promise<number> => {
  const child = spawn(process.execPath, args, {
    cwd: new URL('../..', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready(output)) resolve();
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)));
  });
  return child.pid!;
};
const tsx = ['--import', 'tsx'];
const barePid = await start([...tsx, 'bench/servers/bare-https.ts', keyFile, certFile, '19501'], (o) =>
  o.includes('ready'),
);
const leanPid = await start(
  [
    ...tsx,
    'bench/servers/lean-mqtt-token.ts',
    ...[keyFile, certFile, '19502', anchorFile, mkdtempSync(join(dir, 'k-'))],
    ...(process.argv.includes('--no-token') ? ['--no-token'] : []),
  ],
  (o) => o.includes('ready'),
);
const mockPid = await start(
  [
    'dist/bin.cjs',
    'serve',
    ...['--port', '0', '--api-port', '0', '--mqtt-port', '19503', '--host', '127.0.0.1'],
    ...['--certs-dir', certsDir, '--seed', join(dir, 'seed.json'), '--data-dir', join(dir, 'mock')],
    ...['--admin-secret', 'bound-secret', '--log-level', 'warn'],
  ],
  (o) => o.includes('listening on'),
);

// Each device connects once, the lean server's and the mock's alike; a second lap would ask again.
let cursor = 0;
const next = (): MqttDevice => {
  if (cursor >= fleet.length) throw new Error(`the fleet of ${fleet.length} ran out: fewer rounds`);
  const d = fleet[cursor]!;
  return { cert: d.certPem, key: d.keyPem, clientId: `mqtt-${String(cursor++).padStart(7, '0')}` };
};
const newDevices = (port: number, ca: string) => (seconds: number) =>
  mqttNewDeviceEach({ target: { host: '127.0.0.1', port, ca }, next, concurrency: 16, seconds });
const servers: { name: string; pid: number; run: (seconds: number) => Promise<LoadResult> }[] = [
  {
    name: 'bare node:https',
    pid: barePid,
    run: (seconds) =>
      newConnectionEach({
        host: '127.0.0.1',
        port: 19_501,
        concurrency: 16,
        seconds,
        tls: { cert: fleet[0]!.certPem, key: fleet[0]!.keyPem, ca: trust },
        method: 'GET',
        path: '/',
      }),
  },
  { name: 'lean', pid: leanPid, run: newDevices(19_502, trust) },
  { name: 'mock', pid: mockPid, run: newDevices(19_503, readFileSync(join(certsDir, 'dev-ca.pem'), 'utf8')) },
];
try {
  for (const server of servers) await server.run(2);
  for (let round = 1; round <= rounds; round++) {
    const rates: number[] = [];
    const lines: string[] = [];
    for (const { name, pid, run } of servers) {
      const before = threadCpu(pid);
      const client = process.cpuUsage();
      const result = await run(4);
      const { user, system } = process.cpuUsage(client);
      rates.push(result.rps);
      const failed = result.non2xx + result.errors;
      const cpu = perRequestLines(threadCpu(pid), before, result.requests).map((line) => line.trim());
      lines.push(
        `  ${name} ${Math.round(result.rps)}/s${failed ? `, ${failed} failed` : ''}; ${cpu.join(', ')}; load generator: ${Math.round((user + system) / result.requests)} µs per request`,
      );
    }
    const [base, lean, mock] = rates as [number, number, number];
    console.log(
      `round ${round}: lean/bare ${(lean / base).toFixed(2)}, mock/bare ${(mock / base).toFixed(2)}`,
    );
    for (const line of lines) console.log(line);
  }
} finally {
  for (const child of children) child.kill();
}
