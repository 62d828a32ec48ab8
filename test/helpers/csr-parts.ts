import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { bitString, DER_TAG, integer, oid, tlv } from '../../src/pki/der-writer.js';

/*
 * PKCS#10 requests built part by part and signed with their own key, so that a hostile one
 * reaches the check it is meant for (a broken signature would stop it before). Used by the CSR
 * reader's tests and the EST route's.
 */
export const EC_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const EC_SPKI = EC_KEY.publicKey.export({ type: 'spki', format: 'der' });
export const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
export const RSA_SHA256 = '1.2.840.113549.1.1.11';
export const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
export const BASIC_CONSTRAINTS = '2.5.29.19';
export const SET = 0x31;

/** A Name of one CN whose value has `tag` (UTF8String unless told). */
export const cnName = (value: Buffer, tag = 0x0c) =>
  tlv(DER_TAG.SEQUENCE, tlv(SET, tlv(DER_TAG.SEQUENCE, oid('2.5.4.3'), tlv(tag, value))));
/** The [0] attributes holding an extensionRequest with one extension, made of `extension` (identifier, ..., value). */
export const extensionRequest = (...extension: Buffer[]) =>
  tlv(
    DER_TAG.CONTEXT_0,
    tlv(
      DER_TAG.SEQUENCE,
      oid(EXTENSION_REQUEST),
      tlv(SET, tlv(DER_TAG.SEQUENCE, tlv(DER_TAG.SEQUENCE, ...extension))),
    ),
  );

export interface Parts {
  version?: Buffer;
  subject?: Buffer;
  spki?: Buffer;
  /** The [0] attributes; `null` leaves them out. */
  attributes?: Buffer | null;
  /** The whole CertificationRequestInfo, instead of the parts above. */
  info?: Buffer;
  algorithm?: Buffer;
  signatureValue?: (signature: Buffer) => Buffer;
  key?: KeyObject;
  /** The digest to sign with; null for Ed25519. */
  hash?: string | null;
}

/** A request from its parts: by default CN=dev-01, a P-256 key, ECDSA with SHA-256, correctly signed. */
export function request(parts: Parts = {}): Buffer {
  const info =
    parts.info ??
    tlv(
      DER_TAG.SEQUENCE,
      parts.version ?? integer('0'),
      parts.subject ?? cnName(Buffer.from('dev-01')),
      parts.spki ?? EC_SPKI,
      ...(parts.attributes === null ? [] : [parts.attributes ?? tlv(DER_TAG.CONTEXT_0)]),
    );
  const signature = sign(
    parts.hash === undefined ? 'sha256' : parts.hash,
    info,
    parts.key ?? EC_KEY.privateKey,
  );
  return tlv(
    DER_TAG.SEQUENCE,
    info,
    parts.algorithm ?? tlv(DER_TAG.SEQUENCE, oid(ECDSA_SHA256)),
    (parts.signatureValue ?? bitString)(signature),
  );
}
