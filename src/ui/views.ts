import type { Clock } from '../clock.js';
import type { DecisionLog } from '../decisions/decision-log.js';
import type { DeviceRecord, Devices } from '../tenants/devices.js';
import {
  DEFAULT_LIFESPAN_SECONDS,
  LIFESPAN,
  MIN_LIFESPAN_SECONDS,
  type TenantOptions,
} from '../tenants/tenant-options.js';
import type { TenantRecord } from '../tenants/tenants.js';
import type { TrustedCertificate, TrustedCertificates } from '../tenants/trusted-certificates.js';
import { halfLifeAt, type TokenState } from '../tokens/token-state.js';
import type { Tokens } from '../tokens/tokens.js';

/** A trusted certificate this close to its end gets a warning. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;
/** Tokens shown per tenant on the timeline. */
export const TOKENS_PER_TENANT = 200;

export type Validity = 'valid' | 'expiring' | 'expired' | 'not-yet-valid';

export interface TrustedCertificateView {
  fingerprint: string;
  name: string;
  subject: string;
  issuer: string;
  serialHex: string;
  status: string;
  autoRegistrationEnabled: boolean;
  proofOfPossessionValid: boolean;
  notBefore: number;
  notAfter: number;
  validity: Validity;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
}

export interface TenantView {
  id: string;
  domain: string;
  trustedCertificates: TrustedCertificateView[];
  lifespan: { value: string | null; seconds: number; minimum: number; default: number };
}

export interface LastRequest {
  time: number;
  outcome: string;
  status: number;
  rule?: string | undefined;
  reason?: string | undefined;
  /** `decision`: from the live decision log; `token`: only the newest stored token is known (the log is in memory). */
  source: 'decision' | 'token';
  /** Where the request came in: the token endpoint, MQTT, or EST enrollment. */
  door?: string | undefined;
}

export interface DeviceView {
  tenantId: string;
  externalId: string;
  userName: string;
  registration: string;
  registeredAt: number;
  certificate: { subject: string; fingerprint: string } | null;
  anchor: { name: string; fingerprint: string; enabled: boolean } | null;
  lastRequest: LastRequest | null;
}

export type { TokenState };

export interface TokenView {
  hash: string;
  tenantId: string;
  userName: string;
  externalId: string;
  /** Seconds since the epoch, like the token's claims. */
  issuedAt: number;
  /** From here on, asking again gives a new token. */
  halfLifeAt: number;
  expiresAt: number;
  revokedAt: number | null;
  state: TokenState;
}

export function validityOf(notBefore: number, notAfter: number, now: number): Validity {
  if (now < notBefore) return 'not-yet-valid';
  if (now > notAfter) return 'expired';
  return notAfter - now < EXPIRY_WARNING_DAYS * DAY_MS ? 'expiring' : 'valid';
}

function trustedCertificateView({ record, certificate }: TrustedCertificate, now: number) {
  return {
    fingerprint: record.fingerprint,
    name: record.name,
    subject: certificate.subject,
    issuer: certificate.issuer,
    serialHex: certificate.serialHex,
    status: record.status,
    autoRegistrationEnabled: record.autoRegistrationEnabled,
    proofOfPossessionValid: record.proofOfPossessionValid,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    validity: validityOf(certificate.notBefore, certificate.notAfter, now),
    daysLeft: Math.floor((certificate.notAfter - now) / DAY_MS),
  } satisfies TrustedCertificateView;
}

export interface TenantViewServices {
  clock: Clock;
  options: TenantOptions;
  trust: TrustedCertificates;
}

export function tenantView({ clock, options, trust }: TenantViewServices, tenant: TenantRecord): TenantView {
  const now = clock.now();
  const value = options.find(tenant.id, LIFESPAN.category, LIFESPAN.key) ?? null;
  return {
    id: tenant.id,
    domain: tenant.domain,
    trustedCertificates: trust.list(tenant.id).map((trusted) => trustedCertificateView(trusted, now)),
    lifespan: {
      value,
      seconds: options.lifespanSeconds(tenant.id),
      minimum: MIN_LIFESPAN_SECONDS,
      default: DEFAULT_LIFESPAN_SECONDS,
    },
  };
}

export interface DeviceViewServices {
  trust: TrustedCertificates;
  devices: Devices;
  decisions: DecisionLog;
  tokens: Tokens;
}

function lastRequest({ decisions, tokens }: DeviceViewServices, device: DeviceRecord): LastRequest | null {
  const [decision] = decisions.list({
    tenantId: device.tenantId,
    externalId: device.externalId,
    limit: 1,
  });
  if (decision) {
    return {
      time: decision.time,
      outcome: decision.outcome,
      status: decision.status,
      rule: decision.rule,
      reason: decision.reason,
      source: 'decision',
      door: decision.door,
    };
  }
  const token = tokens.latest(device.tenantId, device.userName);
  return token
    ? { time: token.issuedAtSeconds * 1000, outcome: 'issued', status: 200, source: 'token' }
    : null;
}

export function deviceViews(services: DeviceViewServices, tenant: TenantRecord): DeviceView[] {
  const index = services.trust.index();
  return services.devices.list(tenant.id).map((device) => {
    const anchor = device.anchorFingerprint ? index.byFingerprint(device.anchorFingerprint) : undefined;
    return {
      tenantId: device.tenantId,
      externalId: device.externalId,
      userName: device.userName,
      registration: device.registration,
      registeredAt: device.registeredAt,
      certificate:
        device.certificateFingerprint && device.certificateSubject
          ? { subject: device.certificateSubject, fingerprint: device.certificateFingerprint }
          : null,
      anchor: anchor
        ? { name: anchor.name, fingerprint: anchor.certificate.fingerprint, enabled: anchor.enabled }
        : null,
      lastRequest: lastRequest(services, device),
    };
  });
}

export function tokenViews(tokens: Tokens, tenant: TenantRecord): TokenView[] {
  return tokens.recent(tenant.id, TOKENS_PER_TENANT).map(({ record, externalId, revokedAt, state }) => ({
    hash: record.hash,
    tenantId: record.tenantId,
    userName: record.userName,
    externalId,
    issuedAt: record.issuedAtSeconds,
    halfLifeAt: halfLifeAt(record),
    expiresAt: record.expiresAtSeconds,
    revokedAt,
    state,
  }));
}
