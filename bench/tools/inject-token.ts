/**
 * node --cpu-prof --import tsx bench/tools/inject-token.ts [n] [--new]
 *
 * The token endpoint's own cost without sockets: app.inject with the device
 * certificate passed through the peer-certificates seam. --new uses a new
 * device per request (scenario (a)); otherwise the same device asks again (b).
 */
import { Session } from 'node:inspector/promises';
import { inProcessMock } from './in-process.js';

const n = Number(process.argv[2] ?? 5000);
const fresh = process.argv.includes('--new');
let current: Buffer | undefined;
const { app, fleet } = await inProcessMock(() => [current!]);
current = fleet[0]!;
const run = async (count: number) => {
  for (let i = 0; i < count; i++) {
    if (fresh) current = fleet[(i + 1) % fleet.length]!;
    const response = await app.inject({
      method: 'POST',
      url: '/devicecontrol/deviceAccessToken',
      headers: { accept: 'application/json' },
    });
    if (response.statusCode !== 200) throw new Error(response.body);
  }
};
await run(500);
const profile = process.argv.includes('--prof');
const session = new Session();
if (profile) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const started = performance.now();
const cpu = process.cpuUsage();
await run(n);
const used = process.cpuUsage(cpu);
if (profile) {
  const { profile: result } = await session.post('Profiler.stop');
  printTop(result as Profile);
}
console.log(
  `${fresh ? 'new device' : 'same device'}: ${Math.round(((performance.now() - started) * 1000) / n)} µs wall, ${Math.round((used.user + used.system) / n)} µs CPU per request (in-process, no sockets)`,
);
await app.close();

interface Profile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self and inclusive time of the busiest functions, as shares of the measured run. */
function printTop(p: Profile): void {
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of p.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const name = (id: number) => {
    const f = byId.get(id)!.callFrame;
    return `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    self.set(name(id), (self.get(name(id)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = name(at);
      if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
      seen.add(key);
    }
  });
  const top = (m: Map<string, number>, count: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)}% ${k}`)
      .join('\n');
  console.log(`self:\n${top(self, 30)}\ninclusive:\n${top(inclusive, 50)}`);
}
