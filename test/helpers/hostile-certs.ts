import { KeyObject, sign } from 'node:crypto';
import { Certificate } from '../../src/pki/certificate.js';
import {
  type Credential,
  exportPrivateKeyPem,
  type JsonName,
  signingAlgorithm,
} from '../../src/pki/certificate-factory.js';
import { readElement } from '../../src/pki/der.js';
import { x509 } from '../../src/pki/x509.js';
import { DAY, type TestDevice } from './pki.js';

const SHA256_WITH_RSA = Buffer.from('2a864886f70d01010b', 'hex');
const MD5_WITH_RSA = Buffer.from('2a864886f70d010104', 'hex');

/**
 * The same certificate signed with MD5withRSA. WebCrypto cannot sign MD5, so the
 * SHA256withRSA identifiers (both: in the TBS and outside it) are swapped for
 * MD5withRSA, which has the same length, and the TBS is signed again with
 * node:crypto. `issuer` must be the RSA credential that signed `certificate`.
 */
export function resignWithMd5(certificate: Certificate, issuer: Credential): Certificate {
  const der = Buffer.from(certificate.der);
  let swapped = 0;
  for (let at = der.indexOf(SHA256_WITH_RSA); at >= 0; at = der.indexOf(SHA256_WITH_RSA, at + 1)) {
    MD5_WITH_RSA.copy(der, at);
    swapped++;
  }
  if (swapped !== 2) throw new Error(`expected a SHA256withRSA certificate; found ${swapped} identifiers`);
  const outer = readElement(der, 0);
  const tbs = readElement(der, outer.contentStart);
  const algorithm = readElement(der, tbs.end);
  const bits = readElement(der, algorithm.end);
  const signature = sign('md5', der.subarray(tbs.start, tbs.end), KeyObject.from(issuer.keys.privateKey));
  if (signature.length !== bits.end - bits.contentStart - 1) throw new Error('signature length changed');
  signature.copy(der, bits.contentStart + 1);
  return Certificate.fromDer(der);
}

/** The same certificate with one byte of its signature changed: it parses, and verifies with no key. */
export function withBrokenSignature(certificate: Certificate): Certificate {
  const der = Buffer.from(certificate.der);
  der[der.length - 2] = der[der.length - 2]! ^ 0x01;
  return Certificate.fromDer(der);
}

/**
 * DER of a CA certificate signed by `issuer` whose public key is on an EC curve
 * nobody knows: X509Certificate parses it, but its key cannot be read.
 */
export async function certificateWithUnreadableKey(issuer: Credential, subject: JsonName, now: number) {
  const { publicKey } = (await x509.cryptoProvider
    .get()
    .subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = Buffer.from(await x509.cryptoProvider.get().subtle.exportKey('spki', publicKey));
  const p256 = Buffer.from('06082a8648ce3d030107', 'hex');
  spki[spki.indexOf(p256) + p256.length - 1] = 0x09;
  const generated = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject,
    issuer: new x509.X509Certificate(new Uint8Array(issuer.certificate.der)).subjectName,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
    publicKey: new x509.PublicKey(new Uint8Array(spki)),
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: signingAlgorithm({ type: 'ec' }),
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return Buffer.from(generated.rawData);
}

/** PEMs of a credential as a device presents them. */
export async function asDevice(credential: Credential): Promise<TestDevice> {
  return {
    credential,
    certPem: credential.certificate.pem,
    keyPem: await exportPrivateKeyPem(credential.keys.privateKey),
    chainPem: [credential.certificate, ...credential.issuers].map((c) => c.pem).join(''),
  };
}
