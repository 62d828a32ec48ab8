import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Certificate, CertificateFormatError } from '../pki/certificate.js';
import { children, decodeOid, expectElement, TAG } from '../pki/der.js';
import { decodePemBlocks, type PemBlock, PemError, toPem } from '../pki/pem.js';
import { CliError } from './cli-error.js';

/**
 * Reading the files a user names, each failure one line that says which file
 * and what is wrong with it (never the file's content).
 */
export function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (error as Error).message;
    throw new CliError(`cannot read ${what} ${path}: ${reason}`);
  }
}

const isPem = (bytes: Buffer) => bytes.includes('-----BEGIN');

const PKCS7_DATA = '1.2.840.113549.1.7.1';
const PKCS7_SIGNED_DATA = '1.2.840.113549.1.7.2';

/**
 * Whether bytes look like a PKCS#12 keystore: SEQUENCE { INTEGER 3, ContentInfo }.
 * A look at the outer structure only, so commands that never open a keystore
 * do not load PKI.js (half a second of start-up).
 */
export function isPkcs12(bytes: Buffer): boolean {
  try {
    const outer = expectElement(bytes, 0, TAG.SEQUENCE);
    const [version, authSafe] = children(bytes, outer);
    if (!version || !authSafe || version.tag !== TAG.INTEGER || authSafe.tag !== TAG.SEQUENCE) return false;
    if (version.end - version.contentStart !== 1 || bytes[version.contentStart] !== 3) return false;
    const [contentType] = children(bytes, authSafe);
    if (!contentType || contentType.tag !== TAG.OID) return false;
    const oid = decodeOid(bytes.subarray(contentType.contentStart, contentType.end));
    return oid === PKCS7_DATA || oid === PKCS7_SIGNED_DATA;
  } catch {
    return false;
  }
}

function pemBlocks(bytes: Buffer, path: string): PemBlock[] {
  try {
    return decodePemBlocks(bytes.toString('utf8'));
  } catch (error) {
    if (error instanceof PemError) throw new CliError(`${path}: ${error.message}`);
    throw error;
  }
}

function parseCertificate(der: Buffer, path: string): Certificate {
  try {
    return Certificate.fromDer(der);
  } catch (error) {
    if (error instanceof CertificateFormatError) throw new CliError(`${path}: ${error.message}`);
    throw error;
  }
}

/** The certificates of a PEM file (in order; other blocks are left out) or of a DER file. */
export function certificatesIn(bytes: Buffer, path: string): Certificate[] {
  if (isPem(bytes)) {
    const blocks = pemBlocks(bytes, path);
    const certificates = blocks.filter((b) => b.label === 'CERTIFICATE');
    if (certificates.length === 0) {
      const found = [...new Set(blocks.map((b) => b.label))].join(', ');
      throw new CliError(`${path} holds no certificate${found ? ` (found ${found})` : ''}`);
    }
    return certificates.map((block) => parseCertificate(block.der, path));
  }
  if (isPkcs12(bytes)) {
    throw new CliError(`${path} is a PKCS#12 keystore, not a PEM or DER certificate`);
  }
  if (bytes[0] !== 0x30) throw new CliError(`${path} is not a certificate (neither PEM nor DER)`);
  return [parseCertificate(bytes, path)];
}

export function readCertificates(path: string, what = 'certificate file'): Certificate[] {
  return certificatesIn(readInput(path, what), path);
}

/** The private keys of a PEM file, or the key of a DER (PKCS#8, SEC1 or PKCS#1) file. */
export function privateKeysIn(bytes: Buffer, path: string): KeyObject[] {
  if (!isPem(bytes)) return [derPrivateKey(bytes, path)];
  const blocks = pemBlocks(bytes, path);
  if (blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY') || bytes.includes('Proc-Type: 4,ENCRYPTED')) {
    throw new CliError(`${path} holds an encrypted private key; give the key unencrypted`);
  }
  return blocks
    .filter((b) => b.label.endsWith('PRIVATE KEY'))
    .map((block) => {
      try {
        return createPrivateKey(toPem(block.label, block.der));
      } catch (error) {
        throw new CliError(`${path}: not a valid ${block.label} (${(error as Error).message})`);
      }
    });
}

function derPrivateKey(bytes: Buffer, path: string): KeyObject {
  for (const type of ['pkcs8', 'sec1', 'pkcs1'] as const) {
    try {
      return createPrivateKey({ key: bytes, format: 'der', type });
    } catch {
      // try the next encoding
    }
  }
  throw new CliError(`${path} is not a private key (neither PEM nor DER)`);
}

export function readPrivateKey(path: string, what = 'private key'): KeyObject {
  const bytes = readInput(path, what);
  const keys = privateKeysIn(bytes, path);
  const [key] = keys;
  if (!key) {
    const labels = isPem(bytes) ? [...new Set(pemBlocks(bytes, path).map((b) => b.label))].join(', ') : '';
    throw new CliError(`${path} holds no private key${labels ? ` (found ${labels})` : ''}`);
  }
  if (keys.length > 1) throw new CliError(`${path} holds ${keys.length} private keys; give a file with one`);
  return key;
}

const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });

export function keyMatches(certificate: Certificate, privateKey: KeyObject): boolean {
  return spki(createPublicKey(privateKey)).equals(spki(certificate.publicKey));
}

/** A key and a certificate belong together when their public keys are the same. */
export function assertKeyMatches(
  certificate: Certificate,
  privateKey: KeyObject,
  keyPath: string,
  certPath: string,
): void {
  if (!keyMatches(certificate, privateKey)) {
    throw new CliError(
      `the key in ${keyPath} does not match the certificate '${certificate.subject}' in ${certPath} (their public keys differ)`,
    );
  }
}
