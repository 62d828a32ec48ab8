/** node --import tsx bench/tools/pieces.ts: what each step of a repeated token request costs, measured side by side. */
import { certificateSummary } from '../../src/decisions/decision-log.js';
import { inProcessMock } from './in-process.js';

let der: Buffer | undefined;
const { app, fleet } = await inProcessMock(
  () => [der!],
  (app) => app.get('/_bench/static', async () => ({ accessToken: 'static' })),
);
der = fleet[0]!;
const s = app.services;
async function time(name: string, n: number, f: () => unknown) {
  for (let i = 0; i < Math.min(n, 500); i++) await f();
  const t = performance.now();
  for (let i = 0; i < n; i++) await f();
  console.log(`${name.padEnd(44)} ${(((performance.now() - t) * 1000) / n).toFixed(1).padStart(7)} µs`);
}
const [cert] = s.chains.reader.chain([der]);
const verdict = () => s.chains.verify({ tls: [cert!], header: [] });
const v = verdict();
await time('inject GET static route (floor in-process)', 3000, () =>
  app.inject({ method: 'GET', url: '/_bench/static' }),
);
await time('inject POST token (same device)', 3000, () =>
  app.inject({
    method: 'POST',
    url: '/devicecontrol/deviceAccessToken',
    headers: { accept: 'application/json' },
  }),
);
await time('login.authenticate (same device)', 3000, () =>
  s.login.authenticate({ door: 'rest', handshake: [der!] }),
);
await time('reader.chain (cache hit)', 20000, () => s.chains.reader.chain([der!]));
await time('chains.verify (cached signature)', 20000, verdict);
await time('trust.index()', 20000, () => s.trust.index());
await time('options.crlOfflineCheck', 20000, () => s.options.crlOfflineCheck('t100'));
await time('devices.resolve (known device)', 20000, () => s.devices.resolve(v.leaf!, v.anchor!));
await time('tenants.get', 20000, () => s.tenants.get('t100'));
await time('options.lifespanSeconds', 20000, () => s.options.lifespanSeconds('t100'));
await time('issuer.issue (reused)', 20000, () =>
  s.issuer.issue({ tenantId: 't100', domain: 'localhost', userName: 'device_fleet-0000000' }, 3600),
);
await time('decisions.record', 20000, () =>
  s.decisions.record({
    door: 'rest',
    outcome: 'reused',
    status: 200,
    tenantId: 't100',
    steps: v.steps.map((st) => ({
      role: st.role,
      certificate: certificateSummary(st.certificate),
      checks: st.checks,
    })),
  }),
);
await time('der.toString(base64)', 20000, () => der!.toString('base64'));

// The steps of a new device's first request (scenario (a)): each call takes the next device.
const { Certificate } = await import('../../src/pki/certificate.js');
let k = 1;
const next = () => fleet[k++ % fleet.length]!;
await time('Certificate.fromDer (new certificate)', 5000, () => Certificate.fromDer(next()));
const parsed = fleet.map((d) => Certificate.fromDer(d));
k = 1;
await time('chains.verify (new leaf: EC P-256 signature)', 5000, () =>
  s.chains.verify({ tls: [parsed[k++ % parsed.length]!], header: [] }),
);
k = 1;
await time('devices.resolve (auto-registration)', 5000, () =>
  s.devices.resolve(parsed[k++ % parsed.length]!, v.anchor!),
);
let u = 0;
await time('issuer.issue (new token: RS256, awaited)', 2000, () =>
  s.issuer.issue({ tenantId: 't100', domain: 'localhost', userName: `device_new-${u++}` }, 3600),
);
await app.close();
