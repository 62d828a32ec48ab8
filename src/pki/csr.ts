import { type KeyObject, verify } from 'node:crypto';
import { SIGNATURE_HASHES, SIGNATURE_KEY_TYPES } from './certificate.js';
import {
  children,
  content,
  type DerElement,
  DerError,
  expectElement,
  integerHex,
  readOid,
  TAG,
} from './der.js';
import { decodeBase64, decodePemBlocks, PemError } from './pem.js';
import { describeSpki, importSpki } from './public-key.js';
import { commonNames, decodeName, type Name, platformName } from './x500-name.js';
import { x509 } from './x509.js';

/** Raised when a body is no certification request; the message says why. */
export class CsrFormatError extends Error {
  override name = 'CsrFormatError';
}

/** A PKCS#10 certification request whose signature was checked. */
export interface CertificationRequest {
  der: Buffer;
  /** The subject's DER, to be copied into the certificate byte for byte. */
  subjectDer: Buffer;
  /** As the platform prints names: RDNs in reverse order joined by ", ". */
  subject: string;
  commonNames: string[];
  /** The SubjectPublicKeyInfo's DER, to be copied into the certificate. */
  spki: Buffer;
  /** e.g. "EC P-256", "RSA 2048". */
  keyDescription: string;
  /** The request asks for basicConstraints CA:TRUE (extensionRequest). */
  requestsCa: boolean;
}

const PEM_LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
const SEQUENCE = 0x30;
const BASE64_TEXT = /^[A-Za-z0-9+/=\s]*$/;

/**
 * The DER of the request in an EST body, whichever form the client chose:
 * base64 DER in one line (go-c8y) or in lines (tedge's PEM without its
 * BEGIN/END lines), a whole PEM block, or raw DER.
 */
export function decodeCsrBody(body: Buffer): Buffer {
  if (body.length === 0) throw new CsrFormatError('the body is empty; send the PKCS#10 request in base64');
  if (body[0] === SEQUENCE && !BASE64_TEXT.test(body.toString('latin1'))) return body;
  const text = body.toString('latin1');
  try {
    if (text.includes('-----BEGIN')) {
      const blocks = decodePemBlocks(text);
      const [block] = blocks;
      if (blocks.length !== 1 || !block) {
        throw new CsrFormatError(`expected one PEM block, found ${blocks.length}`);
      }
      if (!PEM_LABELS.has(block.label)) {
        throw new CsrFormatError(`found a ${block.label} block where a CERTIFICATE REQUEST was expected`);
      }
      return block.der;
    }
    return decodeBase64(text);
  } catch (error) {
    if (error instanceof PemError) throw new CsrFormatError(`the body is not base64: ${error.message}`);
    throw error;
  }
}

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const BASIC_CONSTRAINTS = '2.5.29.19';

/**
 * Parses a request and checks its signature with its own key (proof that the
 * client holds the key). Read with the DER reader of certificates and checked
 * with node:crypto: a schema-driven ASN.1 library costs a millisecond here,
 * more than signing the certificate (docs/performance.md, row j).
 */
export async function readCsr(der: Buffer): Promise<CertificationRequest> {
  let info: DerElement;
  let subject: DerElement;
  let spkiElement: DerElement;
  let attributes: DerElement | undefined;
  let signatureOid: string;
  let signature: Buffer;
  try {
    const outer = expectElement(der, 0, TAG.SEQUENCE);
    if (outer.end !== der.length) throw new DerError(`${der.length - outer.end} trailing bytes`);
    const [infoElement, algorithm, bits] = children(der, outer);
    if (
      infoElement?.tag !== TAG.SEQUENCE ||
      algorithm?.tag !== TAG.SEQUENCE ||
      bits?.tag !== TAG.BIT_STRING
    ) {
      throw new DerError('not a CertificationRequest (SEQUENCE of request info, algorithm, signature)');
    }
    info = infoElement;
    const [version, name, key, attributeSet] = children(der, info);
    if (version?.tag !== TAG.INTEGER || name?.tag !== TAG.SEQUENCE || key?.tag !== TAG.SEQUENCE) {
      throw new DerError('not a CertificationRequestInfo (version, subject, subjectPKInfo)');
    }
    if (integerHex(content(der, version)) !== '0') throw new DerError('the request version is not 1');
    subject = name;
    spkiElement = key;
    attributes = attributeSet?.tag === 0xa0 ? attributeSet : undefined;
    const [algorithmOid] = children(der, algorithm);
    if (algorithmOid?.tag !== TAG.OID) throw new DerError('no signature algorithm');
    signatureOid = readOid(der, algorithmOid);
    if (bits.end - bits.contentStart < 2 || der[bits.contentStart] !== 0)
      throw new DerError('malformed signature');
    signature = der.subarray(bits.contentStart + 1, bits.end);
  } catch (error) {
    if (error instanceof DerError) {
      throw new CsrFormatError(`not a PKCS#10 certification request (${error.message})`);
    }
    throw error;
  }
  const spki = der.subarray(spkiElement.start, spkiElement.end);
  const subjectDer = der.subarray(subject.start, subject.end);
  const key = publicKey(spki);
  const hash = SIGNATURE_HASHES[signatureOid];
  const types = SIGNATURE_KEY_TYPES[signatureOid];
  if (hash === undefined || !types) {
    throw new CsrFormatError(
      `the request is signed with ${signatureOid}, which is not supported; sign it with ECDSA or RSA (PKCS#1 v1.5) and SHA-256`,
    );
  }
  if (!types.includes(key.asymmetricKeyType ?? '')) {
    throw new CsrFormatError(
      `the request's signature algorithm (${signatureOid}) does not fit its ${key.asymmetricKeyType} key`,
    );
  }
  const tbs = der.subarray(info.start, info.end);
  const verified = await new Promise<boolean>((resolve) =>
    verify(hash, tbs, { key, dsaEncoding: 'der' }, signature, (error, ok) => resolve(!error && ok)),
  );
  if (!verified) throw new CsrFormatError("the request's signature does not verify with its own public key");
  let name: Name;
  let requestsCa: boolean;
  try {
    name = decodeName(der, subject);
    requestsCa = attributes !== undefined && asksForCa(der, attributes);
  } catch (error) {
    if (error instanceof DerError) throw new CsrFormatError(`the request cannot be read (${error.message})`);
    throw error;
  }
  return {
    der,
    subjectDer,
    subject: platformName(name),
    commonNames: commonNames(name),
    spki,
    keyDescription: describeSpki(spki),
    requestsCa,
  };
}

/** Whether the extensionRequest attribute holds basicConstraints with cA TRUE. */
function asksForCa(der: Buffer, attributes: DerElement): boolean {
  for (const attribute of children(der, attributes)) {
    const [type, values] = children(der, attribute);
    if (type?.tag !== TAG.OID || values?.tag !== 0x31) continue;
    if (readOid(der, type) !== EXTENSION_REQUEST) continue;
    for (const extensions of children(der, values)) {
      for (const extension of children(der, extensions)) {
        const parts = children(der, extension);
        const [id] = parts;
        const value = parts.at(-1);
        if (id?.tag !== TAG.OID || value?.tag !== TAG.OCTET_STRING) continue;
        if (readOid(der, id) !== BASIC_CONSTRAINTS) continue;
        const constraints = expectElement(der, value.contentStart, TAG.SEQUENCE, value.end);
        const [flag] = children(der, constraints);
        if (flag?.tag === TAG.BOOLEAN && der[flag.contentStart] !== 0) return true;
      }
    }
  }
  return false;
}

function publicKey(spki: Buffer): KeyObject {
  try {
    return importSpki(spki);
  } catch (error) {
    throw new CsrFormatError(`unsupported or malformed public key (${(error as Error).message})`);
  }
}

/**
 * A PKCS#10 request for `subject` signed with `keys`, as an EST client makes
 * it: ECDSA or RSA with SHA-256; `requestCa` adds an extensionRequest for
 * basicConstraints CA:TRUE (which the platform refuses).
 */
export async function createCsr(
  subject: string | x509.JsonName | x509.Name,
  keys: CryptoKeyPair,
  options: { requestCa?: boolean } = {},
): Promise<Buffer> {
  const algorithm = keys.privateKey.algorithm as { name: string };
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject,
    keys,
    signingAlgorithm:
      algorithm.name === 'ECDSA'
        ? { name: 'ECDSA', hash: 'SHA-256' }
        : { name: algorithm.name, hash: 'SHA-256' },
    extensions: options.requestCa ? [new x509.BasicConstraintsExtension(true, undefined, true)] : [],
  });
  return Buffer.from(request.rawData);
}
