import { createPublicKey } from 'node:crypto';
import { readElement } from './der.js';
import { decodeBase64, decodePemBlocks, PemError } from './pem.js';
import { commonNames, decodeName, platformName } from './x500-name.js';
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

/** Parses a request and checks its signature with its own key (proof that the client holds the key). */
export async function readCsr(der: Buffer): Promise<CertificationRequest> {
  let request: x509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(new Uint8Array(der));
  } catch (error) {
    throw new CsrFormatError(`not a PKCS#10 certification request (${(error as Error).message})`);
  }
  let spki: Buffer;
  let subjectDer: Buffer;
  let keyDescription: string;
  let requestsCa: boolean;
  try {
    spki = Buffer.from(request.publicKey.rawData);
    subjectDer = Buffer.from(request.subjectName.toArrayBuffer());
    keyDescription = describeKey(spki);
    requestsCa = request.extensions.some(
      (extension) => extension instanceof x509.BasicConstraintsExtension && extension.ca,
    );
  } catch (error) {
    if (error instanceof CsrFormatError) throw error;
    throw new CsrFormatError(`the request cannot be read (${(error as Error).message})`);
  }
  let verified: boolean;
  try {
    verified = await request.verify();
  } catch (error) {
    throw new CsrFormatError(
      `the request's signature cannot be checked (${(error as Error).message}); use an EC or RSA key`,
    );
  }
  if (!verified) throw new CsrFormatError("the request's signature does not verify with its own public key");
  const name = decodeName(subjectDer, readElement(subjectDer, 0));
  return {
    der,
    subjectDer,
    subject: platformName(name),
    commonNames: commonNames(name),
    spki,
    keyDescription,
    requestsCa,
  };
}

function describeKey(spki: Buffer): string {
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (error) {
    throw new CsrFormatError(`unsupported or malformed public key (${(error as Error).message})`);
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss')
    return `RSA ${details.modulusLength ?? '?'}`;
  if (key.asymmetricKeyType === 'ec') return `EC ${curveName(details.namedCurve)}`;
  return (key.asymmetricKeyType ?? 'unknown').toUpperCase();
}

const CURVES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};
const curveName = (curve: string | undefined) => (curve ? (CURVES[curve] ?? curve) : '?');

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
