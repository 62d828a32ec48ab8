import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { systemClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/config.js';
import { decodeCertificateBlocks } from '../../src/pki/pem.js';
import { parseSeed } from '../../src/seed/seed.js';
import { createServices } from '../../src/services.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { ca, devices } from '../fixtures.js';

/**
 * The mock in this process, without sockets, for the profiling tools: the bench's
 * device CA trusted by t100 (auto-registration on), its 12,000-device fleet as DER,
 * and the certificates a request presents chosen by `presented` on every request.
 * `extend` adds routes before the app is ready.
 */
export async function inProcessMock(
  presented: () => Buffer[],
  extend: (app: FastifyInstance) => void = () => {},
): Promise<{ app: FastifyInstance; fleet: Buffer[] }> {
  const now = Date.now();
  const deviceCa = await ca('bench-device-ca', { type: 'ec' }, now);
  const fleet = (await devices(deviceCa, 'fleet', 12_000, now, () => {})).map(
    (d) => decodeCertificateBlocks(d.certPem)[0]!,
  );
  const seed = {
    tenants: [
      {
        id: 't100',
        domain: 'localhost',
        trustedCertificates: [{ certInPemFormat: deviceCa.certPem, autoRegistrationEnabled: true }],
      },
    ],
  };
  const config = resolveConfig({ adminSecret: 'in-process-secret' });
  const services = await createServices({
    config,
    clock: systemClock,
    store: new SqliteStore(),
    seed: { source: 'in-process', load: () => parseSeed(seed, 'in-process') },
  });
  const app = await buildApp({
    services,
    limits: config.limits,
    responseBody: config.responseBody,
    peerCertificates: presented,
  });
  await services.state.initialize();
  extend(app);
  await app.ready();
  return { app, fleet };
}
