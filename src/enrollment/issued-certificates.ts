import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { Certificate } from '../pki/certificate.js';
import type { CertificationRequest } from '../pki/csr.js';
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
  /** The CA's certificate (its subject becomes the issuer) and key. */
  issuer: Certificate;
  key: webcrypto.CryptoKey;
  serial: number;
  notBefore: number;
  notAfter: number;
}

const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto });
const arrayBuffer = (buffer: Uint8Array) =>
  buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
const time = (ms: number) =>
  new pkijs.Time({ type: new Date(ms).getUTCFullYear() < 2050 ? 0 : 1, value: new Date(ms) });

/**
 * A certificate as the platform's CA issues it [LIVE, B2 of the reference]:
 * X.509 v3 without any extension (not even an empty list: PKI.js leaves the
 * field out, where @peculiar/x509 writes an empty one), the request's subject
 * and key copied byte for byte, the serial the issuance time in ms, ECDSA with
 * SHA-256 by the CA's P-256 key.
 */
export async function signLeaf(params: LeafParams): Promise<Certificate> {
  const issuer = pkijs.Certificate.fromBER(arrayBuffer(params.issuer.der));
  const certificate = new pkijs.Certificate({
    version: 2,
    serialNumber: new asn1js.Integer({ valueHex: arrayBuffer(Buffer.from(serialHex(params.serial), 'hex')) }),
    issuer: issuer.subject,
    subject: pkijs.RelativeDistinguishedNames.fromBER(arrayBuffer(params.request.subjectDer)),
    notBefore: time(params.notBefore),
    notAfter: time(params.notAfter),
    subjectPublicKeyInfo: pkijs.PublicKeyInfo.fromBER(arrayBuffer(params.request.spki)),
  });
  await certificate.sign(params.key as CryptoKey, 'SHA-256', engine);
  return Certificate.fromDer(Buffer.from(certificate.toSchema(true).toBER(false)));
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
