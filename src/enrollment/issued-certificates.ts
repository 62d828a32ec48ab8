import { type KeyObject, sign } from 'node:crypto';
import { Certificate } from '../pki/certificate.js';
import type { CertificationRequest } from '../pki/csr.js';
import { bitString, DER_TAG, integer, oid, time, tlv } from '../pki/der-writer.js';
import type { IssuedCertificateRecord, Store } from '../store/store.js';

export type { IssuedCertificateRecord };

/** A positive DER INTEGER's hex for a serial in epoch milliseconds. */
export function serialHex(serial: number): string {
  let hex = serial.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Number.parseInt(hex[0]!, 16) >= 8 ? `00${hex}` : hex;
}

export interface LeafParams {
  request: CertificationRequest;
  /** The CA's certificate (its subject becomes the issuer) and its EC P-256 key. */
  issuer: Certificate;
  key: KeyObject;
  serial: number;
  notBefore: number;
  notAfter: number;
}

const ECDSA_WITH_SHA256 = tlv(DER_TAG.SEQUENCE, oid('1.2.840.10045.4.3.2'));
const VERSION_3 = tlv(DER_TAG.CONTEXT_0, integer('02'));

/**
 * A certificate as the platform's CA issues it [LIVE, B2 of the reference]:
 * X.509 v3 without any extension (not even an empty list), the request's
 * subject and key copied byte for byte, the serial the issuance time in ms,
 * ECDSA with SHA-256 by the CA's P-256 key (signed on the thread pool).
 */
export async function signLeaf(params: LeafParams): Promise<Certificate> {
  const tbs = tlv(
    DER_TAG.SEQUENCE,
    VERSION_3,
    integer(serialHex(params.serial)),
    ECDSA_WITH_SHA256,
    Buffer.from(params.issuer.subjectKey, 'hex'), // the CA's subject exactly as encoded
    tlv(DER_TAG.SEQUENCE, time(params.notBefore), time(params.notAfter)),
    params.request.subjectDer,
    params.request.spki,
  );
  const signature = await new Promise<Buffer>((resolve, reject) =>
    sign('sha256', tbs, { key: params.key, dsaEncoding: 'der' }, (error, value) =>
      error ? reject(error) : resolve(value),
    ),
  );
  return Certificate.fromDer(tlv(DER_TAG.SEQUENCE, tbs, ECDSA_WITH_SHA256, bitString(signature)));
}

/** The certificates the tenants' CAs issued, newest first; serials unique in a tenant. */
export class IssuedCertificates {
  readonly #store: Store;
  /** The last serial handed out per tenant, including those still being signed. */
  readonly #handedOut = new Map<string, number>();

  constructor(store: Store) {
    this.#store = store;
  }

  /**
   * The issuance time in ms as serial, one past the last when two fall in the
   * same millisecond. Reserved at once: requests signed at the same time get
   * different serials before either is stored.
   */
  nextSerial(tenantId: string, now: number): number {
    const last = Math.max(this.#store.lastIssuedSerial(tenantId) ?? 0, this.#handedOut.get(tenantId) ?? 0);
    const serial = now > last ? now : last + 1;
    this.#handedOut.set(tenantId, serial);
    return serial;
  }

  record(record: IssuedCertificateRecord): void {
    this.#store.insertIssuedCertificate(record);
  }

  list(tenantId: string, limit: number): IssuedCertificateRecord[] {
    return this.#store.listIssuedCertificates(tenantId, limit);
  }
}
