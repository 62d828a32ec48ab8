import { MTLS_SERVES, type MtlsServes } from './http/doors.js';
import type { ResponseBodyPolicy } from './http/response-body.js';
import { type Iso8601Error, parseDuration as parseIsoDuration } from './iso8601.js';
import { EARLY_SUBSCRIBE_POLICIES, type EarlySubscribePolicy } from './mqtt/subscribe-rules.js';
import type { BelowMinimumPolicy } from './tenants/tenant-options.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface Limits {
  /** Largest request head Node's parser accepts; a chain of ten RSA-4096 certificates fits. */
  maxHeaderSize: number;
  bodyLimit: number;
  /** Time for a whole request to arrive. */
  requestTimeoutMs: number;
  /** Time for the request head to arrive (slow-header clients). */
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Open connections beyond this are closed at once. */
  maxConnections: number;
}

export interface Config {
  /** The mTLS door (the platform's 8443): client certificates, the token endpoint. */
  port: number;
  /** The API door (the platform's 443): server-side TLS only; 0 turns it off. */
  apiPort: number;
  /** What the mTLS door serves: every API (default) or the token endpoint alone. */
  mtlsServes: MtlsServes;
  /** MQTT over TLS for devices (Cumulocity's 8883); 0 turns the listener off. */
  mqttPort: number;
  /** SUBACK for `s/ds`, `s/dat` and notifications before the device's managed object exists. */
  mqttSubscribeBeforeDevice: EarlySubscribePolicy;
  host: string;
  certsDir: string;
  /** Seed file; undefined means the generated demo tenant. */
  seed: string | undefined;
  /** Extra names for the server certificate. */
  hostnames: readonly string[];
  logLevel: LogLevel;
  logFormat: 'pretty' | 'json';
  dataDir: string;
  ephemeral: boolean;
  sync: 'normal' | 'full';
  /** Secret of the /_mock control API; undefined means generate one at start. */
  adminSecret: string | undefined;
  lifespanBelowMinimum: BelowMinimumPolicy;
  /** SHA-1 fingerprints of client certificates of TLS-terminating proxies whose X-Ssl-Cert-Chain names the device. */
  trustedProxies: ReadonlySet<string>;
  /** The token endpoint takes the issuers a TLS handshake carried, not only the leaf (the platform: the leaf only). */
  acceptHandshakeChain: boolean;
  decisionLogSize: number;
  limits: Limits;
  /** POST/PUT answers of every platform API: a body only when the client sent Accept, or always. */
  responseBody: ResponseBodyPolicy;
  /** How many measurements, events and alarms are kept; the oldest go first. */
  retention: RetentionLimits;
  /** A device auto-registered on its first token also gets its managed object and c8y_Serial. */
  autoRegistrationInventory: boolean;
  /** The tenant's certificate authority and EST enrollment. */
  enrollment: EnrollmentSettings;
}

/** The tenant CA and EST: what the platform fixes, made options so tests can shorten it. */
export interface EnrollmentSettings {
  /** Validity of a certificate issued at simpleenroll/simplereenroll; the platform's is one year. */
  issuedCertificateValidityMs: number;
  /** How long a registration's one-time password can be used. */
  otpValidityMs: number;
  /** The CA's subject: `ATTR=value` pairs in DER order, `{tenantId}` and `{domain}` filled in. */
  caSubject: string;
  /** Validity of a new or renewed CA certificate; the platform's is 1095 days. */
  caValidityMs: number;
  /** Whether a new CA's trusted certificate has auto-registration on. */
  caAutoRegistration: boolean;
}

const SECOND = 1000;
const DAY = 86_400 * SECOND;

/** The platform's CA subject in 2026 (a real tenant): `O=<domain>, CN=<tenant ID>`. */
export const CA_SUBJECT_PRESETS: Readonly<Record<string, string>> = {
  domain: 'O={domain},CN={tenantId}',
  // The 2025 platform and the docs: `C=United States, O=Cumulocity, CN=<tenant ID>`.
  classic: 'C=United States,O=Cumulocity,CN={tenantId}',
};

export const DEFAULT_ENROLLMENT: EnrollmentSettings = {
  issuedCertificateValidityMs: 365 * DAY,
  otpValidityMs: DAY,
  caSubject: 'domain',
  caValidityMs: 1095 * DAY,
  caAutoRegistration: true,
};

/** How many of each a store keeps; beyond it the oldest go first. */
export interface RetentionLimits {
  maxMeasurements: number;
  maxEvents: number;
  maxAlarms: number;
}

export const DEFAULT_RETENTION: RetentionLimits = {
  maxMeasurements: 1_000_000,
  maxEvents: 100_000,
  maxAlarms: 100_000,
};

export const DEFAULT_LIMITS: Limits = {
  maxHeaderSize: 64 * 1024,
  bodyLimit: 1024 * 1024,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 72_000,
  maxConnections: 10_000,
};

export const DEFAULT_CONFIG: Config = {
  port: 8443,
  apiPort: 9443,
  mtlsServes: 'all',
  mqttPort: 8883,
  mqttSubscribeBeforeDevice: 'refuse-password',
  host: '0.0.0.0',
  certsDir: 'certs',
  seed: undefined,
  hostnames: [],
  logLevel: 'info',
  logFormat: 'json',
  dataDir: 'data',
  ephemeral: false,
  sync: 'normal',
  adminSecret: undefined,
  lifespanBelowMinimum: 'reject',
  trustedProxies: new Set(),
  acceptHandshakeChain: false,
  decisionLogSize: 1000,
  limits: DEFAULT_LIMITS,
  responseBody: 'accept',
  retention: DEFAULT_RETENTION,
  autoRegistrationInventory: false,
  enrollment: DEFAULT_ENROLLMENT,
};

/** A configuration value that cannot be used; the message names the option. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`--${name} must be a whole number from ${min} to ${max}; got ${value}`);
  }
  return value;
}

const UNITS: Record<string, number> = { ms: 1, s: SECOND, m: 60 * SECOND, h: 3600 * SECOND, d: DAY };

/**
 * A duration as an option gives it: `90` (seconds), `500ms`, `30s`, `10m`, `12h`, `365d`, or in
 * ISO 8601 (`PT10M`, `P365D`) as the control API takes durations.
 */
export function parseDuration(name: string, value: string | number): number {
  const text = String(value).trim();
  if (/^-?P/.test(text)) {
    try {
      return parseIsoDuration(`--${name}`, text);
    } catch (error) {
      throw new ConfigError((error as Iso8601Error).message);
    }
  }
  const match = /^(\d{1,12})(ms|s|m|h|d)?$/.exec(text);
  if (!match) {
    throw new ConfigError(
      `--${name} must be a duration such as 90 (seconds), 10m, 12h or 365d, or in ISO 8601 such as PT10M or P365D; got ${JSON.stringify(String(value))}`,
    );
  }
  return Number(match[1]) * UNITS[match[2] ?? 's']!;
}

const SUBJECT_ATTRIBUTES = new Set(['C', 'ST', 'L', 'O', 'OU', 'CN', 'DC']);

/** A CA subject preset's template, or the template given; each part `ATTR=value`. */
export function caSubjectTemplate(value: string): string {
  const template = CA_SUBJECT_PRESETS[value] ?? value;
  const parts = template.split(',');
  for (const part of parts) {
    const [attribute, ...rest] = part.split('=');
    if (!SUBJECT_ATTRIBUTES.has(attribute?.trim() ?? '') || rest.join('=').trim() === '') {
      throw new ConfigError(
        `--ca-subject must be ${Object.keys(CA_SUBJECT_PRESETS).join(' or ')}, or attributes in DER order such as 'O={domain},CN={tenantId}' (${[...SUBJECT_ATTRIBUTES].join(', ')}); got ${JSON.stringify(value)}`,
      );
    }
  }
  return template;
}

function within(name: string, ms: number, min: number, max: number, unit: string): number {
  if (ms < min || ms > max) {
    throw new ConfigError(
      `--${name} must be from ${min / SECOND} s to ${max / DAY} ${unit}; got ${ms / SECOND} s`,
    );
  }
  return ms;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T))
    throw new ConfigError(`--${name} must be one of ${allowed.join(', ')}; got ${value}`);
  return value as T;
}

/** Validates a configuration once; the result is frozen. */
export function resolveConfig(
  input: Partial<Omit<Config, 'limits' | 'retention' | 'enrollment'>> & {
    limits?: Partial<Limits>;
    retention?: Partial<RetentionLimits>;
    enrollment?: Partial<EnrollmentSettings>;
  } = {},
): Config {
  const merged = {
    ...DEFAULT_CONFIG,
    ...input,
    limits: { ...DEFAULT_LIMITS, ...input.limits },
    retention: { ...DEFAULT_RETENTION, ...input.retention },
    enrollment: { ...DEFAULT_ENROLLMENT, ...input.enrollment },
  };
  const { limits, retention, enrollment } = merged;
  for (const name of merged.hostnames) {
    if (!/^[A-Za-z0-9.:*-]{1,253}$/.test(name))
      throw new ConfigError(`--hostname ${JSON.stringify(name)} is not a host name or IP address`);
  }
  for (const fingerprint of merged.trustedProxies) {
    if (!/^[0-9a-f]{40}$/.test(fingerprint)) {
      throw new ConfigError(
        `--trusted-proxy must be a lowercase hex SHA-1 certificate fingerprint; got ${fingerprint}`,
      );
    }
  }
  // Node silently swaps the two when the head may take longer than the whole request.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(
      `--headers-timeout (${limits.headersTimeoutMs}) must not exceed --request-timeout (${limits.requestTimeoutMs})`,
    );
  }
  // The CA signs only while a whole certificate's validity is left (the platform: a year of a year).
  if (enrollment.caValidityMs <= enrollment.issuedCertificateValidityMs) {
    throw new ConfigError(
      `--ca-validity (${enrollment.caValidityMs / SECOND} s) must be longer than --issued-certificate-validity (${enrollment.issuedCertificateValidityMs / SECOND} s): the CA signs only while it has more than one certificate's validity left`,
    );
  }
  if (merged.mtlsServes === 'token' && merged.apiPort === 0) {
    throw new ConfigError(
      '--mtls-serves token needs the API door (--api-port other than 0): nothing else would serve the APIs and the dashboard',
    );
  }
  if (merged.adminSecret !== undefined && merged.adminSecret.length < 8) {
    throw new ConfigError('--admin-secret must have at least 8 characters');
  }
  return Object.freeze({
    ...merged,
    port: integer('port', merged.port, 0, 65535),
    apiPort: integer('api-port', merged.apiPort, 0, 65535),
    mtlsServes: oneOf('mtls-serves', merged.mtlsServes, MTLS_SERVES),
    mqttPort: integer('mqtt-port', merged.mqttPort, 0, 65535),
    mqttSubscribeBeforeDevice: oneOf(
      'mqtt-subscribe-before-device',
      merged.mqttSubscribeBeforeDevice,
      EARLY_SUBSCRIBE_POLICIES,
    ),
    logLevel: oneOf('log-level', merged.logLevel, LOG_LEVELS),
    logFormat: oneOf('log-format', merged.logFormat, ['pretty', 'json'] as const),
    sync: oneOf('sync', merged.sync, ['normal', 'full'] as const),
    lifespanBelowMinimum: oneOf('lifespan-below-minimum', merged.lifespanBelowMinimum, [
      'reject',
      'clamp',
    ] as const),
    decisionLogSize: integer('decision-log-size', merged.decisionLogSize, 1, 1_000_000),
    responseBody: oneOf('response-body', merged.responseBody, ['accept', 'always'] as const),
    retention: Object.freeze({
      maxMeasurements: integer('max-measurements', retention.maxMeasurements, 1, 100_000_000),
      maxEvents: integer('max-events', retention.maxEvents, 1, 100_000_000),
      maxAlarms: integer('max-alarms', retention.maxAlarms, 1, 100_000_000),
    }),
    enrollment: Object.freeze({
      issuedCertificateValidityMs: within(
        'issued-certificate-validity',
        enrollment.issuedCertificateValidityMs,
        60 * SECOND,
        3650 * DAY,
        'days',
      ),
      otpValidityMs: within('enrollment-otp-validity', enrollment.otpValidityMs, SECOND, 3650 * DAY, 'days'),
      caSubject: caSubjectTemplate(enrollment.caSubject),
      caValidityMs: within('ca-validity', enrollment.caValidityMs, 60 * SECOND, 36500 * DAY, 'days'),
      caAutoRegistration: enrollment.caAutoRegistration,
    }),
    hostnames: Object.freeze([...merged.hostnames]),
    limits: Object.freeze({
      maxHeaderSize: integer('max-header-size', limits.maxHeaderSize, 8 * 1024, 16 * 1024 * 1024),
      bodyLimit: integer('body-limit', limits.bodyLimit, 1024, 100 * 1024 * 1024),
      requestTimeoutMs: integer('request-timeout', limits.requestTimeoutMs, 1, 3_600_000),
      headersTimeoutMs: integer('headers-timeout', limits.headersTimeoutMs, 1, 3_600_000),
      keepAliveTimeoutMs: integer('keep-alive-timeout', limits.keepAliveTimeoutMs, 1, 3_600_000),
      maxConnections: integer('max-connections', limits.maxConnections, 1, 1_000_000),
    }),
  });
}
