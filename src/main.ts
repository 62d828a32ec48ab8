#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { CliError, oneLine } from './cli/cli-error.js';
import { certsCommand, commandGroup, logoutCommand, tokenCommand, uploadCommand } from './cli/commands.js';
import type { CliContext } from './cli/context.js';
import { collect, integer } from './cli/parsers.js';
import { systemClock } from './clock.js';
import {
  type Config,
  ConfigError,
  DEFAULT_CONFIG,
  DEFAULT_LIMITS,
  DEFAULT_RETENTION,
  LOG_LEVELS,
  resolveConfig,
} from './config.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const env = (name: string) => `C8Y_MOCK_${name}`;

function serveCommand(): Command {
  const d = DEFAULT_CONFIG;
  const l = DEFAULT_LIMITS;
  return new Command('serve')
    .description('run the mock platform: HTTPS with client certificates on --port')
    .addOption(
      new Option('--port <port>', 'port to listen on').env(env('PORT')).default(d.port).argParser(integer),
    )
    .addOption(new Option('--host <address>', 'address to bind').env(env('HOST')).default(d.host))
    .addOption(
      new Option('--certs-dir <dir>', 'where the development CA, server certificate and demo files live')
        .env(env('CERTS_DIR'))
        .default(d.certsDir),
    )
    .addOption(
      new Option(
        '--seed <file>',
        'seed file (JSON) applied to a new data directory; default: the demo tenant',
      ).env(env('SEED')),
    )
    .addOption(
      new Option(
        '--hostname <name>',
        'extra name or IP for the server certificate (repeatable; comma-separated in the variable)',
      )
        .env(env('HOSTNAME'))
        .argParser(collect),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .env(env('LOG_LEVEL'))
        .choices(LOG_LEVELS)
        .default(d.logLevel),
    )
    .addOption(
      new Option('--log-format <format>', 'log format (default: pretty on a terminal, json otherwise)')
        .env(env('LOG_FORMAT'))
        .choices(['pretty', 'json']),
    )
    .addOption(
      new Option('--data-dir <dir>', 'directory of the embedded database')
        .env(env('DATA_DIR'))
        .default(d.dataDir),
    )
    .addOption(
      new Option('--ephemeral', 'keep all state in memory; nothing survives a restart').env(env('EPHEMERAL')),
    )
    .addOption(
      new Option(
        '--sync <mode>',
        "'normal': changes survive a crash of the process; 'full': also an OS crash (fsync per change)",
      )
        .env(env('SYNC'))
        .choices(['normal', 'full'])
        .default(d.sync),
    )
    .addOption(
      new Option(
        '--lifespan-below-minimum <policy>',
        'a device-token lifespan option below 300 s: reject it (422) or store it and clamp to 300',
      )
        .env(env('LIFESPAN_BELOW_MINIMUM'))
        .choices(['reject', 'clamp'])
        .default(d.lifespanBelowMinimum),
    )
    .addOption(
      new Option(
        '--trusted-proxy <fingerprint>',
        'SHA-1 fingerprint of a TLS-terminating proxy’s client certificate; its X-Ssl-Cert-Chain names the device (repeatable)',
      )
        .env(env('TRUSTED_PROXY'))
        .argParser(collect),
    )
    .addOption(
      new Option(
        '--admin-secret <secret>',
        'secret of the /_mock control API (Authorization: Bearer <secret>); generated and printed when not given',
      ).env(env('ADMIN_SECRET')),
    )
    .addOption(
      new Option('--decision-log-size <n>', 'authentication decisions kept in memory')
        .env(env('DECISION_LOG_SIZE'))
        .default(d.decisionLogSize)
        .argParser(integer),
    )
    .addOption(
      new Option(
        '--response-body <policy>',
        "POST/PUT answers of the device data APIs: 'accept' sends the object only when the request has an Accept header (the OpenAPI rule), 'always' sends it anyway",
      )
        .env(env('RESPONSE_BODY'))
        .choices(['accept', 'always'])
        .default(d.responseBody),
    )
    .addOption(
      new Option('--max-measurements <n>', 'measurements kept; beyond it the oldest go first')
        .env(env('MAX_MEASUREMENTS'))
        .default(DEFAULT_RETENTION.maxMeasurements)
        .argParser(integer),
    )
    .addOption(
      new Option('--max-events <n>', 'events kept; beyond it the oldest go first')
        .env(env('MAX_EVENTS'))
        .default(DEFAULT_RETENTION.maxEvents)
        .argParser(integer),
    )
    .addOption(
      new Option('--max-alarms <n>', 'alarms kept; beyond it the oldest go first')
        .env(env('MAX_ALARMS'))
        .default(DEFAULT_RETENTION.maxAlarms)
        .argParser(integer),
    )
    .addOption(
      new Option(
        '--auto-registration-inventory',
        'a device registered by its first token request also gets its managed object (c8y_IsDevice, owner device_<CN>) and c8y_Serial external ID, as bulk registration gives it',
      ).env(env('AUTO_REGISTRATION_INVENTORY')),
    )
    .addOption(
      new Option('--max-header-size <bytes>', 'largest request head accepted')
        .env(env('MAX_HEADER_SIZE'))
        .default(l.maxHeaderSize)
        .argParser(integer),
    )
    .addOption(
      new Option('--body-limit <bytes>', 'largest request body accepted')
        .env(env('BODY_LIMIT'))
        .default(l.bodyLimit)
        .argParser(integer),
    )
    .addOption(
      new Option('--request-timeout <ms>', 'time for a whole request to arrive')
        .env(env('REQUEST_TIMEOUT'))
        .default(l.requestTimeoutMs)
        .argParser(integer),
    )
    .addOption(
      new Option('--headers-timeout <ms>', 'time for the request head to arrive')
        .env(env('HEADERS_TIMEOUT'))
        .default(l.headersTimeoutMs)
        .argParser(integer),
    )
    .addOption(
      new Option('--keep-alive-timeout <ms>', 'idle time before a kept-alive connection closes')
        .env(env('KEEP_ALIVE_TIMEOUT'))
        .default(l.keepAliveTimeoutMs)
        .argParser(integer),
    )
    .addOption(
      new Option('--max-connections <n>', 'open connections beyond this are closed at once')
        .env(env('MAX_CONNECTIONS'))
        .default(l.maxConnections)
        .argParser(integer),
    )
    .action(async (options: ServeOptions) => serve(options));
}

interface ServeOptions {
  port: number;
  host: string;
  certsDir: string;
  seed?: string;
  hostname?: string[];
  logLevel: Config['logLevel'];
  logFormat?: Config['logFormat'];
  dataDir: string;
  ephemeral?: boolean | string;
  sync: Config['sync'];
  lifespanBelowMinimum: Config['lifespanBelowMinimum'];
  trustedProxy?: string[];
  adminSecret?: string;
  decisionLogSize: number;
  responseBody: Config['responseBody'];
  maxMeasurements: number;
  maxEvents: number;
  maxAlarms: number;
  autoRegistrationInventory?: boolean | string;
  maxHeaderSize: number;
  bodyLimit: number;
  requestTimeout: number;
  headersTimeout: number;
  keepAliveTimeout: number;
  maxConnections: number;
}

async function serve(options: ServeOptions): Promise<void> {
  // Loaded here, not at the top: the other commands start in a fraction of the time without the server.
  const [
    { buildApp },
    { ensureDemo },
    { ensureDevCertificates },
    { createLogger },
    { loadSeedFile, SEEDED_META_KEY },
    { SqliteStore },
  ] = await Promise.all([
    import('./app.js'),
    import('./bootstrap/demo.js'),
    import('./bootstrap/dev-certificates.js'),
    import('./log.js'),
    import('./seed/seed.js'),
    import('./store/sqlite-store.js'),
  ]);
  const config = resolveConfig({
    port: options.port,
    host: options.host,
    certsDir: options.certsDir,
    seed: options.seed,
    hostnames: options.hostname ?? [],
    logLevel: options.logLevel,
    logFormat: options.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    dataDir: options.dataDir,
    ephemeral: flag(options.ephemeral),
    sync: options.sync,
    lifespanBelowMinimum: options.lifespanBelowMinimum,
    trustedProxies: new Set((options.trustedProxy ?? []).map((f) => f.toLowerCase().replaceAll(':', ''))),
    adminSecret: options.adminSecret ?? randomBytes(18).toString('base64url'),
    decisionLogSize: options.decisionLogSize,
    responseBody: options.responseBody,
    retention: {
      maxMeasurements: options.maxMeasurements,
      maxEvents: options.maxEvents,
      maxAlarms: options.maxAlarms,
    },
    autoRegistrationInventory: flag(options.autoRegistrationInventory),
    limits: {
      maxHeaderSize: options.maxHeaderSize,
      bodyLimit: options.bodyLimit,
      requestTimeoutMs: options.requestTimeout,
      headersTimeoutMs: options.headersTimeout,
      keepAliveTimeoutMs: options.keepAliveTimeout,
      maxConnections: options.maxConnections,
    },
  });
  const clock = systemClock;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const say = (line: string) => process.stdout.write(`${line}\n`);

  const dev = await ensureDevCertificates(config.certsDir, config.hostnames, clock);
  for (const item of dev.created) say(`created ${item}`);
  const demo = config.seed === undefined ? await ensureDemo(config.certsDir, clock) : undefined;
  for (const item of demo?.created ?? []) say(`created ${item}`);
  const seedFile = config.seed ?? demo!.seedFile;
  loadSeedFile(seedFile); // fail now, before anything listens, when the seed is unusable
  const seed = { source: seedFile, load: () => loadSeedFile(seedFile) };

  const store = new SqliteStore({
    dataDir: config.ephemeral ? undefined : config.dataDir,
    sync: config.sync,
  });
  const app = await buildApp({ config, clock, store, logger, tls: dev, seed });
  if (await app.services.state.initialize()) {
    say(
      `applied seed ${seedFile} to ${config.ephemeral ? 'the in-memory store' : `data directory ${config.dataDir}`}`,
    );
  } else {
    say(`kept the state in data directory ${config.dataDir} (seeded from ${store.getMeta(SEEDED_META_KEY)})`);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      say(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: finishing requests in flight, refusing new connections`);
    await app.close();
    store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const address = await app.listen({ port: config.port, host: config.host });
  const port = new URL(address).port || String(config.port);
  const show = (file: string) => {
    const rel = relative(process.cwd(), resolve(file));
    return rel.startsWith('..') ? resolve(file) : rel;
  };
  say('');
  say(`c8y-mtls-mock ${pkg.version} listening on https://localhost:${port} (bound to ${config.host})`);
  say(`  development CA that clients must trust: ${show(dev.caFile)}`);
  for (const tenant of app.services.tenants.list()) {
    const anchors = app.services.trust.list(tenant.id);
    say(
      `  tenant ${tenant.id} (domain ${tenant.domain}): ${anchors.length} trusted certificate(s), users ${
        app.services.store
          .listUsers(tenant.id)
          .map((u) => u.userName)
          .join(', ') || '(none)'
      }`,
    );
  }
  say(
    options.adminSecret
      ? '  control API (/_mock): secret from --admin-secret'
      : `  control API (/_mock): Authorization: Bearer ${config.adminSecret}  (generated; set --admin-secret to fix it)`,
  );
  say(
    `  dashboard for training labs: https://localhost:${port}/ (a tenant administrator or the admin secret)`,
  );
  if (demo) {
    say(`  demo administrator: t100/admin, password ${demo.adminPassword}`);
    say('');
    say('Get a device token (the Cumulocity docs\u2019 command, plus --cacert so curl trusts the mock):');
    say('');
    say(`    curl -v --cert ${show(demo.deviceCert)} --key ${show(demo.deviceKey)} \\`);
    say(`       --cacert ${show(dev.caFile)} \\`);
    say(`       -H 'Accept: application/json' \\`);
    say('       -X POST \\');
    say(`       https://localhost:${port}/devicecontrol/deviceAccessToken`);
  }
  say('');
}

const NAME = 'c8y-mtls-mock';

/** A boolean option: the flag itself, or `true`/`1` in its variable. */
const flag = (value: boolean | string | undefined) => value === true || value === 'true' || value === '1';

export function program(
  context: CliContext = { clock: systemClock, print: (line) => process.stdout.write(`${line}\n`) },
): Command {
  const root = commandGroup(
    NAME,
    'Offline stand-in for Cumulocity IoT certificate-based device authentication',
  )
    .version(pkg.version)
    .addCommand(serveCommand())
    .addCommand(certsCommand(context))
    .addCommand(uploadCommand(context))
    .addCommand(tokenCommand(context))
    .addCommand(logoutCommand(context));
  oneLineErrors(root);
  return root;
}

/** commander's own errors (unknown option, missing argument) in the same one-line form as ours. */
function oneLineErrors(command: Command): void {
  command.configureOutput({
    outputError: (text, write) => write(`${NAME}: ${oneLine(text.replace(/^error: /, ''))}\n`),
  });
  for (const sub of command.commands) oneLineErrors(sub);
}

const fail = (message: string, exitCode: number): never => {
  process.stderr.write(`${NAME}: ${oneLine(message)}\n`);
  process.exit(exitCode);
};

try {
  await program().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CliError) fail(error.message, error.exitCode);
  // SeedError by name: importing its module here would load the server for every command.
  if (error instanceof ConfigError || (error instanceof Error && error.name === 'SeedError')) {
    fail((error as Error).message, 2);
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    fail(`cannot listen: ${(error as Error).message}`, 2);
  }
  fail(error instanceof Error ? error.message : String(error), 1);
}
