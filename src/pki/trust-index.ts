import type { Certificate } from './certificate.js';

/** A trusted certificate as the chain check sees it. */
export interface Anchor {
  certificate: Certificate;
  tenantId: string;
  name: string;
  enabled: boolean;
  autoRegistrationEnabled: boolean;
  proofOfPossessionValid: boolean;
}

/**
 * The trusted certificates of all tenants, indexed by subject name (as RFC
 * 5280 compares names), by SHA-256 and by the platform's SHA-1 fingerprint, so
 * finding a certificate's issuer costs one map lookup however many tenants and
 * certificates there are. Immutable: a change builds a new index.
 */
export class TrustIndex {
  readonly #bySubject = new Map<string, Anchor[]>();
  readonly #byFingerprint = new Map<string, Anchor>();
  readonly #bySha256 = new Map<string, Anchor>();

  constructor(anchors: Iterable<Anchor>) {
    for (const anchor of anchors) {
      const key = anchor.certificate.subjectCanonical;
      const list = this.#bySubject.get(key);
      if (list) list.push(anchor);
      else this.#bySubject.set(key, [anchor]);
      this.#byFingerprint.set(anchor.certificate.fingerprint, anchor);
      this.#bySha256.set(anchor.certificate.sha256, anchor);
    }
  }

  get size(): number {
    return this.#byFingerprint.size;
  }

  /** Trusted certificates whose subject is the given certificate's issuer. */
  issuersOf(certificate: Certificate): readonly Anchor[] {
    return this.#bySubject.get(certificate.issuerCanonical) ?? [];
  }

  /** By the platform's SHA-1 fingerprint: for naming, never for trusting a presented certificate. */
  byFingerprint(fingerprint: string): Anchor | undefined {
    return this.#byFingerprint.get(fingerprint);
  }

  /** The trusted certificate with exactly these bytes, by their SHA-256. */
  bySha256(sha256: string): Anchor | undefined {
    return this.#bySha256.get(sha256);
  }

  anchors(): IterableIterator<Anchor> {
    return this.#byFingerprint.values();
  }

  /** What the TLS layer advertises as acceptable CAs. */
  enabledCertificates(): Certificate[] {
    return [...this.#byFingerprint.values()].filter((a) => a.enabled).map((a) => a.certificate);
  }
}
