import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import type { CliIo } from '../cli/context.js';
import { collect, integer, yesNo } from '../cli/parsers.js';
import {
  CA_SUBJECT_PRESETS,
  type Config,
  DEFAULT_CONFIG,
  DEFAULT_LIMITS,
  DEFAULT_RETENTION,
  LOG_LEVELS,
  parseDuration,
  resolveConfig,
} from '../config.js';
import { MTLS_SERVES } from '../http/doors.js';
import { RESPONSE_BODY_POLICIES } from '../http/response-body.js';
import type { ServeSettings } from './serve.js';

const env = (name: string) => `C8Y_MOCK_${name}`;

/** What commander hands the action: one field per option of the table below. */
export interface ServeOptions {
  port: number;
  apiPort: number;
  mtlsServes: Config['mtlsServes'];
  mqttPort: number;
  mqttSubscribeBeforeDevice: Config['mqttSubscribeBeforeDevice'];
  host: string;
  certsDir: string;
  seed?: string;
  hostname?: string[];
  logLevel: Config['logLevel'];
  logFormat?: Config['logFormat'];
  dataDir: string;
  ephemeral?: boolean;
  sync: Config['sync'];
  lifespanBelowMinimum: Config['lifespanBelowMinimum'];
  trustedProxy?: string[];
  acceptHandshakeChain?: boolean;
  adminSecret?: string;
  decisionLogSize: number;
  responseBody: Config['responseBody'];
  maxMeasurements: number;
  maxEvents: number;
  maxAlarms: number;
  autoRegistrationInventory?: boolean;
  issuedCertificateValidity: string;
  enrollmentOtpValidity: string;
  caSubject: string;
  caValidity: string;
  caAutoRegistration: boolean;
  maxHeaderSize: number;
  bodyLimit: number;
  requestTimeout: number;
  headersTimeout: number;
  keepAliveTimeout: number;
  maxConnections: number;
}

/**
 * The `serve` command: the option table (each option also a C8Y_MOCK_* variable) and the start.
 * What the server tells the user goes to `io.stderr`; its log to stdout.
 */
export function serveCommand(io: Pick<CliIo, 'stderr'>): Command {
  const d = DEFAULT_CONFIG;
  const l = DEFAULT_LIMITS;
  return new Command('serve')
    .description(
      'run the mock platform: HTTPS with client certificates on --port, HTTPS without on --api-port, MQTT over TLS on --mqtt-port',
    )
    .addOption(
      new Option(
        '--port <port>',
        "port of the mTLS door (the platform's 8443): client certificates, the token endpoint",
      )
        .env(env('PORT'))
        .default(d.port)
        .argParser(integer),
    )
    .addOption(
      new Option(
        '--api-port <port>',
        "port of the API door (the platform's 443): server-side TLS only, every REST API and the dashboard (0: no API door)",
      )
        .env(env('API_PORT'))
        .default(d.apiPort)
        .argParser(integer),
    )
    .addOption(
      new Option(
        '--mtls-serves <what>',
        "what the mTLS door serves: 'all' (every API, as one port) or 'token' (the token endpoint alone, the platform's layout)",
      )
        .env(env('MTLS_SERVES'))
        .choices(MTLS_SERVES)
        .default(d.mtlsServes),
    )
    .addOption(
      new Option('--mqtt-port <port>', 'port of MQTT over TLS for devices (0: no MQTT listener)')
        .env(env('MQTT_PORT'))
        .default(d.mqttPort)
        .argParser(integer),
    )
    .addOption(
      new Option(
        '--mqtt-subscribe-before-device <policy>',
        "SUBACK for s/ds, s/dat and devicecontrol/notifications before the device's managed object exists (100): refuse them (0x80) to password devices, to all, or grant them",
      )
        .env(env('MQTT_SUBSCRIBE_BEFORE_DEVICE'))
        .choices(['refuse-password', 'refuse-all', 'grant'])
        .default(d.mqttSubscribeBeforeDevice),
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
      new Option('--ephemeral [boolean]', 'keep all state in memory; nothing survives a restart')
        .env(env('EPHEMERAL'))
        .preset(true)
        .argParser(yesNo),
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
        '--accept-handshake-chain [boolean]',
        'the token endpoint takes the issuers a TLS handshake carried; the platform takes only the device certificate from the handshake (issuers in X-Ssl-Cert-Chain or trusted directly)',
      )
        .env(env('ACCEPT_HANDSHAKE_CHAIN'))
        .preset(true)
        .argParser(yesNo),
    )
    .addOption(
      new Option(
        '--admin-secret <secret>',
        'secret of the /_mock control API (Authorization: Bearer <secret>), at least 8 characters; generated and printed when not given',
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
        "POST/PUT answers of every API (the token endpoint included; not EST or /_mock): 'accept' sends the object only when the request has an Accept header (the OpenAPI rule), 'always' sends it anyway",
      )
        .env(env('RESPONSE_BODY'))
        .choices(RESPONSE_BODY_POLICIES)
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
        '--auto-registration-inventory [boolean]',
        'a device registered by its first token request also gets its managed object (c8y_IsDevice, owner device_<CN>) and c8y_Serial external ID, as bulk registration gives it',
      )
        .env(env('AUTO_REGISTRATION_INVENTORY'))
        .preset(true)
        .argParser(yesNo),
    )
    .addOption(
      new Option(
        '--issued-certificate-validity <duration>',
        'validity of a certificate the tenant CA issues at EST enrollment (the platform: a year): 90 (seconds), 10m, 12h, 365d, or ISO 8601 (PT10M, P365D)',
      )
        .env(env('ISSUED_CERTIFICATE_VALIDITY'))
        .default('365d'),
    )
    .addOption(
      new Option(
        '--enrollment-otp-validity <duration>',
        'how long a device registered for enrollment can use its one-time password (ENROLLMENT_OTP, enrollmentToken): 90 (seconds), 10m, 24h, or ISO 8601 (PT24H)',
      )
        .env(env('ENROLLMENT_OTP_VALIDITY'))
        .default('24h'),
    )
    .addOption(
      new Option(
        '--ca-subject <name>',
        `subject of a tenant CA: ${Object.entries(CA_SUBJECT_PRESETS)
          .map(([name, template]) => `'${name}' (${template})`)
          .join(', ')}, or your own attributes in DER order with {tenantId} and {domain}`,
      )
        .env(env('CA_SUBJECT'))
        .default('domain'),
    )
    .addOption(
      new Option(
        '--ca-validity <duration>',
        'validity of a new or renewed tenant CA (the platform: 1095 days): 1095d, or ISO 8601 (P1095D)',
      )
        .env(env('CA_VALIDITY'))
        .default('1095d'),
    )
    .addOption(
      new Option(
        '--ca-auto-registration [boolean]',
        "whether a new tenant CA's trusted certificate has auto-registration on (the OpenAPI says on, a docs page shows off)",
      )
        .env(env('CA_AUTO_REGISTRATION'))
        .preset(true)
        .argParser(yesNo)
        .default(true),
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
    .action(async (options: ServeOptions) => {
      const settings = serveSettings(options, process.stdout.isTTY === true);
      // Loaded here, not at the top: the other commands start in a fraction of the time without the server.
      const { serve } = await import('./serve.js');
      await serve(settings, io);
    });
}

/** The validated configuration of parsed options; a terminal gets pretty logs unless told otherwise. */
export function serveSettings(options: ServeOptions, terminal: boolean): ServeSettings {
  const config = resolveConfig({
    port: options.port,
    apiPort: options.apiPort,
    mtlsServes: options.mtlsServes,
    mqttPort: options.mqttPort,
    mqttSubscribeBeforeDevice: options.mqttSubscribeBeforeDevice,
    host: options.host,
    certsDir: options.certsDir,
    seed: options.seed,
    hostnames: options.hostname ?? [],
    logLevel: options.logLevel,
    logFormat: options.logFormat ?? (terminal ? 'pretty' : 'json'),
    dataDir: options.dataDir,
    ephemeral: options.ephemeral === true,
    sync: options.sync,
    lifespanBelowMinimum: options.lifespanBelowMinimum,
    trustedProxies: new Set((options.trustedProxy ?? []).map((f) => f.toLowerCase().replaceAll(':', ''))),
    acceptHandshakeChain: options.acceptHandshakeChain === true,
    adminSecret: options.adminSecret ?? randomBytes(18).toString('base64url'),
    decisionLogSize: options.decisionLogSize,
    responseBody: options.responseBody,
    retention: {
      maxMeasurements: options.maxMeasurements,
      maxEvents: options.maxEvents,
      maxAlarms: options.maxAlarms,
    },
    autoRegistrationInventory: options.autoRegistrationInventory === true,
    enrollment: {
      issuedCertificateValidityMs: parseDuration(
        'issued-certificate-validity',
        options.issuedCertificateValidity,
      ),
      otpValidityMs: parseDuration('enrollment-otp-validity', options.enrollmentOtpValidity),
      caSubject: options.caSubject,
      caValidityMs: parseDuration('ca-validity', options.caValidity),
      caAutoRegistration: options.caAutoRegistration !== false,
    },
    limits: {
      maxHeaderSize: options.maxHeaderSize,
      bodyLimit: options.bodyLimit,
      requestTimeoutMs: options.requestTimeout,
      headersTimeoutMs: options.headersTimeout,
      keepAliveTimeoutMs: options.keepAliveTimeout,
      maxConnections: options.maxConnections,
    },
  });
  return { config, adminSecretGenerated: options.adminSecret === undefined };
}
