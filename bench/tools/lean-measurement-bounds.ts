/**
 * node --import tsx bench/tools/lean-measurement-bounds.ts [rounds] [--no-store | --writer-thread]:
 * how close to its goal any server on this stack can bring rows (h) and (m) (issue 19). Runs the
 * lean bounds (`bench/servers/lean-measurement.ts`, `lean-mqtt-measurement.ts`) side by side with
 * the rows' floors, the bench's (f) and (n), in alternating rounds of 4 s after 2 s of warm-up,
 * driven as bench/run.ts drives (h) and (m) (16 keep-alive connections; 16 MQTT devices, one QoS 1
 * `200` line in flight each), and prints each round's rates and ratio, and the lean server's CPU per
 * request by thread (read from /proc: main thread, and the others). --no-store: the same servers
 * writing nothing, the bound of the request's own work. --writer-thread: the same servers storing
 * their measurements on a worker thread with its own connection, a group at a time (what arrived
 * while the previous group was committed), and answering each once its group is committed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ca, devices, localhostServer } from '../fixtures.js';
import { keepAlive } from '../load.js';
import { mqttKeepAlive } from '../mqtt-load.js';
import { ChildServers } from './child-servers.js';
import { perRequestLines, threadCpu } from './thread-cpu.js';

const rounds = Number(process.argv[2] ?? 3);
const noStore = process.argv.includes('--no-store');
const writerThread = process.argv.includes('--writer-thread');
const now = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'c8y-lean-bounds-'));
const { ca: serverCa, keyFile, certFile } = await localhostServer(dir, 'bounds CA', now);
const [device] = await devices(await ca('bounds-device-ca', { type: 'ec' }, now), 'bounds', 1, now, () => {});
const tls = { cert: device!.certPem, key: device!.keyPem, ca: serverCa.certificate.pem };
const token = `eyJ${'x'.repeat(700)}`;

const servers = new ChildServers();
/** Starts one of the bench's servers on `port`; resolves to its process id once it is ready. */
const start = (script: string, port: number, ...rest: string[]): Promise<number> =>
  servers.start(['--import', 'tsx', script, keyFile, certFile, String(port), ...rest]);
const storeArgs = noStore ? ['--no-store'] : writerThread ? ['--writer-thread'] : [];
let leanHPid = 0;
let leanMPid = 0;
try {
  await start('bench/servers/floor-fastify.ts', 19_401);
  leanHPid = await start(
    'bench/servers/lean-measurement.ts',
    19_402,
    mkdtempSync(join(dir, 'h-')),
    token,
    ...storeArgs,
  );
  await start('bench/servers/bare-aedes.ts', 19_403);
  leanMPid = await start(
    'bench/servers/lean-mqtt-measurement.ts',
    19_404,
    mkdtempSync(join(dir, 'm-')),
    ...storeArgs,
  );
} catch (error) {
  servers.stop();
  throw error;
}

const floor = (seconds: number) =>
  keepAlive({ url: 'https://localhost:19401/', connections: 16, seconds, tls });
const leanH = (seconds: number) =>
  keepAlive({
    url: 'https://localhost:19402/measurement/measurements',
    connections: 16,
    seconds,
    tls,
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      source: { id: '1' },
      time: new Date(now).toISOString(),
      type: 'c8y_TemperatureMeasurement',
      c8y_TemperatureMeasurement: { T: { value: 21.5, unit: 'C' } },
    }),
  });
const mqttDevices = Array.from({ length: 16 }, (_, i) => ({
  cert: tls.cert,
  key: tls.key,
  clientId: `d:bounds-${i}`,
}));
const line = { kind: 'publish' as const, topic: 's/us', payload: '200,c8y_TemperatureMeasurement,T,21.5,C' };
const mqtt = (port: number) => (seconds: number) =>
  mqttKeepAlive({
    target: { host: '127.0.0.1', port, ca: tls.ca },
    devices: mqttDevices,
    seconds,
    work: line,
  });
const bareAedes = mqtt(19_403);
const leanM = mqtt(19_404);

const pairs = [
  { row: '(h)', floor: ['(f)', floor], lean: leanH, pid: leanHPid },
  { row: '(m)', floor: ['(n)', bareAedes], lean: leanM, pid: leanMPid },
] as const;
try {
  for (const {
    floor: [, base],
    lean,
  } of pairs) {
    await base(2);
    await lean(2);
  }
  for (let round = 1; round <= rounds; round++) {
    for (const {
      row,
      floor: [name, base],
      lean,
      pid,
    } of pairs) {
      const b = await base(4);
      const before = threadCpu(pid);
      const l = await lean(4);
      const cpu = perRequestLines(threadCpu(pid), before, l.requests).map((line) => line.trim());
      const failed = l.non2xx + l.errors + b.non2xx + b.errors;
      console.log(
        `round ${round} ${row}${noStore ? ' without a store' : writerThread ? ' with a writer thread' : ''}: ${name} ${Math.round(b.rps)}/s, lean ${Math.round(l.rps)}/s, ratio ${(l.rps / b.rps).toFixed(2)}${failed ? `, ${failed} failed` : ''}; lean ${cpu.join(', ')}`,
      );
    }
  }
} finally {
  servers.stop();
}
