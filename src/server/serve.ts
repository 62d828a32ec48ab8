import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { buildApp } from '../app.js';
import { DEMO, ensureDemo } from '../bootstrap/demo.js';
import { ensureDevCertificates } from '../bootstrap/dev-certificates.js';
import type { CliIo } from '../cli/context.js';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { createLogger } from '../log.js';
import { MqttDoor } from '../mqtt/door.js';
import { loadSeedFile } from '../seed/seed.js';
import { createServices } from '../services.js';
import { assertReadableStore } from '../state/readable-records.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { bannerLines } from './banner.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** How the server is started: its configuration, and whether the admin secret was made up now. */
export interface ServeSettings {
  config: Config;
  adminSecretGenerated: boolean;
}

/** A path as the user should type it: relative to the working directory when below it. */
const show = (file: string) => {
  const rel = relative(process.cwd(), resolve(file));
  return rel.startsWith('..') ? resolve(file) : rel;
};

/**
 * The server's wiring: development certificates and the demo, the store, the
 * services and the app; then the signals and the listener, and the banner.
 *
 * What the mock tells its user (the files it made, the banner) goes to `io.stderr`, the banner in
 * one write; the log goes to stdout. So `serve | jq` and a log collector get JSON lines only, and
 * the banner still shows on the terminal of a user who sends the log to a file.
 */
export async function serve(
  { config, adminSecretGenerated }: ServeSettings,
  io: Pick<CliIo, 'stderr'>,
): Promise<void> {
  const say = (line: string) => io.stderr(`${line}\n`);
  const clock = systemClock;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });

  // An unusable seed fails now, before anything is made or listens.
  if (config.seed !== undefined) loadSeedFile(config.seed);
  const dev = await ensureDevCertificates(config.certsDir, config.hostnames, clock);
  for (const item of dev.created) say(`created ${item}`);
  const demo = config.seed === undefined ? await ensureDemo(config.certsDir, clock) : undefined;
  for (const item of demo?.created ?? []) say(`created ${item}`);
  const seedFile = config.seed ?? demo!.seedFile;
  if (demo) loadSeedFile(seedFile);
  const seed = { source: seedFile, load: () => loadSeedFile(seedFile) };

  const store = new SqliteStore({
    dataDir: config.ephemeral ? undefined : config.dataDir,
    sync: config.sync,
  });
  if (!config.ephemeral) {
    try {
      await assertReadableStore(store, `data directory ${show(config.dataDir)}`);
    } catch (error) {
      store.close();
      throw error;
    }
  }
  const services = await createServices({ config, clock, store, seed });
  const doorOptions = {
    services,
    limits: config.limits,
    responseBody: config.responseBody,
    acceptHandshakeChain: config.acceptHandshakeChain,
    tls: dev,
  };
  const app = await buildApp({
    ...doorOptions,
    door: 'mtls',
    mtlsServes: config.mtlsServes,
    logger: logger.child({ door: 'mtls' }),
  });
  // The API door: the same services, no client certificates (the platform's 443).
  const api =
    config.apiPort === 0
      ? undefined
      : await buildApp({ ...doorOptions, door: 'api', logger: logger.child({ door: 'api' }) });
  const mqtt =
    config.mqttPort === 0
      ? undefined
      : await MqttDoor.create(
          {
            login: services.login,
            tenants: services.tenants,
            trust: services.trust,
            decisions: services.decisions,
            sessions: services.mqttSessions,
            templates: services.templates,
            inventory: services.inventory,
            deviceObjects: services.deviceObjects,
            operations: services.operations,
            transaction: services.transaction,
            clock: services.clock,
            faults: services.faults,
            log: logger,
          },
          {
            credentials: dev,
            connectTimeoutMs: config.limits.headersTimeoutMs,
            maxConnections: config.limits.maxConnections,
            earlySubscribe: config.mqttSubscribeBeforeDevice,
          },
        );
  if (await services.state.initialize()) {
    say(
      `applied seed ${seedFile} to ${config.ephemeral ? 'the in-memory store' : `data directory ${config.dataDir}`}`,
    );
  } else {
    say(`kept the state in data directory ${config.dataDir} (seeded from ${services.seeder.seededFrom()})`);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      say(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: finishing requests in flight, refusing new connections`);
    // MQTT first: messages in flight are stored before the store closes.
    await mqtt?.close();
    await Promise.all([app.close(), api?.close()]);
    store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const address = await app.listen({ port: config.port, host: config.host });
  const apiAddress = api && (await api.listen({ port: config.apiPort, host: config.host }));
  const mqttPort = mqtt && (await listenMqtt(mqtt, config.mqttPort, config.host));
  const lines = bannerLines({
    version: pkg.version,
    port: new URL(address).port || String(config.port),
    apiPort: apiAddress === undefined ? undefined : new URL(apiAddress).port || String(config.apiPort),
    mtlsServes: config.mtlsServes,
    mqttPort: mqttPort === undefined ? undefined : String(mqttPort),
    host: config.host,
    caFile: show(dev.caFile),
    caPath: resolve(dev.caFile),
    tenants: services.tenants.list().map((tenant) => ({
      id: tenant.id,
      domain: tenant.domain,
      trustedCertificates: services.trust.list(tenant.id).length,
      users: services.tenants.userNames(tenant.id),
    })),
    generatedAdminSecret: adminSecretGenerated ? config.adminSecret : undefined,
    demo: demo && {
      adminPassword: demo.adminPassword,
      deviceCert: show(demo.deviceCert),
      deviceKey: show(demo.deviceKey),
      deviceId: DEMO.deviceId,
    },
  });
  io.stderr(`${lines.join('\n')}\n`);
}

/** Listens on the MQTT port; the port actually bound (0 picks one). */
function listenMqtt(door: MqttDoor, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    door.server.once('error', reject);
    door.server.listen(port, host, () => {
      door.server.off('error', reject);
      resolve((door.server.address() as import('node:net').AddressInfo).port);
    });
  });
}
