import type { webcrypto } from 'node:crypto';
import { x509 } from './x509.js';

export interface CrlEncodeParams {
  /** The CRL's issuer, DER order. */
  issuer: x509.JsonName;
  entries: readonly { serialHex: string; revocationDate: number }[];
  thisUpdate: number;
  nextUpdate: number;
  /** RSA PKCS#1 v1.5 or ECDSA P-256 private key. */
  signingKey: webcrypto.CryptoKey;
}

/** A DER-encoded X.509 v2 CRL, signed with SHA-256 (what `openssl crl -inform DER` and Go's x509.ParseRevocationList read). */
export async function encodeCrl(params: CrlEncodeParams): Promise<Buffer> {
  const algorithm =
    params.signingKey.algorithm.name === 'ECDSA'
      ? { name: 'ECDSA', hash: 'SHA-256' }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const crl = await x509.X509CrlGenerator.create({
    issuer: params.issuer,
    thisUpdate: new Date(params.thisUpdate),
    nextUpdate: new Date(params.nextUpdate),
    signingAlgorithm: algorithm,
    signingKey: params.signingKey,
    entries: params.entries.map((entry) => ({
      serialNumber: positiveIntegerHex(entry.serialHex),
      revocationDate: new Date(entry.revocationDate),
    })),
  });
  return Buffer.from(crl.rawData);
}

/** Even-length hex whose top bit is clear, so the DER INTEGER stays positive. */
function positiveIntegerHex(hex: string): string {
  const even = hex.length % 2 === 1 ? `0${hex}` : hex;
  return /^[89a-f]/i.test(even) ? `00${even}` : even;
}
