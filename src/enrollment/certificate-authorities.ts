import { createPrivateKey, type KeyObject, type webcrypto } from 'node:crypto';
import type { Clock } from '../clock.js';
import { isoDate } from '../clock.js';
import { NotFound } from '../errors.js';
import { Certificate } from '../pki/certificate.js';
import {
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKeyPem,
  type JsonName,
} from '../pki/certificate-factory.js';
import { x509 } from '../pki/x509.js';
import type { Store } from '../store/store.js';
import type { TenantRecord } from '../tenants/tenants.js';
import {
  duplicateAuthority,
  type TrustedCertificate,
  type TrustedCertificates,
} from '../tenants/trusted-certificates.js';
import { serialHex } from './issued-certificates.js';

export interface AuthoritySettings {
  /** `ATTR=value` pairs in DER order; `{tenantId}` and `{domain}` are filled in. */
  subject: string;
  validityMs: number;
  autoRegistration: boolean;
}

/** A renewal is refused while the CA has more than this left [DOC OAS26]. */
export const RENEWABLE_MONTHS = 18;

const RESOURCE = 'Certificate Authority (CA)';

/** The CA's private key and certificate, ready to sign. */
export interface AuthoritySigner {
  authority: TrustedCertificate;
  key: KeyObject;
}

/** The subject of a tenant's CA from the template. */
export function authoritySubject(template: string, tenant: TenantRecord): JsonName {
  return template.split(',').map((part) => {
    const equals = part.indexOf('=');
    const value = part
      .slice(equals + 1)
      .trim()
      .replaceAll('{tenantId}', tenant.id)
      .replaceAll('{domain}', tenant.domain);
    return { [part.slice(0, equals).trim()]: [value] };
  });
}

/**
 * Each tenant's own certificate authority: an EC P-256 key pair made by the
 * mock, whose self-signed certificate is one of the tenant's trusted
 * certificates (flagged `tenantCertificateAuthority`), so its devices log in
 * like any other. The key stays in the store; it is imported once per process.
 */
export class CertificateAuthorities {
  readonly #clock: Clock;
  readonly #store: Store;
  readonly #trust: TrustedCertificates;
  readonly #settings: AuthoritySettings;
  /** Imported keys by the CA certificate's fingerprint. */
  readonly #keys = new Map<string, KeyObject>();

  constructor(deps: { store: Store; clock: Clock; trust: TrustedCertificates; settings: AuthoritySettings }) {
    ({ store: this.#store, clock: this.#clock, trust: this.#trust, settings: this.#settings } = deps);
  }

  current(tenantId: string): TrustedCertificate | undefined {
    return this.#trust.authority(tenantId);
  }

  /** POST /certificate-authority: a new key pair and a self-signed certificate; 409 when one exists. */
  async create(tenant: TenantRecord): Promise<TrustedCertificate> {
    // Refused before a key is made; addAuthority checks again inside its transaction.
    const existing = this.current(tenant.id);
    if (existing) throw duplicateAuthority(tenant.id, existing.record.fingerprint);
    const now = this.#clock.now();
    const keys = await generateKeyPair();
    const certificate = await this.#selfSign(authoritySubject(this.#settings.subject, tenant), keys, now);
    const privateKeyPem = await exportPrivateKeyPem(keys.privateKey);
    return this.#trust.addAuthority(
      tenant.id,
      certificate,
      { privateKeyPem, createdAt: now },
      { autoRegistrationEnabled: this.#settings.autoRegistration },
    );
  }

  /**
   * POST /certificate-authority/renew: the same subject and key, new dates.
   * Refused (404) without a CA, and while more than 18 months are left.
   */
  async renew(tenant: TenantRecord): Promise<TrustedCertificate> {
    const current = this.current(tenant.id);
    if (!current) throw this.#notFound(tenant.id);
    const now = this.#clock.now();
    const renewableFrom = addMonths(current.certificate.notAfter, -RENEWABLE_MONTHS);
    if (now < renewableFrom) {
      throw new NotFound(
        RESOURCE,
        `Tenant Certificate Authority (CA) of tenant ${tenant.id} is not eligible for renewal: it is valid until ${isoDate(current.certificate.notAfter)}, more than ${RENEWABLE_MONTHS} months from now; renew it from ${isoDate(renewableFrom)}.`,
        { reason: `CA ${current.record.fingerprint} of tenant ${tenant.id} has more than 18 months left` },
      );
    }
    const key = this.#store.getCertificateAuthorityKey(current.record.fingerprint);
    if (!key) throw this.#notFound(tenant.id);
    const keys = await importPrivateKeyPem(key.privateKeyPem);
    // The subject exactly as encoded before, so the certificates it issued still name their issuer.
    const subject = new x509.X509Certificate(new Uint8Array(current.certificate.der)).subjectName;
    const renewed = await this.#selfSign(subject, keys, now);
    return this.#trust.renewAuthority(tenant.id, renewed, {
      privateKeyPem: key.privateKeyPem,
      createdAt: now,
    });
  }

  /** The tenant's CA and its key, or undefined without one. */
  async signer(tenantId: string): Promise<AuthoritySigner | undefined> {
    const authority = this.current(tenantId);
    if (!authority) return undefined;
    const { fingerprint } = authority.record;
    let key = this.#keys.get(fingerprint);
    if (!key) {
      const record = this.#store.getCertificateAuthorityKey(fingerprint);
      if (!record) return undefined;
      key = createPrivateKey(record.privateKeyPem);
      this.#keys.set(fingerprint, key);
    }
    return { authority, key };
  }

  /** Forget imported keys: the store was reset or replaced. */
  forget(): void {
    this.#keys.clear();
  }

  async #selfSign(
    subject: JsonName | x509.Name,
    keys: webcrypto.CryptoKeyPair,
    now: number,
  ): Promise<Certificate> {
    const notBefore = new Date(Math.floor(now / 1000) * 1000);
    const generated = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialHex(now),
      name: subject,
      notBefore,
      notAfter: new Date(notBefore.getTime() + this.#settings.validityMs),
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return Certificate.fromDer(Buffer.from(generated.rawData));
  }

  #notFound(tenantId: string): NotFound {
    return new NotFound(
      RESOURCE,
      `Tenant Certificate Authority (CA) object not found for tenant ${tenantId}`,
    );
  }
}

/** Calendar months later (or earlier); a day the month lacks becomes its last (31 May - 18 months: 30 November). */
function addMonths(ms: number, months: number): number {
  const date = new Date(ms);
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + months);
  const last = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, last));
  return date.getTime();
}
