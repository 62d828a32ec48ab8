import { createPrivateKey, webcrypto } from 'node:crypto';
import { Certificate } from './certificate.js';
import { toPem } from './pem.js';
import { x509 } from './x509.js';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

export type KeySpec = { type: 'ec' } | { type: 'rsa'; bits: number };
export const EC_P256: KeySpec = { type: 'ec' };

/** A certificate with its key pair and the certificates above it (issuer first, root last). */
export interface Credential {
  certificate: Certificate;
  keys: CryptoKeyPair;
  issuers: Certificate[];
}

/** DER order, outermost first: `[{ CN: ['device-1'] }, { O: ['Acme'] }]`. */
export type JsonName = Array<Record<string, string[]>>;

export interface IssueParams {
  subject: JsonName;
  /** Signs the certificate; absent for a self-signed one. */
  issuer?: Credential;
  keys?: CryptoKeyPair;
  keySpec?: KeySpec;
  serialHex?: string;
  notBefore: Date;
  notAfter: Date;
  /** basicConstraints: `{ ca: true, pathLen }`, `{ ca: false }`, or `'omit'`. */
  basicConstraints?: { ca: boolean; pathLen?: number } | 'omit';
  keyUsage?: number;
  extendedKeyUsage?: string[];
  subjectAltNames?: { type: 'dns' | 'ip'; value: string }[];
  extensions?: x509.Extension[];
  hash?: 'SHA-256' | 'SHA-384' | 'SHA-512' | 'SHA-1';
}

const KU = x509.KeyUsageFlags;
export const CA_KEY_USAGE = KU.keyCertSign | KU.cRLSign | KU.digitalSignature;
export const DEVICE_KEY_USAGE = KU.digitalSignature | KU.keyEncipherment | KU.nonRepudiation;
export const SERVER_KEY_USAGE = KU.digitalSignature | KU.keyEncipherment;

export function signingAlgorithm(spec: KeySpec, hash = 'SHA-256'): RsaHashedKeyGenParams | EcKeyGenParams {
  return spec.type === 'ec'
    ? ({ name: 'ECDSA', namedCurve: 'P-256', hash } as EcKeyGenParams)
    : ({
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: spec.bits,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash,
      } as RsaHashedKeyGenParams);
}

export async function generateKeyPair(spec: KeySpec = EC_P256): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(signingAlgorithm(spec), true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  return toPem('PRIVATE KEY', new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', key)));
}

/** Reads a PKCS#8, PKCS#1 or SEC1 PEM private key into a signing key pair. */
export async function importPrivateKeyPem(pem: string): Promise<CryptoKeyPair> {
  const keyObject = createPrivateKey(pem);
  const spec: KeySpec =
    keyObject.asymmetricKeyType === 'ec'
      ? EC_P256
      : { type: 'rsa', bits: keyObject.asymmetricKeyDetails?.modulusLength ?? 2048 };
  if (keyObject.asymmetricKeyType !== 'ec' && keyObject.asymmetricKeyType !== 'rsa') {
    throw new Error(`unsupported key type ${keyObject.asymmetricKeyType}; use an EC P-256 or RSA key`);
  }
  const algorithm = signingAlgorithm(spec);
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, true, ['sign']);
  const jwk = keyObject.export({ format: 'jwk' });
  delete jwk.d;
  for (const k of ['p', 'q', 'dp', 'dq', 'qi'] as const) delete jwk[k];
  const publicKey = await webcrypto.subtle.importKey('jwk', jwk, algorithm, true, ['verify']);
  return { privateKey, publicKey };
}

/** The key spec of an existing key pair, so a child is signed with its issuer's algorithm. */
function specOf(keys: CryptoKeyPair): KeySpec {
  const algorithm = keys.privateKey.algorithm as RsaHashedKeyAlgorithm | EcKeyAlgorithm;
  return algorithm.name === 'ECDSA'
    ? EC_P256
    : { type: 'rsa', bits: (algorithm as RsaHashedKeyAlgorithm).modulusLength };
}

export async function issueCertificate(params: IssueParams): Promise<Credential> {
  const keys = params.keys ?? (await generateKeyPair(params.keySpec));
  const signer = params.issuer?.keys ?? keys;
  const extensions: x509.Extension[] = [];
  if (params.basicConstraints !== 'omit') {
    const bc = params.basicConstraints ?? { ca: false };
    extensions.push(new x509.BasicConstraintsExtension(bc.ca, bc.pathLen, true));
  }
  if (params.keyUsage !== undefined) extensions.push(new x509.KeyUsagesExtension(params.keyUsage, true));
  if (params.extendedKeyUsage)
    extensions.push(new x509.ExtendedKeyUsageExtension(params.extendedKeyUsage, false));
  if (params.subjectAltNames?.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(params.subjectAltNames, false));
  }
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  if (params.issuer) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(params.issuer.keys.publicKey));
  }
  extensions.push(...(params.extensions ?? []));

  const common = {
    serialNumber: params.serialHex ?? randomSerialHex(),
    notBefore: params.notBefore,
    notAfter: params.notAfter,
    extensions,
    signingAlgorithm: signingAlgorithm(specOf(signer), params.hash),
  };
  const signingKey = await withHash(signer.privateKey, params.hash);
  const generated = params.issuer
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject: params.subject,
        issuer: issuerName(params.issuer),
        publicKey: keys.publicKey,
        signingKey,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({
        ...common,
        name: params.subject,
        keys: { publicKey: keys.publicKey, privateKey: signingKey },
      });
  const certificate = Certificate.fromDer(Buffer.from(generated.rawData));
  const issuers = params.issuer ? [params.issuer.certificate, ...params.issuer.issuers] : [];
  return { certificate, keys, issuers };
}

/**
 * An RSA key signs with the hash it was made or imported with, whatever the
 * algorithm asks: to sign with another hash, the key is imported again with it.
 * ECDSA takes the hash per signature.
 */
async function withHash(key: CryptoKey, hash: IssueParams['hash']): Promise<CryptoKey> {
  const algorithm = key.algorithm as RsaHashedKeyAlgorithm;
  if (hash === undefined || algorithm.name !== 'RSASSA-PKCS1-v1_5' || algorithm.hash.name === hash)
    return key;
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return webcrypto.subtle.importKey('pkcs8', pkcs8, { name: algorithm.name, hash }, false, ['sign']);
}

const issuerNames = new WeakMap<Certificate, x509.Name>();

/** The issuer's subject exactly as encoded in its certificate, so name matching is byte-exact. */
function issuerName(issuer: Credential): x509.Name {
  let name = issuerNames.get(issuer.certificate);
  if (!name) {
    name = new x509.X509Certificate(new Uint8Array(issuer.certificate.der)).subjectName;
    issuerNames.set(issuer.certificate, name);
  }
  return name;
}

/** 16 random bytes, high bit clear so the INTEGER stays positive, never zero. */
export function randomSerialHex(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

export const commonName = (cn: string, organization?: string): JsonName =>
  organization === undefined ? [{ CN: [cn] }] : [{ CN: [cn] }, { O: [organization] }];

export interface ValidityParams {
  notBefore: Date;
  notAfter: Date;
}

/** A root CA for a tenant: CA:true, keyCertSign and cRLSign. */
export function createRootCa(
  params: Omit<IssueParams, 'basicConstraints' | 'issuer'> & { pathLen?: number },
) {
  return issueCertificate({
    keyUsage: CA_KEY_USAGE,
    ...params,
    basicConstraints: params.pathLen === undefined ? { ca: true } : { ca: true, pathLen: params.pathLen },
  });
}

export function createIntermediateCa(
  params: Omit<IssueParams, 'basicConstraints'> & { issuer: Credential; pathLen?: number },
) {
  return issueCertificate({
    keyUsage: CA_KEY_USAGE,
    ...params,
    basicConstraints: params.pathLen === undefined ? { ca: true } : { ca: true, pathLen: params.pathLen },
  });
}

/** A device certificate: CA:false, digitalSignature, clientAuth. */
export function createDeviceCertificate(
  params: Omit<IssueParams, 'basicConstraints'> & { issuer: Credential },
) {
  return issueCertificate({
    keyUsage: DEVICE_KEY_USAGE,
    extendedKeyUsage: [x509.ExtendedKeyUsage.clientAuth],
    ...params,
    basicConstraints: { ca: false },
  });
}

/** A TLS server certificate for the given DNS names and IP addresses. */
export function createServerCertificate(
  params: Omit<IssueParams, 'basicConstraints' | 'subjectAltNames'> & { issuer: Credential; names: string[] },
) {
  return issueCertificate({
    keyUsage: SERVER_KEY_USAGE,
    extendedKeyUsage: [x509.ExtendedKeyUsage.serverAuth],
    ...params,
    basicConstraints: { ca: false },
    subjectAltNames: params.names.map((name) => ({ type: isIpAddress(name) ? 'ip' : 'dns', value: name })),
  });
}

function isIpAddress(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}

/** PEM of a certificate followed by its issuers: what devices send and curl's --cert reads. */
export function chainPem(credential: Credential, includeRoot = true): string {
  const issuers = includeRoot ? credential.issuers : credential.issuers.filter((c) => !c.selfIssued);
  return [credential.certificate, ...issuers].map((c) => c.pem).join('');
}
