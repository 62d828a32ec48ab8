import * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { DER_TAG, integer, oid, tlv } from './der-writer.js';

/**
 * The "certs-only" PKCS#7 of EST (RFC 7030 4.1.3): a SignedData without
 * content or signers that carries certificates. Built as `openssl crl2pkcs7
 * -nocrl` builds it (version 1, no digest algorithms, `id-data` without
 * content), which is what the platform's answer decodes to.
 */
export class Pkcs7Error extends Error {
  override name = 'Pkcs7Error';
}

const SIGNED_DATA = '1.2.840.113549.1.7.2';
const DATA = '1.2.840.113549.1.7.1';

const arrayBuffer = (buffer: Uint8Array) =>
  buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;

// What every answer repeats, encoded once.
const VERSION_1 = integer('01');
const NONE = tlv(DER_TAG.SET);
const ID_DATA_WITHOUT_CONTENT = tlv(DER_TAG.SEQUENCE, oid(DATA));
const ID_SIGNED_DATA = oid(SIGNED_DATA);

/** DER of a certs-only SignedData holding `certificates` (DER each), in order. */
export function certsOnlyPkcs7(certificates: readonly Buffer[]): Buffer {
  const signedData = tlv(
    DER_TAG.SEQUENCE,
    VERSION_1,
    NONE, // digestAlgorithms
    ID_DATA_WITHOUT_CONTENT, // encapContentInfo
    tlv(DER_TAG.CONTEXT_0, ...certificates),
    NONE, // signerInfos
  );
  return tlv(DER_TAG.SEQUENCE, ID_SIGNED_DATA, tlv(DER_TAG.CONTEXT_0, signedData));
}

/** The certificates (DER, in order) of a certs-only PKCS#7, DER or BER with indefinite lengths. */
export async function readCertsOnlyPkcs7(der: Uint8Array): Promise<Buffer[]> {
  // Loaded here, not with the module: the server imports this module for writing, which needs no PKI.js.
  const pki: typeof pkijs = await import('pkijs');
  const parsed = asn1js.fromBER(arrayBuffer(der));
  if (parsed.offset === -1) throw new Pkcs7Error(`not ASN.1 (${parsed.result.error})`);
  try {
    const contentInfo = new pki.ContentInfo({ schema: parsed.result });
    if (contentInfo.contentType !== SIGNED_DATA) {
      throw new Pkcs7Error(`not a SignedData (content type ${contentInfo.contentType})`);
    }
    const signedData = new pki.SignedData({ schema: contentInfo.content });
    return (signedData.certificates ?? [])
      .filter((c): c is pkijs.Certificate => c instanceof pki.Certificate)
      .map((c) => Buffer.from(c.toSchema().toBER(false)));
  } catch (error) {
    if (error instanceof Pkcs7Error) throw error;
    throw new Pkcs7Error(`not a PKCS#7 SignedData (${(error as Error).message})`);
  }
}

/** Base64 in lines of 64 characters joined by LF, without a final newline, as the platform sends it. */
export function base64Lines(der: Uint8Array): string {
  return (
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n');
}
