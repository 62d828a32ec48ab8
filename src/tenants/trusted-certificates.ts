import type { Clock } from '../clock.js';
import { C8yError, Conflict, NotFound, UnprocessableEntity } from '../errors.js';
import { Certificate, CertificateFormatError } from '../pki/certificate.js';
import { decodeBase64, decodeCertificateBlocks, PemError } from '../pki/pem.js';
import { type Anchor, TrustIndex } from '../pki/trust-index.js';
import type {
  CertificateAuthorityKeyRecord,
  CertificateStatus,
  Store,
  TrustedCertificateRecord,
} from '../store/store.js';

export type { CertificateStatus };
export const CERTIFICATE_STATUSES: readonly CertificateStatus[] = ['ENABLED', 'DISABLED'];

/**
 * What the chain check and every TLS listener follow: the anchors of all
 * tenants, and news of each change (a second listener subscribes as the first).
 */
export interface TrustRegistry {
  /** All tenants' anchors, or one tenant's. */
  index(tenantId?: string): TrustIndex;
  /** Called with the new index of all anchors after every change; returns the unsubscribe. */
  onChange(listener: (index: TrustIndex) => void): () => void;
}

export interface TrustedCertificateInput {
  name?: string | undefined;
  certInPemFormat: string;
  status?: CertificateStatus | undefined;
  autoRegistrationEnabled?: boolean | undefined;
}

export interface TrustedCertificatePatch {
  name?: string | undefined;
  status?: CertificateStatus | undefined;
  autoRegistrationEnabled?: boolean | undefined;
}

/** A stored trusted certificate with its parsed certificate. */
export interface TrustedCertificate {
  record: TrustedCertificateRecord;
  certificate: Certificate;
  /** The tenant's own certificate authority: the store holds its private key. */
  tenantCertificateAuthority: boolean;
}

/** The private key of a tenant's CA, stored beside its certificate (PKCS#8 PEM). */
export type AuthorityKey = Pick<CertificateAuthorityKeyRecord, 'privateKeyPem' | 'createdAt'>;

const INVALID = 'tenants/Invalid Data';

/**
 * The trusted certificates of every tenant: the rules for adding one, and the
 * index the chain check uses. Parsed certificates are kept across changes, so a
 * change rebuilds the index in milliseconds even with thousands of anchors.
 */
export class TrustedCertificates implements TrustRegistry {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #parsed = new Map<string, Certificate>();
  readonly #listeners = new Set<(index: TrustIndex) => void>();
  #index: TrustIndex | undefined;
  readonly #tenantIndexes = new Map<string, TrustIndex>();
  /** Fingerprints of the certificates whose CA key the store holds, read on first use after a change. */
  #authorities: Set<string> | undefined;
  #notifying = false;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** The index of all anchors, or of one tenant's, built on first use after a change. */
  index(tenantId?: string): TrustIndex {
    if (tenantId !== undefined) return this.#tenantIndex(tenantId);
    if (!this.#index) {
      const anchors: Anchor[] = this.#store.listTrustedCertificates().map((record) => ({
        certificate: this.#certificate(record),
        tenantId: record.tenantId,
        name: record.name,
        enabled: record.status === 'ENABLED',
        autoRegistrationEnabled: record.autoRegistrationEnabled,
        proofOfPossessionValid: record.proofOfPossessionValid,
      }));
      this.#index = new TrustIndex(anchors);
    }
    return this.#index;
  }

  onChange(listener: (index: TrustIndex) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Forget everything cached: the store was reset or replaced. */
  reload(): void {
    this.#parsed.clear();
    this.#changed();
  }

  list(tenantId: string): TrustedCertificate[] {
    return this.#store
      .listTrustedCertificates(tenantId)
      .map((record) => this.#entry(record, this.#certificate(record)));
  }

  /** The tenant's certificate authority, if it has one. */
  authority(tenantId: string): TrustedCertificate | undefined {
    const [key] = this.#store.listCertificateAuthorityKeys(tenantId);
    const record = key && this.#store.getTrustedCertificate(key.fingerprint);
    return record && this.#entry(record, this.#certificate(record));
  }

  get(tenantId: string, fingerprint: string): TrustedCertificate {
    const record = this.#store.getTrustedCertificate(fingerprint.toLowerCase());
    if (!record || record.tenantId !== tenantId) {
      // The platform's wording (OpenAPI `trustedCertificateNotFound`); another tenant's certificate is not found either.
      throw new NotFound('certificate', `Cannot find certificate with fingerprint ${fingerprint}.`, {
        reason: record
          ? `fingerprint ${fingerprint} belongs to tenant ${record.tenantId}, not ${tenantId}`
          : `no trusted certificate with fingerprint ${fingerprint}`,
      });
    }
    return this.#entry(record, this.#certificate(record));
  }

  /** Adds a CA certificate after the platform's checks: parsable, v3, CA:true, valid now, not held by any tenant. */
  add(tenantId: string, input: TrustedCertificateInput): TrustedCertificate {
    return this.#add(tenantId, parseUpload(input.certInPemFormat), input);
  }

  /**
   * Adds the tenant's own CA: its certificate as any uploaded one, and its key
   * beside it, in one transaction. A tenant has at most one (409).
   */
  addAuthority(
    tenantId: string,
    certificate: Certificate,
    key: AuthorityKey,
    input: Omit<TrustedCertificateInput, 'certInPemFormat'>,
  ): TrustedCertificate {
    const added = this.#store.transaction(() => {
      const existing = this.authority(tenantId);
      if (existing) throw duplicateAuthority(tenantId, existing.record.fingerprint);
      const entry = this.#add(tenantId, certificate, input);
      this.#store.insertCertificateAuthorityKey({ fingerprint: certificate.fingerprint, tenantId, ...key });
      return entry;
    });
    this.#changed();
    return { ...added, tenantCertificateAuthority: true };
  }

  /**
   * Replaces the tenant's CA certificate with a renewed one (same name and
   * key, new dates): the record keeps its name, status and auto-registration,
   * the key moves to the new certificate, and devices last seen under the old
   * one are pointed at the new one, so their tokens stay valid.
   */
  renewAuthority(tenantId: string, renewed: Certificate, key: AuthorityKey): TrustedCertificate {
    const entry = this.#store.transaction(() => {
      const current = this.authority(tenantId);
      if (!current) throw new Error(`tenant ${tenantId} has no CA to renew`);
      const { record } = current;
      const added = this.#add(tenantId, renewed, {
        name: record.name,
        status: record.status,
        autoRegistrationEnabled: record.autoRegistrationEnabled,
      });
      this.#store.deleteTrustedCertificate(record.fingerprint);
      this.#parsed.delete(record.fingerprint);
      this.#store.insertCertificateAuthorityKey({ fingerprint: renewed.fingerprint, tenantId, ...key });
      this.#store.repointDeviceAnchors(tenantId, record.fingerprint, renewed.fingerprint);
      return added;
    });
    this.#changed();
    return { ...entry, tenantCertificateAuthority: true };
  }

  #add(
    tenantId: string,
    certificate: Certificate,
    input: Omit<TrustedCertificateInput, 'certInPemFormat'>,
  ): TrustedCertificate {
    const now = this.#clock.now();
    if (certificate.version !== 3) {
      throw new UnprocessableEntity(
        INVALID,
        `Certificate is X.509 version ${certificate.version}; only version 3 certificates are accepted.`,
      );
    }
    if (!certificate.isCa) {
      throw new UnprocessableEntity(
        INVALID,
        'Certificate is not a CA certificate: basicConstraints CA:true is required.',
      );
    }
    if (now > certificate.notAfter) {
      throw new UnprocessableEntity(
        INVALID,
        `Certificate expired on ${new Date(certificate.notAfter).toISOString()}.`,
      );
    }
    if (now < certificate.notBefore) {
      throw new UnprocessableEntity(
        INVALID,
        `Certificate is not valid before ${new Date(certificate.notBefore).toISOString()}.`,
      );
    }
    const existing = this.#store.getTrustedCertificate(certificate.fingerprint);
    if (existing) {
      throw new Conflict(
        'tenants',
        `Duplicate - A certificate with the same fingerprint already exists${existing.tenantId === tenantId ? '' : ' in another tenant'}.`,
        { reason: `fingerprint ${certificate.fingerprint} is held by tenant ${existing.tenantId}` },
      );
    }
    const record: TrustedCertificateRecord = {
      fingerprint: certificate.fingerprint,
      tenantId,
      name: input.name ?? certificate.commonNames[0] ?? certificate.subject,
      status: input.status ?? 'ENABLED',
      autoRegistrationEnabled: input.autoRegistrationEnabled ?? false,
      certDer: certificate.der,
      proofOfPossessionValid: false,
      proofOfPossessionCode: null,
      proofOfPossessionCodeUsableUntil: null,
      createdAt: now,
    };
    this.#store.insertTrustedCertificate(record);
    this.#parsed.set(record.fingerprint, certificate);
    this.#changed();
    return { record, certificate, tenantCertificateAuthority: false };
  }

  /**
   * Adds several certificates all or nothing (bulk upload): the first refused
   * one refuses the request, named by its position.
   */
  addAll(tenantId: string, inputs: TrustedCertificateInput[]): TrustedCertificate[] {
    try {
      return this.#store.transaction(() =>
        inputs.map((input, i) => {
          try {
            return this.add(tenantId, input);
          } catch (error) {
            if (error instanceof C8yError) {
              throw new C8yError(error.status, error.error, `certificates[${i}]: ${error.message}`, {
                reason: error.reason,
                cause: error,
              });
            }
            throw error;
          }
        }),
      );
    } catch (error) {
      // The parsed-certificate cache and the index saw inserts that were rolled back.
      this.reload();
      throw error;
    }
  }

  update(tenantId: string, fingerprint: string, patch: TrustedCertificatePatch): TrustedCertificate {
    const current = this.get(tenantId, fingerprint);
    const record: TrustedCertificateRecord = {
      ...current.record,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.autoRegistrationEnabled !== undefined
        ? { autoRegistrationEnabled: patch.autoRegistrationEnabled }
        : {}),
    };
    return this.save(record, current.certificate);
  }

  /** Writes a changed record (status, name, proof of possession) and refreshes the index. */
  save(record: TrustedCertificateRecord, certificate: Certificate): TrustedCertificate {
    this.#store.updateTrustedCertificate(record);
    this.#changed();
    return this.#entry(record, certificate);
  }

  remove(tenantId: string, fingerprint: string): void {
    const { record } = this.get(tenantId, fingerprint);
    this.#store.deleteTrustedCertificate(record.fingerprint);
    this.#parsed.delete(record.fingerprint);
    this.#changed();
  }

  #entry(record: TrustedCertificateRecord, certificate: Certificate): TrustedCertificate {
    this.#authorities ??= new Set(this.#store.listCertificateAuthorityKeys().map((k) => k.fingerprint));
    return { record, certificate, tenantCertificateAuthority: this.#authorities.has(record.fingerprint) };
  }

  #tenantIndex(tenantId: string): TrustIndex {
    let index = this.#tenantIndexes.get(tenantId);
    if (!index) {
      index = new TrustIndex([...this.index().anchors()].filter((anchor) => anchor.tenantId === tenantId));
      this.#tenantIndexes.set(tenantId, index);
    }
    return index;
  }

  #certificate(record: TrustedCertificateRecord): Certificate {
    let certificate = this.#parsed.get(record.fingerprint);
    if (!certificate) {
      certificate = Certificate.fromDer(record.certDer);
      this.#parsed.set(record.fingerprint, certificate);
    }
    return certificate;
  }

  /** Invalidates the index; listeners hear once per burst of changes (a seed adds many). */
  #changed(): void {
    this.#index = undefined;
    this.#tenantIndexes.clear();
    this.#authorities = undefined;
    if (this.#notifying || this.#listeners.size === 0) return;
    this.#notifying = true;
    queueMicrotask(() => {
      this.#notifying = false;
      const index = this.index();
      for (const listener of this.#listeners) listener(index);
    });
  }
}

/** The 409 of POST /certificate-authority, in the OpenAPI's words. */
export const duplicateAuthority = (tenantId: string, fingerprint: string) =>
  new Conflict('Certificate Authority (CA)', 'Duplicate - Tenant CA is already exists.', {
    reason: `tenant ${tenantId} has a CA already (fingerprint ${fingerprint})`,
  });

/**
 * The platform accepts the certificate as full PEM, PEM with its newlines
 * removed, or bare base64 DER; exactly one certificate.
 */
export function parseUpload(text: string): Certificate {
  try {
    const ders = text.includes('-----BEGIN') ? decodeCertificateBlocks(text) : [decodeBase64(text)];
    if (ders.length !== 1) throw new PemError(`expected one certificate, found ${ders.length}`);
    return Certificate.fromDer(ders[0]!).withReadableKey();
  } catch (error) {
    if (error instanceof PemError || error instanceof CertificateFormatError) {
      throw new UnprocessableEntity(INVALID, `Cannot parse certificate: ${error.message}.`);
    }
    throw error;
  }
}
